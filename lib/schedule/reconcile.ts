import type { WellhubSlot } from '#lib/wellhub-api/types';
import type { DriftRecord, GymSlotRecord } from './records';

/**
 * Reconcile's decision (CONTRACT §10), pure: our published slots against what Wellhub lists for the
 * horizon. A slot Wellhub lost is created again; counts or capacity that differ are sent again; a
 * slot at Wellhub that we never created is reported, never deleted.
 */
export interface SlotAtWellhub {
  readonly id: number | string;
  readonly class_id?: number | string | undefined;
  readonly occur_date: string;
  readonly total_capacity?: number | undefined;
  readonly total_booked?: number | undefined;
}

export type Repair =
  | { readonly kind: 'recreate'; readonly reference: string }
  | { readonly kind: 'resend'; readonly reference: string; readonly published: WellhubSlot };

export interface ReconcilePlan {
  readonly repairs: readonly Repair[];
  readonly strangers: readonly DriftRecord[];
}

export function planReconcile(
  gymId: string,
  ours: readonly GymSlotRecord[],
  theirs: readonly SlotAtWellhub[],
  at: Date,
): ReconcilePlan {
  const atWellhub = new Map(theirs.map((slot) => [String(slot.id), slot]));
  const known = new Set(
    ours.flatMap((slot) => [
      ...(slot.previous_wellhub_slot_ids ?? []),
      ...(slot.wellhub_slot_id ? [slot.wellhub_slot_id] : []),
    ]),
  );
  const repairs: Repair[] = [];
  for (const slot of ours) {
    // A slot with a publication under way is being put right already.
    const owed = (slot as { work_queue?: string }).work_queue !== undefined;
    if (
      slot.status !== 'active' ||
      slot.wellhub_slot_id === undefined ||
      slot.published === undefined ||
      owed
    )
      continue;
    const there = atWellhub.get(slot.wellhub_slot_id);
    if (there === undefined) {
      repairs.push({ kind: 'recreate', reference: slot.reference });
      continue;
    }
    const { total_capacity: capacity, total_booked: booked } = slot.published;
    if (there.total_capacity !== capacity || there.total_booked !== booked) {
      repairs.push({
        kind: 'resend',
        reference: slot.reference,
        // What Wellhub holds now: the publication's plan then sends the difference as a PATCH.
        published: {
          ...slot.published,
          total_capacity: there.total_capacity ?? -1,
          total_booked: there.total_booked ?? -1,
        },
      });
    }
  }
  const strangers = theirs
    .filter((slot) => !known.has(String(slot.id)))
    .map(
      (slot): DriftRecord => ({
        gym_id: gymId,
        wellhub_slot_id: String(slot.id),
        wellhub_class_id: String(slot.class_id ?? ''),
        occur_date: slot.occur_date,
        problem: 'a slot at Wellhub that this service did not create: left as it is',
        found_at: at.toISOString(),
      }),
    );
  return { repairs, strangers };
}
