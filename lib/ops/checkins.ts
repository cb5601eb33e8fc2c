import { validateWalkin } from '#lib/jobs/validate-walkin';
import { type OpsContext, refuse } from './commands';
import type { PipelineContext } from './pipeline';

/**
 * The front desk validates a walk-in (`WALKIN_VALIDATION=manual`, or one the service could not):
 * the member's latest walk-in at the gym still pending is validated now, with the same rules as the
 * job, and the outcome printed.
 */
export async function validate(context: PipelineContext, wellhubId: string, gymId: string) {
  const { store, pipeline } = context;
  const walkins = await store.walkins.of(gymId, wellhubId);
  const pending = walkins.filter((w) => w.validation?.state === 'pending').at(-1);
  if (pending === undefined) {
    const latest = walkins.at(-1);
    refuse(
      latest === undefined
        ? `no walk-in of ${wellhubId} at gym ${gymId}`
        : `the latest walk-in of ${wellhubId} at gym ${gymId} is ${latest.validation?.state}: nothing to validate`,
    );
  }
  if (pipeline.wellhub === undefined) refuse('no Wellhub client configured');
  const key = { type: pending.event_type, id: pending.event_key };
  await store.walkins.request(key, pipeline.now());
  const outcome = await validateWalkin(
    { walkins: store.walkins, wellhub: pipeline.wellhub, now: pipeline.now },
    key,
    'ops',
  );
  const after = (await store.getEvents(pending.event_key)).find((e) => e.event_type === pending.event_type);
  return { outcome, event_key: pending.event_key, validation: after?.validation };
}

export type { OpsContext };
