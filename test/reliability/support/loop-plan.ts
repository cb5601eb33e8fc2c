/**
 * What the loop storm does, at either size: the schedule it books into, the members' mix of actions,
 * the gym's changes, and the Wellhub faults, crashes and database restarts it injects while the
 * members keep booking. Each episode starts when the storm has issued its share of the requests, so
 * that every fault lands on a loop under load.
 */
import { sized } from './scale';

export type EpisodeKind =
  | '5xx burst'
  | '429 with Retry-After'
  | 'slower than the client timeout'
  | 'connection refused'
  | '401 token revoked'
  | '4xx refusals'
  | 'crash'
  | 'database restart';

export interface Episode {
  readonly kind: EpisodeKind;
  /** How long it lasts (outage, revoked token, service or database down). */
  readonly ms?: number;
  /** How many calls it answers wrongly (bursts and refusals). */
  readonly calls?: number;
}

export interface StormPlan {
  readonly hotSlots: number;
  /** Seats for Wellhub members on a hot slot (its `wellhub_limit`). */
  readonly hotSeats: number;
  readonly normalSlots: number;
  readonly normalCapacity: number;
  /** Slots the gym cancels during the storm. */
  readonly slotsCanceled: number;
  /** Booking requests in all, the hot burst included. */
  readonly requests: number;
  /** Requests on the hot slots at the start, far more than their seats. */
  readonly hotBurst: number;
  /**
   * Wellhub's deliveries of the hot burst in flight at once. Sent all at the same instant, hundreds
   * of webhooks outrun what one local process and DynamoDB Local write in Wellhub's 1 s, and the few
   * that land make no contention; sent as fast as the receiver answers, every request lands and
   * hundreds await their decision at once (the figure the run checks).
   */
  readonly hotSenders: number;
  /** Members acting at once in the rest of the storm. */
  readonly concurrency: number;
  readonly shares: {
    readonly cancel: number;
    readonly lateCancel: number;
    readonly checkin: number;
    /** Webhooks Wellhub sends again later with the same body. */
    readonly duplicate: number;
    /** Requests from a member who already booked that slot. */
    readonly sameMember: number;
  };
  /** One gym change (capacity, outside sales, a canceled slot or booking) every this many requests. */
  readonly gymChangeEvery: number;
  readonly episodes: readonly Episode[];
  /** The sweeper's interval in `npm start`. */
  readonly sweepEverySeconds: number;
  /** How long the loop gets to settle once the faults end. */
  readonly settleLimitMs: number;
}

export const STORM_PLAN: StormPlan = sized<StormPlan>({
  bounded: {
    hotSlots: 2,
    hotSeats: 8,
    normalSlots: 12,
    normalCapacity: 30,
    slotsCanceled: 1,
    requests: 220,
    hotBurst: 60,
    hotSenders: 16,
    concurrency: 12,
    shares: { cancel: 0.12, lateCancel: 0.05, checkin: 0.3, duplicate: 0.1, sameMember: 0.05 },
    gymChangeEvery: 12,
    episodes: [
      { kind: '5xx burst', calls: 12 },
      { kind: '429 with Retry-After', calls: 6 },
      { kind: 'crash', ms: 500 },
      { kind: 'slower than the client timeout', calls: 3 },
      { kind: 'connection refused', ms: 6_000 },
      { kind: '401 token revoked', ms: 3_000 },
      { kind: '4xx refusals', calls: 2 },
      { kind: 'database restart', ms: 2_000 },
    ],
    sweepEverySeconds: 2,
    settleLimitMs: 240_000,
  },
  full: {
    hotSlots: 10,
    hotSeats: 10,
    normalSlots: 120,
    normalCapacity: 40,
    slotsCanceled: 6,
    requests: 5_400,
    hotBurst: 900,
    hotSenders: 16,
    concurrency: 32,
    shares: { cancel: 0.12, lateCancel: 0.05, checkin: 0.3, duplicate: 0.1, sameMember: 0.03 },
    gymChangeEvery: 25,
    episodes: [
      { kind: '5xx burst', calls: 60 },
      { kind: 'crash', ms: 1_000 },
      { kind: '429 with Retry-After', calls: 40 },
      { kind: 'slower than the client timeout', calls: 12 },
      { kind: 'crash', ms: 3_000 },
      { kind: 'connection refused', ms: 120_000 },
      { kind: 'crash', ms: 500 },
      { kind: '401 token revoked', ms: 60_000 },
      { kind: '4xx refusals', calls: 8 },
      { kind: 'database restart', ms: 5_000 },
      { kind: 'crash', ms: 2_000 },
      { kind: '5xx burst', calls: 60 },
      { kind: 'crash', ms: 1_000 },
      { kind: 'database restart', ms: 2_000 },
    ],
    // The deployed schedule: the sweeper every minute.
    sweepEverySeconds: 60,
    settleLimitMs: 600_000,
  },
});
