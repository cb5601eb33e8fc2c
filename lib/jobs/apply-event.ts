import { type ApplyOptions, type ApplyState, decideApply, type EventChange } from '#lib/bookings/apply-event';
import type { EventRecord } from '#lib/bookings/records';

/** What applying events needs from storage; the DynamoDB store in lib/store implements it. */
export interface ApplyStore {
  loadApplyState(bookingNumber: string | undefined, wellhubId: string): Promise<ApplyState>;
  /**
   * The event's record moves from `RECEIVED` to `APPLIED` together with every change it makes.
   * `done`: it was not `RECEIVED` any more (applied by someone else, or failed); `contended`: another
   * event changed the same booking or customer first.
   */
  commitApplied(change: EventChange, at: Date): Promise<'applied' | 'done' | 'contended'>;
}

export type ApplyResult =
  | { readonly outcome: 'applied'; readonly change: EventChange }
  | { readonly outcome: 'done' };

/** Two events of one booking applied at once: re-read and decide again, a few times before giving up. */
const MAX_RACES = 8;

export class LostRaces extends Error {
  override readonly name = 'LostRaces';
}

/** Load, decide, write: applies one received event exactly once, however often it is run. */
export async function applyEvent(
  store: ApplyStore,
  record: EventRecord,
  at: Date,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  for (let race = 1; race <= MAX_RACES; race++) {
    const state = await store.loadApplyState(record.booking_number, record.wellhub_id);
    const change = decideApply(record, state, options);
    const result = await store.commitApplied(change, at);
    if (result === 'applied') return { outcome: 'applied', change };
    if (result === 'done') return { outcome: 'done' };
  }
  throw new LostRaces(`lost ${MAX_RACES} write races in a row to other events of the same booking`);
}
