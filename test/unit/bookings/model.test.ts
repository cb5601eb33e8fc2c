/**
 * Model-based: random sequences and permutations of the four booking events, with duplicates, for
 * one booking, checked against the reference model of CONTRACT §4/§6 in ./model.ts: first in memory
 * against applyToBooking, then through the real handlers and store (DynamoDB Local), in order and all
 * at once.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { applyToBooking, type BookingEvent } from '#lib/bookings/booking';
import type { BookingRecord } from '#lib/bookings/records';
import {
  type BookingEventType,
  type EventSpec,
  eventBody,
  expectedEventKey,
} from '../../reliability/support/events';
import { checkIntegrity, readLedger } from '../../reliability/support/ledger-audit';
import { recordResult } from '../../reliability/support/results';
import { type Rig, startRig } from '../../reliability/support/rig';
import { fastCheckSeed, sized } from '../../reliability/support/scale';
import { deliverUntilAccepted } from '../../reliability/support/wellhub';
import { expectedBooking, type ModelBooking, type ModelEvent } from './model';

/** Two distinct events of each type (different ids, or different bodies for check-ins): 8 in all. */
const POOL: ReadonlyArray<{ readonly type: BookingEventType; readonly copy: 0 | 1 }> = [
  { type: 'booking-requested', copy: 0 },
  { type: 'booking-requested', copy: 1 },
  { type: 'booking-canceled', copy: 0 },
  { type: 'booking-canceled', copy: 1 },
  { type: 'booking-late-canceled', copy: 0 },
  { type: 'booking-late-canceled', copy: 1 },
  { type: 'checkin-booking-occurred', copy: 0 },
  { type: 'checkin-booking-occurred', copy: 1 },
];

/** Indexes into POOL, repeats allowed: any permutation of any subset, with duplicates. */
const deliveries = fc.array(fc.integer({ min: 0, max: POOL.length - 1 }), { minLength: 1, maxLength: 14 });

const tally = { sequences: 0, deliveries: 0, storeSequences: 0, mismatches: 0 };

interface Sent extends ModelEvent {
  readonly body: string;
}

/** Bodies for one booking: `wellhubId` is new, so the first booking-requested creates its customer. */
function bookingEvents(bookingNumber: string, wellhubId: string): Sent[] {
  const now = Date.now();
  return POOL.map(({ type, copy }) => {
    const spec: EventSpec = {
      type,
      bookingNumber,
      wellhubId,
      ...(type === 'checkin-booking-occurred'
        ? { occurredAtMs: now - copy * 1_000 }
        : { eventId: randomUUID() }),
    };
    const body = JSON.stringify(eventBody(spec));
    return { key: expectedEventKey(spec, body), type, body };
  });
}

function domainEvent(sent: ModelEvent, index: number): BookingEvent {
  const base = { occurredAt: '2026-11-22T10:00:00.000Z', wellhubId: '1234567890123', gymId: '012345' };
  const slot = { id: 'SLOT-1', classId: '654321', bookingNumber: 'BK_MODEL' };
  const eventId = `e-${index}`;
  switch (sent.type) {
    case 'booking-requested':
      return { ...base, type: sent.type, eventId, slot, person: {} };
    case 'booking-canceled':
    case 'booking-late-canceled':
      return { ...base, type: sent.type, eventId, slot };
    case 'checkin-booking-occurred':
      return { ...base, type: sent.type, bookingNumber: slot.bookingNumber };
  }
}

/** The differences between a stored booking and the model's, described; empty when they agree. */
function differences(booking: BookingRecord | undefined, model: ModelBooking | undefined): string[] {
  if (model === undefined) return booking === undefined ? [] : ['a booking exists but no event was applied'];
  if (booking === undefined) return ['no booking was stored'];
  const problems: string[] = [];
  if (booking.status !== model.status) problems.push(`status ${booking.status}, model ${model.status}`);
  if (booking.version !== model.version) problems.push(`version ${booking.version}, model ${model.version}`);
  const stored = booking.history.map(
    (e) => `${e.event_type}:${e.event_key}:${e.status}:${e.conflict === true}`,
  );
  const wanted = model.history.map((e) => `${e.type}:${e.key}:${e.status}:${e.conflict}`);
  if (stored.join(',') !== wanted.join(','))
    problems.push(`history ${stored.join(', ')}; model ${wanted.join(', ')}`);
  if ((booking.slot_id !== undefined) !== model.hasSlot)
    problems.push(`slot_id ${booking.slot_id ?? 'missing'}`);
  if ((booking.customer_id !== undefined) !== model.hasCustomer)
    problems.push(`customer_id ${booking.customer_id ?? 'missing'}`);
  return problems;
}

describe('booking state against the reference model of CONTRACT §6', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(async () => {
    await rig.drain(120_000);
    const integrity = checkIntegrity(await readLedger(rig.endpoint, rig.tableName));
    recordResult({
      suite: 'model-booking-state',
      inputsTried: 0,
      eventsLost: 0,
      appliedTwice: integrity.appliedTwice,
      notes: {
        'model: sequences checked in memory': tally.sequences,
        'model: sequences checked through the store': tally.storeSequences,
        'model: deliveries through the store': tally.deliveries,
        'model: mismatches': tally.mismatches,
      },
    });
  });

  it('folds any sequence of distinct events to the model booking when applied in memory', () => {
    fc.assert(
      fc.property(deliveries, (indexes) => {
        tally.sequences++;
        const sent = indexes.map((i) => ({ key: `k${i}`, type: POOL[i]?.type ?? 'booking-requested' }));
        const model = expectedBooking(sent);
        // Duplicates never reach applyToBooking: the event record's condition stops them (§4).
        const seen = new Set<string>();
        let booking: BookingRecord | undefined;
        sent.forEach((event, index) => {
          if (seen.has(event.key)) return;
          seen.add(event.key);
          booking = applyToBooking(booking, domainEvent(event, index), {
            eventKey: event.key,
            receivedAt: new Date(1_800_000_000_000 + index).toISOString(),
            customerId: event.type === 'booking-requested' || booking?.customer_id ? 'c-1' : undefined,
          }).booking;
        });
        const problems = differences(booking, model);
        if (problems.length > 0) tally.mismatches++;
        expect(problems).toEqual([]);
      }),
      { numRuns: sized({ bounded: 2_000, full: 50_000 }), ...fastCheckSeed() },
    );
  });

  it(
    'stores the model booking for any sequence of deliveries, duplicates included, sent one after another',
    async () => {
      await fc.assert(
        fc.asyncProperty(deliveries, async (indexes) => {
          const bookingNumber = `BK_MODEL_${randomUUID()}`;
          const events = bookingEvents(
            bookingNumber,
            `9${String(Math.random()).slice(2, 14).padEnd(12, '0')}`,
          );
          const sent = indexes.map((i) => events[i] as Sent);
          for (const event of sent) {
            const reply = await rig.send(event.type, event.body);
            if (reply.status !== 200) throw new Error(`answered ${reply.status} ${reply.text}`);
            // One after another means each is applied before the next arrives.
            await rig.drain();
          }
          tally.storeSequences++;
          tally.deliveries += sent.length;
          const problems = differences(await rig.store.getBooking(bookingNumber), expectedBooking(sent));
          if (problems.length > 0) tally.mismatches++;
          expect(problems).toEqual([]);
        }),
        { numRuns: sized({ bounded: 20, full: 120 }), ...fastCheckSeed() },
      );
    },
    sized({ bounded: 90_000, full: 1_800_000 }),
  );

  it(
    'stores each event once, in an order the model agrees with, when all deliveries arrive at once',
    async () => {
      await fc.assert(
        fc.asyncProperty(deliveries, async (indexes) => {
          const bookingNumber = `BK_MODEL_${randomUUID()}`;
          const events = bookingEvents(
            bookingNumber,
            `8${String(Math.random()).slice(2, 14).padEnd(12, '0')}`,
          );
          const sent = indexes.map((i) => events[i] as Sent);
          const results = await Promise.all(
            sent.map((event) =>
              deliverUntilAccepted(() => rig.send(event.type, event.body), {
                retryDelayMs: 20,
                maxAttempts: 20,
              }),
            ),
          );
          if (results.some((result) => result.accepted === undefined))
            throw new Error('a delivery was never answered 200');
          tally.storeSequences++;
          tally.deliveries += results.reduce((n, result) => n + result.attempts.length, 0);
          await rig.drain();
          const booking = await rig.store.getBooking(bookingNumber);
          // The order the store serialised them in is one the model must accept as arrival order.
          const storedOrder = (booking?.history ?? []).map((entry) => ({
            key: entry.event_key,
            type: entry.event_type,
          }));
          const distinct = new Set(sent.map((event) => `${event.key}|${event.type}`));
          const problems = [
            ...differences(booking, expectedBooking(storedOrder as ModelEvent[])),
            ...(storedOrder.length === distinct.size &&
            storedOrder.every((e) => distinct.has(`${e.key}|${e.type}`))
              ? []
              : [`history holds ${storedOrder.length} events, ${distinct.size} distinct were sent`]),
          ];
          if (problems.length > 0) tally.mismatches++;
          expect(problems).toEqual([]);
        }),
        { numRuns: sized({ bounded: 20, full: 150 }), ...fastCheckSeed() },
      );
    },
    sized({ bounded: 60_000, full: 900_000 }),
  );
});
