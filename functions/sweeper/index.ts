import { pipelineDeps } from '#lib/pipeline/deps';
import { sweep } from '#lib/pipeline/sweeper';

/** Every minute (EventBridge Scheduler): re-drives whatever is due and not done. */
export const handler = async (): Promise<void> => {
  await sweep(pipelineDeps());
};
