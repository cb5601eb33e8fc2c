/**
 * Transaction conflicts under concurrency (CONTRACT §4, §7): many different events for one booking,
 * and first bookings of one new member, all at the same moment. The webhooks never collide (each
 * makes one write of its own event record), so none may answer 503; the worker's apply transactions
 * do (ConditionalCheckFailed on the booking's version, a customer claimed twice), and each loser must
 * be re-read and retried, never lost or applied twice.
 */
import { randomUUID } from 'node:crypto';
import { type EventSpec, eventBody, expectedEventKey, wellhubIdFrom } from './support/events';
import { readLedger } from './support/ledger-audit';
import { recordResult } from './support/results';
import { inPool, type Rig, startRig } from './support/rig';
import { sized } from './support/scale';
import {
  checkExactlyOnce,
  deliverUntilAccepted,
  type PlannedEvent,
  seededRandom,
  shuffle,
} from './support/wellhub';

const ROUNDS = sized({ bounded: 4, full: 30 });
const SEED = Number(process.env.RELIABILITY_SEED ?? Date.now() % 1_000_000);

function planned(spec: EventSpec): PlannedEvent {
  const body = JSON.stringify(eventBody(spec));
  return {
    type: spec.type,
    body,
    id: `${expectedEventKey(spec, body)}|${spec.type}`,
    bookingNumber: spec.type === 'checkin' ? undefined : spec.bookingNumber,
  };
}

/** Eight different events for one booking, and a first booking on each of four others by one new member. */
function collidingRound(random: () => number, round: number): PlannedEvent[] {
  const booking = `BK_RACE_${randomUUID().slice(0, 8)}`;
  const member = wellhubIdFrom(random);
  const now = Date.now();
  const sameBooking: EventSpec[] = [
    { type: 'booking-requested', bookingNumber: booking, wellhubId: member, eventId: randomUUID() },
    { type: 'booking-requested', bookingNumber: booking, wellhubId: member, eventId: randomUUID() },
    { type: 'booking-canceled', bookingNumber: booking, wellhubId: member, eventId: randomUUID() },
    { type: 'booking-canceled', bookingNumber: booking, wellhubId: member, eventId: randomUUID() },
    { type: 'booking-late-canceled', bookingNumber: booking, wellhubId: member, eventId: randomUUID() },
    { type: 'booking-late-canceled', bookingNumber: booking, wellhubId: member, eventId: randomUUID() },
    { type: 'checkin-booking-occurred', bookingNumber: booking, wellhubId: member, occurredAtMs: now },
    {
      type: 'checkin-booking-occurred',
      bookingNumber: booking,
      wellhubId: member,
      occurredAtMs: now - 1_000,
    },
  ];
  const newMember = wellhubIdFrom(random);
  const firstBookings: EventSpec[] = Array.from({ length: 4 }, (_, i) => ({
    type: 'booking-requested',
    bookingNumber: `BK_FIRST_${round}_${i}_${randomUUID().slice(0, 8)}`,
    wellhubId: newMember,
    eventId: randomUUID(),
  }));
  return shuffle(random, [...sameBooking, ...firstBookings]).map(planned);
}

describe('transaction conflicts under concurrency', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });

  it(
    'retries every write that loses a race, so that all colliding events are applied exactly once',
    async () => {
      const random = seededRandom(SEED);
      const plan: PlannedEvent[] = [];
      let unanswered = 0;
      let answered503 = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const events = collidingRound(random, round);
        plan.push(...events);
        // All at once, each delivered twice at the same moment as well, as Wellhub's retries do.
        const results = await inPool([...events, ...events], 24, (event) =>
          deliverUntilAccepted(() => rig.send(event.type, event.body), {
            retryDelayMs: 50,
            maxAttempts: 20,
            onAttempt: (attempt) => {
              if (attempt.status === 503) answered503++;
            },
          }),
        );
        unanswered += results.filter((result) => result.accepted === undefined).length;
      }

      await rig.drain(120_000);
      const ledger = await readLedger(rig.endpoint, rig.tableName);
      const result = checkExactlyOnce(plan, ledger);
      const customers = new Set(ledger.links.values());
      recordResult({
        suite: 'fault-contention',
        faults: { 'transaction conflict': rig.jobStore.commits.contended },
        distinctEvents: result.distinct,
        eventsLost: result.lost + unanswered,
        appliedTwice: result.appliedTwice,
        notes: {
          'contention: rounds of colliding events': ROUNDS,
          'contention: writes that lost a race and were re-read and retried': rig.jobStore.commits.contended,
          'contention: 503 answers (the request path has no race to lose)': answered503,
        },
      });

      expect(rig.jobStore.commits.contended).toBeGreaterThan(0);
      expect(unanswered).toBe(0);
      expect(answered503).toBe(0);
      expect(result.problems).toEqual([]);
      expect(rig.jobStore.commits.applied).toBe(result.distinct);
      expect(ledger.events.size).toBe(result.distinct);
      // One new member per round booked four classes at once: one profile each, never two.
      expect(ledger.customers.size).toBe(customers.size);
    },
    sized({ bounded: 60_000, full: 600_000 }),
  );
});
