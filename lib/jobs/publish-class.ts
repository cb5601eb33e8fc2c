import { DAY_MS, planClass } from '#lib/schedule/publish';
import type { GymClassRecord } from '#lib/schedule/records';
import type { Versioned } from '#lib/store/schedule-store';
import {
  LEASE_MS,
  logPublication,
  type PublicationDeps,
  PublishFailed,
  type PublishOutcome,
  publishedMetric,
  recordPublishFailure,
} from './publication';

/**
 * Publishes a class (CONTRACT §10): load, plan, call, write. A create is never made twice: a class
 * whose earlier attempt may have landed is looked up by reference first, and a 409 is adopted.
 */
export async function publishClass(
  deps: PublicationDeps,
  reference: string,
  via: string,
): Promise<PublishOutcome> {
  const started = performance.now();
  const at = deps.now();
  const claimed = (await deps.schedule.claim('class', reference, at, LEASE_MS)) as
    | Versioned<GymClassRecord>
    | undefined;
  if (claimed === undefined) return 'skipped';
  const plan = planClass(claimed);
  const fields = {
    job: 'publishClass',
    via,
    class_reference: reference,
    gym_id: claimed.gym_id,
    plan: plan.kind,
  };
  try {
    let facts: Record<string, unknown> = {};
    if (plan.kind === 'create') {
      const id = await createOnce(deps, claimed, plan.body);
      facts = { wellhub_class_id: id, published: plan.body };
    } else if (plan.kind === 'update') {
      const outcome = await deps.wellhub.updateClass(
        claimed.gym_id,
        claimed.wellhub_class_id ?? '',
        plan.body,
        context(claimed),
      );
      if (outcome.kind !== 'done') throw new PublishFailed(outcome, 'PUT class');
      facts = { published: plan.body };
    }
    const result = await deps.schedule.finish('class', reference, claimed.revision, facts, at);
    const lagMs =
      result === 'published' ? publishedMetric('class', claimed.sync.changed_at, deps.now()) : undefined;
    if (plan.kind === 'create') await handOverSlots(deps, claimed, at);
    logPublication({ ...fields, outcome: result, lag_ms: lagMs, latency_ms: ms(started) });
    return result;
  } catch (error) {
    const outcome = await recordPublishFailure(deps, 'class', claimed, error, at);
    logPublication(
      { ...fields, outcome, attempts: (claimed.attempts ?? 0) + 1, latency_ms: ms(started) },
      error,
    );
    return outcome;
  }
}

async function createOnce(
  deps: PublicationDeps,
  record: GymClassRecord,
  body: Parameters<PublicationDeps['wellhub']['createClasses']>[1][number],
): Promise<string> {
  // An earlier attempt failed without an answer: it may have created the class all the same.
  if ((record.attempts ?? 0) > 0) {
    const found = await findByReference(deps, record);
    if (found !== undefined) return found;
  }
  const outcome = await deps.wellhub.createClasses(record.gym_id, [body], context(record));
  if (outcome.kind === 'done') {
    const created = outcome.body.classes[0];
    if (created !== undefined) return String(created.id);
  }
  if (outcome.kind === 'adopt') {
    const found = await findByReference(deps, record);
    if (found !== undefined) return found;
  }
  if (outcome.kind === 'done') throw new Error('Wellhub answered the class create with no class');
  throw new PublishFailed(outcome, 'POST class');
}

async function findByReference(deps: PublicationDeps, record: GymClassRecord): Promise<string | undefined> {
  const outcome = await deps.wellhub.listClasses(record.gym_id, context(record));
  if (outcome.kind !== 'done') throw new PublishFailed(outcome, 'GET classes');
  const found = outcome.body.find((candidate) => candidate.reference === record.reference);
  return found === undefined ? undefined : String(found.id);
}

/** Slots that waited for this class are handed to the stream now, not at the next sweep. */
async function handOverSlots(deps: PublicationDeps, record: GymClassRecord, at: Date): Promise<void> {
  const slots = await deps.schedule.slotsOfGym(
    record.gym_id,
    at,
    new Date(at.getTime() + deps.horizonDays * DAY_MS),
  );
  for (const slot of slots) {
    if (
      slot.class_reference === record.reference &&
      slot.wellhub_slot_id === undefined &&
      slot.status === 'active'
    ) {
      await deps.schedule.requestPublication('slot', slot.reference, {}, at);
    }
  }
}

function context(record: GymClassRecord) {
  return { attempt: (record.attempts ?? 0) + 1, slotReference: record.reference };
}

function ms(started: number): number {
  return Math.round(performance.now() - started);
}
