/**
 * The loop's promises, checked once the storm is over against the local Wellhub's state (what
 * Wellhub was told, and when) and our records (read straight from the table): every request
 * answered in time, never two statuses, no slot over its seats, seats equal to reservations, every
 * booked check-in paid, and the schedule at Wellhub equal to ours.
 */
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { BookingRecord } from '#lib/bookings/records';
import type { RecordedCall } from '#lib/local-wellhub/control';
import { ANSWER_WINDOW_MS } from '#lib/local-wellhub/rules';
import type { GymSlotRecord } from '#lib/schedule/records';
import type { LoopStack } from './loop-stack';
import type { Requested, SlotInPlay, StormLedger } from './loop-storm';

/** A reply Wellhub sent this long before a crash, an outage or a database stop may never have been recorded. */
const REPLY_AT_RISK_MS = 7_000;
const ANSWER_PATH = /^\/booking\/v2\/gyms\/\d+\/bookings\/([^/]+)$/;
const DECISIONS = new Set(['RESERVED', 'REJECTED']);
const MEMBER_CANCELED = new Set(['CANCELED', 'LATE_CANCELED']);

export interface LoopFindings {
  /** Requests whose webhook reached us (a 2xx) or that we hold anyway. */
  readonly requestsOwed: number;
  /** Webhooks of a request or a check-in acknowledged with a 2xx and missing from our records. */
  readonly eventsLost: number;
  /** Events that appear twice in a booking's history. */
  readonly appliedTwice: number;
  readonly answeredOnTime: number;
  readonly answeredLate: number;
  readonly wellhubTimeouts: number;
  readonly unanswered: number;
  /** The member canceled, or the gym canceled the slot, before any answer: nothing was owed. */
  readonly endedBeforeAnswer: number;
  /** Answers Wellhub refused with a 4xx (injected): its last word, so they are not unanswered. */
  readonly refusedByWellhub: number;
  readonly contradictory: number;
  /** An answer sent again after Wellhub's 2xx reached us. */
  readonly sentAfterDelivery: number;
  /** An answer sent again after a 2xx we may never have seen (a fault, a crash): allowed, counted. */
  readonly repeatedAfterLostReply: number;
  readonly overbookedSlots: number;
  readonly seatMismatches: number;
  readonly checkinsOwed: number;
  readonly checkinsValidated: number;
  readonly checkinsUnpaid: number;
  readonly scheduleDrift: number;
  /** Most requests on hot slots acknowledged and awaiting their answer at the same moment. */
  readonly hotPeakAwaiting: number;
  /** Request timestamp → Wellhub took the answer, ms, for every request answered. */
  readonly answerLatencies: readonly number[];
  /** One line per broken promise (the first few of each kind). */
  readonly problems: readonly string[];
}

/** What the audit reads of the stack: the local Wellhub's state and the calls it received. */
export type WellhubSide = Pick<LoopStack, 'wellhub'>;

export interface OurRecords {
  readonly bookings: Map<string, BookingRecord>;
  readonly slots: Map<string, GymSlotRecord>;
}

export async function readOurRecords(stack: LoopStack, tableName: string): Promise<OurRecords> {
  const client = new DynamoDBClient({ endpoint: stack.database.endpoint });
  const bookings = new Map<string, BookingRecord>();
  const slots = new Map<string, GymSlotRecord>();
  try {
    for await (const page of paginateScan({ client }, { TableName: tableName, ConsistentRead: true })) {
      for (const raw of page.Items ?? []) {
        const item = unmarshall(raw);
        if (String(item.pk).startsWith('BOOKING#') && item.sk === 'BOOKING')
          bookings.set(String(item.booking_number), item as BookingRecord);
        if (String(item.pk).startsWith('SLOT#') && item.sk === 'SLOT')
          slots.set(String(item.reference), item as GymSlotRecord);
      }
    }
  } finally {
    client.destroy();
  }
  return { bookings, slots };
}

/** Only the slots in play, read one by one: cheap enough to poll while the loop settles. */
export async function readOurSlots(stack: LoopStack, ledger: StormLedger): Promise<OurRecords> {
  const slots = new Map<string, GymSlotRecord>();
  for (const slot of ledger.slots) {
    const record = await stack.store.schedule.getSlot(slot.reference);
    if (record) slots.set(slot.reference, record);
  }
  return { bookings: new Map(), slots };
}

/** Slots whose state at Wellhub differs from ours (capacity, seats booked, canceled or not). */
export function scheduleDrift(stack: WellhubSide, ledger: StormLedger, ours: OurRecords): string[] {
  const drift: string[] = [];
  for (const slot of ledger.slots) {
    const record = ours.slots.get(slot.reference);
    const id = Number(record?.wellhub_slot_id);
    const theirs = stack.wellhub.state.slots.get(id);
    if (!record || !theirs) {
      drift.push(`${slot.reference}: ${record ? 'missing at Wellhub' : 'missing in our records'}`);
      continue;
    }
    if (record.status === 'canceled') {
      if (!theirs.deleted_at) drift.push(`${slot.reference}: canceled here, still live at Wellhub`);
      continue;
    }
    const want = {
      total_capacity: record.total_capacity,
      total_booked: record.wellhub_reserved + record.booked_elsewhere,
    };
    const got = { total_capacity: theirs.fields.total_capacity, total_booked: theirs.fields.total_booked };
    if (
      theirs.deleted_at ||
      want.total_capacity !== got.total_capacity ||
      want.total_booked !== got.total_booked
    )
      drift.push(
        `${slot.reference}: ours ${JSON.stringify(want)}, Wellhub ${JSON.stringify(got)}${theirs.deleted_at ? ' (deleted)' : ''}`,
      );
  }
  return drift;
}

/** What is still owed once the faults ended: unanswered requests and unvalidated check-ins. */
export function stillOwed(
  stack: WellhubSide,
  ledger: StormLedger,
): { answers: number; validations: number; gymCancellations: number } {
  const { state } = stack.wellhub;
  const gymCancellations = ledger.gym.bookingsCanceled.filter(
    (n) => state.bookings.get(n)?.status === 'RESERVED',
  ).length;
  const refused = finallyRefused(stack.wellhub.calls);
  const answers = ledger.requests.filter(
    (r) => r.delivered && !refused.has(r.number) && state.bookings.get(r.number)?.status === 'REQUESTED',
  ).length;
  const validations = checkinsOwed(stack, ledger).filter(
    (number) => !validatedAtWellhub(stack, number),
  ).length;
  return { answers, validations, gymCancellations };
}

function checkinsOwed(stack: WellhubSide, ledger: StormLedger): string[] {
  const canceledByGym = new Set(ledger.gym.bookingsCanceled);
  return ledger.checkins
    .filter((c) => c.delivered && !canceledByGym.has(c.number))
    .filter((c) => stack.wellhub.state.bookings.get(c.number)?.status === 'RESERVED')
    .map((c) => c.number);
}

function validatedAtWellhub(stack: WellhubSide, bookingNumber: string): boolean {
  return stack.wellhub.state.checkins.some(
    (c) => c.booking_number === bookingNumber && c.validated_at !== undefined,
  );
}

export function auditLoop(
  stack: WellhubSide,
  ledger: StormLedger,
  ours: OurRecords,
  drift: readonly string[],
): LoopFindings {
  const { state } = stack.wellhub;
  const problems: string[] = [];
  const problem = (kind: string, line: string) => {
    if (problems.filter((p) => p.startsWith(kind)).length < 5) problems.push(`${kind}: ${line}`);
  };
  const calls = answerCallsByBooking(stack.wellhub.calls);
  const refused = finallyRefused(stack.wellhub.calls);
  const atRisk = replyAtRisk(ledger);

  let answeredOnTime = 0;
  let answeredLate = 0;
  let wellhubTimeouts = 0;
  let unanswered = 0;
  let endedBeforeAnswer = 0;
  let refusedByWellhub = 0;
  let contradictory = 0;
  let sentAfterDelivery = 0;
  let repeatedAfterLostReply = 0;
  const answerLatencies: number[] = [];
  let requestsOwed = 0;
  for (const request of ledger.requests) {
    const booking = state.bookings.get(request.number);
    const record = ours.bookings.get(request.number);
    if (!booking || (!request.delivered && !record)) continue;
    requestsOwed++;
    const sent = calls.get(request.number) ?? [];
    const statuses = new Set(sent.map((c) => status(c)).filter((s) => DECISIONS.has(s)));
    if (statuses.size > 1) {
      contradictory++;
      problem('two statuses', `${request.number} was sent ${[...statuses].join(' and ')}`);
    }
    const decisions = sent.filter((c) => DECISIONS.has(status(c)));
    const seen = decisions.findIndex((c) => ok(c) && c.fault === undefined && !atRisk(Date.parse(c.at)));
    const taken = decisions.findIndex((c) => ok(c));
    if (seen >= 0 && decisions.length > seen + 1) {
      sentAfterDelivery++;
      problem(
        'sent after delivery',
        `${request.number}: ${decisions.map((c) => `${c.at} ${c.status}`).join(', ')}`,
      );
    } else if (taken >= 0 && decisions.length > taken + 1) repeatedAfterLostReply++;

    const accepted = booking.answers.find(
      (a) => a.http_status < 300 && DECISIONS.has(String((a.body as { status?: unknown })?.status)),
    );
    if (booking.ended_by === 'wellhub_timeout' || record?.rejected_by === 'wellhub_timeout') {
      wellhubTimeouts++;
      problem(
        'wellhub_timeout',
        `${request.number} requested at ${new Date(booking.timestamp).toISOString()}`,
      );
    } else if (accepted) {
      const latency = Date.parse(accepted.at) - booking.timestamp;
      answerLatencies.push(latency);
      if (latency <= ANSWER_WINDOW_MS) answeredOnTime++;
      else answeredLate++;
    } else if (MEMBER_CANCELED.has(booking.status) || booking.ended_by === 'slot_deleted') {
      endedBeforeAnswer++;
    } else if (record?.answer?.state === 'refused' && refused.has(request.number)) {
      // Wellhub's 4xx to the answer is its last word: the seat is released and nothing is sent again.
      refusedByWellhub++;
    } else if (booking.status === 'REQUESTED') {
      unanswered++;
      problem(
        'unanswered',
        `${request.number} (ours: ${record?.answer?.state ?? 'no record'}, ${record?.answer?.status ?? '-'})`,
      );
    } else {
      unanswered++;
      problem('unanswered', `${request.number} is ${booking.status} at Wellhub with no answer taken`);
    }
  }

  let eventsLost = 0;
  for (const request of ledger.requests) {
    if (request.delivered && !ours.bookings.has(request.number)) {
      eventsLost++;
      problem('lost', `request ${request.number} was acknowledged and is not in our records`);
    }
  }
  for (const checkin of ledger.checkins) {
    const history = ours.bookings.get(checkin.number)?.history ?? [];
    if (checkin.delivered && !history.some((h) => h.event_type === 'checkin-booking-occurred')) {
      eventsLost++;
      problem('lost', `check-in of ${checkin.number} was acknowledged and is not in its history`);
    }
  }
  let appliedTwice = 0;
  for (const booking of ours.bookings.values()) {
    const keys = booking.history.map((h) => h.event_key);
    if (new Set(keys).size !== keys.length) {
      appliedTwice++;
      problem(
        'applied twice',
        `${booking.booking_number}: ${booking.history.map((h) => h.event_type).join(', ')}`,
      );
    }
  }

  const overbookedSlots = ledger.slots.filter((slot) => overbooked(slot, stack, ours, problem)).length;
  const seatMismatches = ledger.slots.filter((slot) =>
    seatsDiffer(slot, stack, ledger, ours, problem),
  ).length;
  const owedCheckins = checkinsOwed(stack, ledger);
  const unpaid = owedCheckins.filter((number) => !validatedAtWellhub(stack, number));
  for (const number of unpaid.slice(0, 5))
    problem(
      'unpaid',
      `${number}: ${JSON.stringify(ours.bookings.get(number)?.validation ?? 'no validation')}`,
    );
  for (const line of drift.slice(0, 5)) problem('drift', line);
  return {
    requestsOwed,
    hotPeakAwaiting: peakAwaiting(
      stack,
      ledger.requests.filter((r) => r.hot && r.delivered),
    ),
    eventsLost,
    appliedTwice,
    answeredOnTime,
    answeredLate,
    wellhubTimeouts,
    unanswered,
    endedBeforeAnswer,
    refusedByWellhub,
    contradictory,
    sentAfterDelivery,
    repeatedAfterLostReply,
    overbookedSlots,
    seatMismatches,
    checkinsOwed: owedCheckins.length,
    checkinsValidated: owedCheckins.length - unpaid.length,
    checkinsUnpaid: unpaid.length,
    scheduleDrift: drift.length,
    answerLatencies,
    problems,
  };
}

const status = (call: RecordedCall) => String((call.body as { status?: unknown } | undefined)?.status);
const ok = (call: RecordedCall) => call.status !== undefined && call.status >= 200 && call.status < 300;

function answerCallsByBooking(calls: readonly RecordedCall[]): Map<string, RecordedCall[]> {
  const byBooking = new Map<string, RecordedCall[]>();
  for (const call of calls) {
    const number = call.method === 'PATCH' ? ANSWER_PATH.exec(call.path)?.[1] : undefined;
    if (number === undefined) continue;
    byBooking.set(number, [...(byBooking.get(number) ?? []), call]);
  }
  return byBooking;
}

/** Most of these requests awaiting their answer at once: from the member's request to Wellhub taking the answer (or the request ending). */
function peakAwaiting(stack: WellhubSide, requests: readonly Requested[]): number {
  const moves: Array<[number, number]> = [];
  for (const request of requests) {
    const booking = stack.wellhub.state.bookings.get(request.number);
    if (!booking) continue;
    const answered = booking.answers.find((a) => a.http_status < 300)?.at ?? booking.ended_at;
    moves.push([booking.timestamp, 1]);
    moves.push([answered === undefined ? Number.POSITIVE_INFINITY : Date.parse(answered), -1]);
  }
  return mostAtOnce(moves);
}

/**
 * The highest count reached by a set of +1/-1 moves in time. At the same instant the -1s go first: a
 * seat freed and taken in one millisecond is not two.
 */
function mostAtOnce(moves: Array<[number, number]>): number {
  moves.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let count = 0;
  let most = 0;
  for (const [, move] of moves) {
    count += move;
    most = Math.max(most, count);
  }
  return most;
}

/** Bookings whose answer Wellhub refused with a 4xx that is final (not 401, not 429). */
function finallyRefused(calls: readonly RecordedCall[]): Set<string> {
  const refused = new Set<string>();
  for (const [number, sent] of answerCallsByBooking(calls)) {
    if (
      sent.some(
        (c) =>
          c.status !== undefined && c.status >= 400 && c.status < 500 && c.status !== 401 && c.status !== 429,
      )
    )
      refused.add(number);
  }
  return refused;
}

/** Whether a reply Wellhub sent at `at` may have died with the service, the connection or the database. */
function replyAtRisk(ledger: StormLedger): (at: number) => boolean {
  const windows = ledger.episodes
    .filter((e) => e.kind === 'crash' || e.kind === 'connection refused' || e.kind === 'database restart')
    .map(
      (e) =>
        [
          e.startedAt - REPLY_AT_RISK_MS,
          e.kind === 'database restart' ? (e.endedAt ?? Date.now()) : e.startedAt,
        ] as const,
    );
  return (at) => windows.some(([from, to]) => at >= from && at <= to);
}

/**
 * Most members holding a seat at once, replayed from Wellhub's side: a seat from the reservation
 * Wellhub took, until the member left or we released it, whichever came first.
 */
function overbooked(
  slot: SlotInPlay,
  stack: WellhubSide,
  ours: OurRecords,
  problem: (k: string, l: string) => void,
): boolean {
  const moves: Array<[number, number]> = [];
  for (const booking of stack.wellhub.state.bookings.values()) {
    if (booking.slot_id !== slot.wellhubSlotId) continue;
    const reserved = booking.answers.find(
      (a) => a.http_status < 300 && (a.body as { status?: unknown })?.status === 'RESERVED',
    );
    if (!reserved) continue;
    const released = [
      booking.status !== 'RESERVED' ? booking.ended_at : undefined,
      ours.bookings.get(booking.booking_number)?.seat?.released_at,
    ]
      .filter((at): at is string => at !== undefined)
      .map(Date.parse);
    moves.push([Date.parse(reserved.at), 1]);
    if (released.length > 0) moves.push([Math.min(...released), -1]);
  }
  const most = mostAtOnce(moves);
  const record = ours.slots.get(slot.reference);
  const reservedHere = record?.wellhub_reserved ?? 0;
  if (most <= slot.maxAllowance && reservedHere <= slot.maxAllowance) return false;
  problem(
    'overbooked',
    `${slot.reference}: ${most} held at Wellhub at once, ${reservedHere} here, at most ${slot.maxAllowance} allowed`,
  );
  return true;
}

/** Our seat count, our reserved bookings holding a seat, and Wellhub's reservations must agree. */
function seatsDiffer(
  slot: SlotInPlay,
  stack: WellhubSide,
  ledger: StormLedger,
  ours: OurRecords,
  problem: (k: string, l: string) => void,
): boolean {
  const counted = ours.slots.get(slot.reference)?.wellhub_reserved ?? 0;
  const holding = [...ours.bookings.values()].filter(
    (b) => b.seat?.slot_reference === slot.reference && b.seat.released_at === undefined,
  );
  const reservedHere = holding.filter((b) => b.status === 'RESERVED' || b.status === 'CHECKED_IN').length;
  const held = new Set(holding.map((b) => b.booking_number));
  // A member's cancellation whose webhook Wellhub could not deliver (the service was down) leaves the
  // seat held here and not there: that is the gym never hearing, not a miscount.
  const unheard = new Set(ledger.undeliveredCancels);
  const atWellhub = [...stack.wellhub.state.bookings.values()].filter(
    (b) =>
      b.slot_id === slot.wellhubSlotId &&
      (b.status === 'RESERVED' || (unheard.has(b.booking_number) && held.has(b.booking_number))),
  ).length;
  if (counted === holding.length && holding.length === reservedHere && reservedHere === atWellhub)
    return false;
  const odd = [...stack.wellhub.state.bookings.values()]
    .filter((b) => b.slot_id === slot.wellhubSlotId && b.status === 'RESERVED' && !held.has(b.booking_number))
    .map((b) => {
      const record = ours.bookings.get(b.booking_number);
      return `${b.booking_number} here ${record?.status} answer ${JSON.stringify(record?.answer)} seat ${JSON.stringify(record?.seat)} gym ${JSON.stringify(record?.gym_cancellation)} work ${record?.work_at} ${record?.work_queue}`;
    });
  problem(
    'seats',
    `${slot.reference}: counted ${counted}, held ${holding.length}, reserved here ${reservedHere}, at Wellhub ${atWellhub}${odd.length > 0 ? `; reserved at Wellhub only: ${odd.join('; ')}` : ''}`,
  );
  return true;
}
