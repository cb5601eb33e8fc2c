/**
 * Wellhub's side of the conversation: a plan of events for many bookings, and a sender that delivers
 * each event until it is answered 200, the way Wellhub retries anything else. Then the check that
 * every planned event landed exactly once.
 */
import { randomUUID } from 'node:crypto';
import type { EventType } from '#lib/wellhub/routes';
import { EMAILS, FIRST_NAMES, LAST_NAMES, PHONES } from '../../support/known-values';
import { expectedBooking, type ModelEventType } from '../../unit/bookings/model';
import { BOOKING_EVENT_TYPES, type EventSpec, eventBody, expectedEventKey, wellhubIdFrom } from './events';
import { checkIntegrity, type LedgerSnapshot } from './ledger-audit';
import type { Reply } from './rig';

/** A small seeded PRNG (mulberry32), so a load run can be repeated from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

export function shuffle<T>(random: () => number, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export interface PlannedEvent {
  readonly type: EventType;
  readonly body: string;
  /** `<idempotency key>|<event type>`, as the event record is keyed. */
  readonly id: string;
  readonly bookingNumber: string | undefined;
}

/**
 * About `count` distinct events: bookings that each get a random subset of the four booking events in
 * a random order, plus Access Control check-ins. Wellhub IDs repeat across bookings, so first bookings
 * of one member race to create their customer.
 */
export function planEvents(
  count: number,
  random: () => number,
  label = randomUUID().slice(0, 8),
): PlannedEvent[] {
  const members = Array.from({ length: Math.max(2, Math.ceil(count / 6)) }, () => wellhubIdFrom(random));
  const events: PlannedEvent[] = [];
  let booking = 0;
  const startedAt = Date.now();
  while (events.length < count) {
    const wellhubId = pick(random, members);
    const person = {
      firstName: pick(random, FIRST_NAMES),
      lastName: pick(random, LAST_NAMES),
      email: pick(random, EMAILS),
      phone: pick(random, PHONES),
    };
    if (random() < 0.1) {
      const spec: EventSpec = {
        type: 'checkin',
        bookingNumber: '',
        wellhubId,
        person,
        occurredAtMs: startedAt - booking * 1000,
      };
      events.push(planned(spec, undefined));
      booking++;
      continue;
    }
    const bookingNumber = `BK_${label}_${booking++}`;
    const types = shuffle(random, BOOKING_EVENT_TYPES).slice(0, 1 + Math.floor(random() * 4));
    for (const type of types) {
      const spec: EventSpec = {
        type,
        bookingNumber,
        wellhubId,
        person,
        ...(type === 'checkin-booking-occurred' ? {} : { eventId: randomUUID() }),
      };
      events.push(planned(spec, bookingNumber));
    }
  }
  return events;
}

function planned(spec: EventSpec, bookingNumber: string | undefined): PlannedEvent {
  const body = JSON.stringify(eventBody(spec));
  return { type: spec.type, body, id: `${expectedEventKey(spec, body)}|${spec.type}`, bookingNumber };
}

export interface Attempt {
  readonly status: number;
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface Delivered {
  readonly accepted: Reply | undefined;
  readonly attempts: readonly Attempt[];
}

/** Sends until a 200 comes back (Wellhub retries anything else), at most `maxAttempts` times. */
export async function deliverUntilAccepted(
  send: () => Promise<Reply>,
  options: {
    readonly retryDelayMs: number;
    readonly maxAttempts: number;
    readonly onAttempt?: (attempt: Attempt, reply: Reply) => void;
  },
): Promise<Delivered> {
  const attempts: Attempt[] = [];
  for (let i = 0; i < options.maxAttempts; i++) {
    const startedAt = performance.now();
    const reply = await send();
    const attempt = { status: reply.status, startedAt, endedAt: performance.now() };
    attempts.push(attempt);
    options.onAttempt?.(attempt, reply);
    if (reply.status === 200) return { accepted: reply, attempts };
    await sleep(options.retryDelayMs);
  }
  return { accepted: undefined, attempts };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface ExactlyOnce {
  readonly distinct: number;
  readonly lost: number;
  readonly appliedTwice: number;
  readonly problems: string[];
}

/**
 * Every planned event has its event record, applied (audited after the pipeline drained), and, for
 * booking events, exactly one entry in its
 * booking's history; nothing else was applied; each booking's history replays through the reference
 * model of CONTRACT §6 to the statuses and conflict flags stored.
 */
export function checkExactlyOnce(plan: readonly PlannedEvent[], ledger: LedgerSnapshot): ExactlyOnce {
  const integrity = checkIntegrity(ledger);
  const problems = [...integrity.problems];
  const distinct = new Map(plan.map((event) => [event.id, event]));
  let lost = 0;
  for (const [id, event] of distinct) {
    const record = ledger.events.get(id);
    const inHistory =
      event.bookingNumber === undefined ||
      ledger.bookings
        .get(event.bookingNumber)
        ?.history.some((entry) => `${entry.event_key}|${entry.event_type}` === id);
    if (record === undefined || record.state !== 'APPLIED' || !inHistory) lost++;
  }
  for (const id of ledger.events.keys()) if (!distinct.has(id)) problems.push(`event ${id} was never sent`);

  for (const booking of ledger.bookings.values()) {
    const stored = booking.history.map((entry) => ({
      key: entry.event_key,
      type: entry.event_type as ModelEventType,
    }));
    const model = expectedBooking(stored);
    const same =
      model !== undefined &&
      model.status === booking.status &&
      model.history.every(
        (entry, index) =>
          entry.status === booking.history[index]?.status &&
          entry.conflict === (booking.history[index]?.conflict === true),
      );
    if (!same) problems.push(`booking ${booking.booking_number}: statuses differ from CONTRACT §6's model`);
  }
  if (lost > 0) problems.push(`${lost} events lost`);
  return { distinct: distinct.size, lost, appliedTwice: integrity.appliedTwice, problems };
}
