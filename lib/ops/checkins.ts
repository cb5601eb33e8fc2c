import type { EventRecord } from '#lib/bookings/records';
import { reopenedValidation } from '#lib/bookings/validation';
import type { EventKey } from '#lib/inbox/receive';
import { validateWalkin } from '#lib/jobs/validate-walkin';
import { validationTooLate } from './bookings';
import { type OpsContext, refuse } from './commands';
import type { PipelineContext } from './pipeline';

/**
 * The front desk validates a walk-in (`WALKIN_VALIDATION=manual`, or one the service could not):
 * the member's latest walk-in at the gym still pending is validated now, with the same rules as the
 * job, and the outcome printed.
 */
export async function validate(context: PipelineContext, wellhubId: string, gymId: string) {
  const { store } = context;
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
  return validateNow(context, pending, (key, at) => store.walkins.request(key, at));
}

/**
 * `ops retry <event_key>` of a walk-in whose validation failed: validated again now while its 20
 * minutes last. After them nothing can be validated any more, so it is acknowledged: out of the
 * failed list (which is what keeps `failed-jobs` in ALARM), its validation kept as it ended.
 */
export async function retryWalkin(context: PipelineContext, record: EventRecord) {
  const { store, pipeline } = context;
  const validation = record.validation ?? refuse(`event ${record.event_key} is not a walk-in`);
  const key = { type: record.event_type, id: record.event_key };
  const now = pipeline.now();
  const reopened = reopenedValidation(validation, now);
  if (reopened === undefined) {
    if (!(await store.walkins.acknowledge(key)))
      refuse(`walk-in ${record.event_key} is not in the failed list (validation ${validation.state})`);
    return { event_key: record.event_key, acknowledged: true, note: validationTooLate(validation) };
  }
  return validateNow(context, record, (owed, at) => store.walkins.save(owed, reopened, at, at));
}

/** The walk-in's validation owed now (`owe` writes it) and its job run right here, with the job's rules. */
async function validateNow(
  { store, pipeline }: PipelineContext,
  record: EventRecord,
  owe: (key: EventKey, at: Date) => Promise<unknown>,
) {
  const wellhub = pipeline.wellhub ?? refuse('no Wellhub client configured');
  const key = { type: record.event_type, id: record.event_key };
  await owe(key, pipeline.now());
  const outcome = await validateWalkin({ walkins: store.walkins, wellhub, now: pipeline.now }, key, 'ops');
  return { outcome, event_key: record.event_key, validation: (await store.getEvent(key))?.validation };
}

export type { OpsContext };
