/**
 * A reference model of CONTRACT §4 and §6 for one booking, written from the contract's sentences
 * rather than from lib/bookings: it states the outcome of a whole sequence of deliveries at once
 * ("the first terminal event wins") instead of stepping a state machine, so that the two can disagree.
 *
 * - §4: an event is applied once; every later delivery of it (a retry, a replay) changes nothing.
 * - §6: whatever arrives first creates the record; `booking-requested` fills in details but never
 *   reopens a canceled or checked-in booking; the first terminal event fixes the status for good; a
 *   later terminal event that disagrees is kept in the history with a conflict flag.
 */
export type ModelEventType =
  | 'booking-requested'
  | 'booking-canceled'
  | 'booking-late-canceled'
  | 'checkin-booking-occurred';

export type ModelStatus = 'REQUESTED' | 'CANCELED' | 'LATE_CANCELED' | 'CHECKED_IN';

export interface ModelEvent {
  /** The idempotency key: the event id, or the body hash of events sent without one. */
  readonly key: string;
  readonly type: ModelEventType;
}

export interface ModelEntry extends ModelEvent {
  readonly status: ModelStatus;
  readonly conflict: boolean;
}

export interface ModelBooking {
  readonly status: ModelStatus;
  readonly history: readonly ModelEntry[];
  readonly version: number;
  /** Slot and class are known once any event that carries a slot has been applied. */
  readonly hasSlot: boolean;
  /** A Wellhub ID seen nowhere else gets a customer from its first `booking-requested` (§7). */
  readonly hasCustomer: boolean;
}

/** What each event says about the booking, on its own. */
const SAYS: Record<ModelEventType, ModelStatus> = {
  'booking-requested': 'REQUESTED',
  'booking-canceled': 'CANCELED',
  'booking-late-canceled': 'LATE_CANCELED',
  'checkin-booking-occurred': 'CHECKED_IN',
};

const isTerminal = (type: ModelEventType): boolean => type !== 'booking-requested';

/** The booking after `deliveries`, in arrival order, duplicates included; undefined if none. */
export function expectedBooking(deliveries: readonly ModelEvent[]): ModelBooking | undefined {
  const seen = new Set<string>();
  const applied = deliveries.filter((event) => {
    const id = `${event.key}|${event.type}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  if (applied.length === 0) return undefined;

  const history = applied.map((event, index): ModelEntry => {
    const fixedBy = applied.slice(0, index).find((earlier) => isTerminal(earlier.type));
    if (fixedBy === undefined) {
      return { ...event, status: isTerminal(event.type) ? SAYS[event.type] : 'REQUESTED', conflict: false };
    }
    const status = SAYS[fixedBy.type];
    return { ...event, status, conflict: isTerminal(event.type) && SAYS[event.type] !== status };
  });
  const last = history.at(-1) as ModelEntry;
  return {
    status: last.status,
    history,
    version: history.length,
    hasSlot: applied.some((event) => event.type !== 'checkin-booking-occurred'),
    hasCustomer: applied.some((event) => event.type === 'booking-requested'),
  };
}
