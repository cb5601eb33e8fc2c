import { reconcile } from '#lib/jobs/reconcile';
import { pipelineDeps } from '#lib/pipeline/deps';

/** Every 15 minutes (EventBridge Scheduler): Wellhub's copy of the schedule is read back and repaired. */
export const handler = async (): Promise<void> => {
  await reconcile(pipelineDeps());
};
