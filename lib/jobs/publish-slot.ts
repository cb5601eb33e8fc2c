import { cancelByGym } from '#lib/bookings/booking';
import { forgetWellhubSlot, planSlot, sameSlot } from '#lib/schedule/publish';
import type { GymClassRecord, GymSlotRecord } from '#lib/schedule/records';
import type { Versioned } from '#lib/store/schedule-store';
import type { WellhubSlot } from '#lib/wellhub-api/types';
import {
  CannotPublish,
  LEASE_MS,
  logPublication,
  type PublicationDeps,
  PublishFailed,
  type PublishOutcome,
  publishedMetric,
  recordPublishFailure,
  WAIT_FOR_CLASS_MS,
} from './publication';

/**
 * Publishes a slot (CONTRACT §10): load, plan, call, write. The plan names one call: POST a new slot,
 * PUT an edited one, PATCH new counts, DELETE a canceled one. A create whose answer was lost is found
 * again by class, time and room before it is sent again, and a 409 is adopted, so Wellhub never
 * holds the slot twice. A slot Wellhub no longer has (404) is created again.
 */
export async function publishSlot(
  deps: PublicationDeps,
  reference: string,
  via: string,
): Promise<PublishOutcome> {
  const started = performance.now();
  const at = deps.now();
  const slot = (await deps.schedule.claim('slot', reference, at, LEASE_MS)) as
    | Versioned<GymSlotRecord>
    | undefined;
  if (slot === undefined) return 'skipped';
  const gymClass = await deps.schedule.getClass(slot.class_reference);
  const plan = planSlot(slot, gymClass, at, deps.horizonDays);
  const fields = { job: 'publishSlot', via, slot_reference: reference, gym_id: slot.gym_id, plan: plan.kind };
  const done = (outcome: PublishOutcome, extra: Record<string, unknown> = {}) => {
    logPublication({ ...fields, outcome, ...extra, latency_ms: Math.round(performance.now() - started) });
    return outcome;
  };
  try {
    switch (plan.kind) {
      case 'wait_for_class':
        await deps.schedule.postpone('slot', reference, new Date(at.getTime() + WAIT_FOR_CLASS_MS));
        return done('postponed');
      case 'wait_for_horizon':
        await deps.schedule.postpone('slot', reference, plan.at, plan.at);
        return done('postponed', { publish_at: plan.at.toISOString() });
      case 'too_late':
        throw new CannotPublish('the slot started before it could be published');
      default:
    }
    const facts = await call(deps, slot, gymClass as GymClassRecord, plan);
    if (facts === 'gone') {
      // Deleted at Wellhub behind our back: created again by the next run, under a new id.
      await deps.schedule.requestPublication('slot', reference, forgetWellhubSlot(slot), at);
      return done('changed', { wellhub: 'slot gone, created again' });
    }
    if (typeof facts.wellhub_slot_id === 'string')
      await deps.schedule.linkWellhubSlot(facts.wellhub_slot_id, reference);
    if (plan.kind === 'delete') await cancelBookings(deps, slot, at);
    const result = await deps.schedule.finish('slot', reference, slot.revision, facts, at);
    const lagMs =
      result === 'published' ? publishedMetric('slot', slot.sync.changed_at, deps.now()) : undefined;
    return done(result, { lag_ms: lagMs });
  } catch (error) {
    const outcome = await recordPublishFailure(deps, 'slot', slot, error, at);
    logPublication({ ...fields, outcome, attempts: (slot.attempts ?? 0) + 1 }, error);
    return outcome;
  }
}

type CallPlan = Exclude<
  ReturnType<typeof planSlot>,
  { kind: 'wait_for_class' | 'wait_for_horizon' | 'too_late' }
>;

/** The one call the plan names; what Wellhub now holds, or `gone` when it no longer has the slot. */
async function call(
  deps: PublicationDeps,
  slot: GymSlotRecord,
  gymClass: GymClassRecord,
  plan: CallPlan,
): Promise<Record<string, unknown> | 'gone'> {
  const gym = slot.gym_id;
  const classId = slot.wellhub_class_id ?? gymClass.wellhub_class_id ?? '';
  const slotId = slot.wellhub_slot_id ?? '';
  const context = { attempt: (slot.attempts ?? 0) + 1, slotReference: slot.reference };
  switch (plan.kind) {
    case 'none':
      return {};
    case 'create': {
      const id = await createOnce(deps, slot, classId, plan.body, context);
      return { wellhub_slot_id: id, wellhub_class_id: classId, published: plan.body };
    }
    case 'update': {
      const outcome = await deps.wellhub.updateSlot(gym, classId, slotId, plan.body, context);
      if (outcome.kind === 'refused' && outcome.status === 404) return 'gone';
      if (outcome.kind !== 'done') throw new PublishFailed(outcome, 'PUT slot');
      return { published: plan.body };
    }
    case 'patch': {
      const outcome = await deps.wellhub.patchSlot(gym, classId, slotId, plan.patch, context);
      if (outcome.kind === 'refused' && outcome.status === 404) return 'gone';
      if (outcome.kind !== 'done') throw new PublishFailed(outcome, 'PATCH slot');
      return { published: plan.body };
    }
    case 'delete': {
      const outcome = await deps.wellhub.deleteSlot(gym, classId, slotId, context);
      // Already gone is what a delete wants.
      if (outcome.kind !== 'done' && !(outcome.kind === 'refused' && outcome.status === 404)) {
        throw new PublishFailed(outcome, 'DELETE slot');
      }
      return { deleted_at_wellhub: deps.now().toISOString() };
    }
  }
}

async function createOnce(
  deps: PublicationDeps,
  slot: GymSlotRecord,
  classId: string,
  body: WellhubSlot,
  context: { attempt: number; slotReference: string },
): Promise<string> {
  if ((slot.attempts ?? 0) > 0) {
    const found = await findSlot(deps, slot, classId, body, context);
    if (found !== undefined) return found;
  }
  const outcome = await deps.wellhub.createSlot(slot.gym_id, classId, body, context);
  if (outcome.kind === 'done') return String(outcome.body.id);
  if (outcome.kind === 'adopt') {
    const found = await findSlot(deps, slot, classId, body, context);
    if (found !== undefined) return found;
  }
  throw new PublishFailed(outcome.kind === 'adopt' ? { ...outcome, kind: 'refused' } : outcome, 'POST slot');
}

/** The slot Wellhub holds for this class at this time and room, if any. */
async function findSlot(
  deps: PublicationDeps,
  slot: GymSlotRecord,
  classId: string,
  body: WellhubSlot,
  context: { attempt: number; slotReference: string },
): Promise<string | undefined> {
  const outcome = await deps.wellhub.listSlots(
    slot.gym_id,
    classId,
    { from: body.occur_date, to: body.occur_date },
    context,
  );
  if (outcome.kind !== 'done') throw new PublishFailed(outcome, 'GET slots');
  const found = outcome.body.results.find((candidate) => sameSlot(candidate, body));
  return found === undefined ? undefined : String(found.id);
}

/**
 * Every booking Wellhub still held on the slot becomes `CANCELED_BY_GYM` (CONTRACT §10): Wellhub
 * cancels them itself when the slot is deleted, so no call is made per booking.
 */
async function cancelBookings(deps: PublicationDeps, slot: GymSlotRecord, at: Date): Promise<void> {
  const ids = [
    ...(slot.previous_wellhub_slot_ids ?? []),
    ...(slot.wellhub_slot_id ? [slot.wellhub_slot_id] : []),
  ];
  for (const id of ids) {
    for (const booking of await deps.schedule.bookingsOfSlot(id)) {
      let current: typeof booking | undefined = booking;
      for (let race = 0; current !== undefined && race < 5; race++) {
        const canceled = cancelByGym(current, 'gym-canceled-slot', slot.reference, at.toISOString());
        if (canceled === undefined) break;
        if (await deps.schedule.saveBooking(canceled, current.version, at)) break;
        current = await deps.schedule.getBooking(current.booking_number);
      }
    }
  }
}
