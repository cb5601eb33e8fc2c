/**
 * A gym's first schedule in one file: a few new classes and 1,000 slots, all within the horizon,
 * through `importSchedule` (what `ops schedule import` runs), then published by the stream as it
 * would be deployed. Timed from the start of the import: until the local Wellhub received the last
 * slot (its own clock, the same Date.now), and until a read of the table finds every slot
 * `published`. Every call the local Wellhub received meanwhile is counted: one POST per slot is the
 * least there can be, and a lookup or a second POST is a create that was not sure of itself. The
 * same file imported again must change nothing, and so call Wellhub for nothing.
 */
import type { RecordedCall } from '#lib/local-wellhub/control';
import type { LocalWellhub } from '#lib/local-wellhub/server';
import { type ImportReport, importSchedule } from '#lib/schedule/service';
import type { DynamoDbStore } from '#lib/store/dynamodb-store';
import { classBody, HOUR_MS, hoursFromNow, localTime, sleep, until } from './gym';

export interface ImportPlan {
  readonly classes: number;
  readonly slots: number;
  /** From the start of the import; slots not published by then count as not published. */
  readonly publishLimitMs: number;
  /** After the second import: time for any call it caused to arrive. */
  readonly quietMs: number;
}

export interface CallCounts {
  readonly total: number;
  readonly post: number;
  /** GETs: a create looking for what an earlier attempt may have made. */
  readonly lookups: number;
  readonly other: number;
  /** Answered other than 201 (refused, or a duplicate to adopt). */
  readonly postsNotCreated: number;
  /** POSTs of a slot (class, time, room) already POSTed: retries. */
  readonly resent: number;
}

export interface ImportResults {
  readonly classes: number;
  readonly slots: number;
  /** `importSchedule` itself: every class and slot written, none yet necessarily published. */
  readonly importMs: number;
  readonly report: ImportReport;
  /** Import start → the last slot's POST received at Wellhub. */
  readonly untilAtWellhubMs: number;
  /** Import start → the read of the table that found every slot `published`; NaN: none did in time. */
  readonly untilPublishedMs: number;
  readonly published: number;
  /** What the work index still held once the wait was over (`waiting`: postponed or failed before). */
  readonly stillOwed: { readonly count: number; readonly waiting: number };
  readonly slotCalls: CallCounts;
  readonly classCalls: CallCounts;
  readonly reimport: {
    readonly ms: number;
    readonly report: ImportReport;
    /** Calls the local Wellhub received from the second import's start until `quietMs` after its end. */
    readonly calls: number;
    readonly quietMs: number;
  };
}

/** Another gym than the change run's: its slots are listed apart. */
const GYM = '100002';
const ROOMS = ['Studio A', 'Studio B', 'Studio C', 'Studio D', 'Main hall', 'Pool', 'Ring', 'Loft'];
/** The last slot starts well inside Wellhub's 14 days, so that none waits for the horizon. */
const SPREAD_MS = 12 * 24 * HOUR_MS;
const CLASS_OFFSET_MS = 15 * 60_000;
const AT_WELLHUB_PROBE_MS = 20;
/** A read of 1,000 slots: not so often that it takes DynamoDB Local from the worker. */
const PUBLISHED_PROBE_MS = 250;

export async function measureImport(
  store: DynamoDbStore,
  wellhub: LocalWellhub,
  plan: ImportPlan,
  progress: (message: string) => void,
): Promise<ImportResults> {
  const document = schedule(plan);
  const deps = { schedule: store.schedule, now: () => new Date() };
  const gymId = Number(GYM);
  const atWellhub = () => {
    let held = 0;
    for (const slot of wellhub.state.slots.values()) if (slot.gym_id === gymId && !slot.deleted_at) held++;
    return held;
  };
  const from = new Date(Date.now() - HOUR_MS);
  const to = new Date(Date.now() + SPREAD_MS + 2 * 24 * HOUR_MS);
  const publishedNow = async () =>
    (await store.schedule.slotsOfGym(GYM, from, to)).filter((slot) => slot.sync.state === 'published').length;

  progress(`importing ${plan.classes} classes and ${plan.slots} slots`);
  const before = wellhub.calls.length;
  const startedAt = Date.now();
  const report = await importSchedule(deps, document);
  const importMs = Date.now() - startedAt;
  const deadline = startedAt + plan.publishLimitMs;
  await until(
    () => (atWellhub() >= plan.slots ? true : undefined),
    deadline - Date.now(),
    AT_WELLHUB_PROBE_MS,
  );
  let published = 0;
  const seenAll = await until(
    async () => {
      published = await publishedNow();
      return published >= plan.slots ? Date.now() : undefined;
    },
    Math.max(0, deadline - Date.now()),
    PUBLISHED_PROBE_MS,
  );
  const calls = wellhub.calls.slice(before);
  const slotCalls = calls.filter(isSlotCall);
  const created = slotCalls.filter((call) => call.method === 'POST' && call.status === 201);
  const lastAtWellhub =
    created.length === 0 ? Number.NaN : Math.max(...created.map((call) => Date.parse(call.at)));
  const owed = await store.pendingWork();

  progress('importing the same file again');
  const beforeAgain = wellhub.calls.length;
  const againAt = Date.now();
  const again = await importSchedule(deps, document);
  const reimportMs = Date.now() - againAt;
  await sleep(plan.quietMs);

  return {
    classes: plan.classes,
    slots: plan.slots,
    importMs,
    report,
    untilAtWellhubMs: lastAtWellhub - startedAt,
    untilPublishedMs: seenAll === undefined ? Number.NaN : seenAll - startedAt,
    published,
    stillOwed: { count: owed.count, waiting: owed.waiting },
    slotCalls: counts(slotCalls),
    classCalls: counts(calls.filter((call) => !isSlotCall(call))),
    reimport: {
      ms: reimportMs,
      report: again,
      calls: wellhub.calls.length - beforeAgain,
      quietMs: plan.quietMs,
    },
  };
}

/** The file a gym would send: its classes, then its slots in timetable order, classes interleaved. */
function schedule(plan: ImportPlan) {
  const classes = Array.from({ length: plan.classes }, (_, c) => ({
    reference: `imp-class-${c}`,
    ...classBody(GYM, `Class ${c}`),
  }));
  const perClass = Math.ceil(plan.slots / plan.classes);
  const spacing = Math.floor(SPREAD_MS / perClass / 60_000) * 60_000;
  const first = hoursFromNow(1);
  const slots = Array.from({ length: plan.slots }, (_, i) => {
    const c = i % plan.classes;
    return {
      reference: `imp-slot-${i}`,
      class_reference: `imp-class-${c}`,
      occur_date: localTime(first + Math.floor(i / plan.classes) * spacing + c * CLASS_OFFSET_MS),
      length_in_minutes: 45,
      room: ROOMS[c % ROOMS.length],
      total_capacity: 20,
      booked_elsewhere: i % 4,
      instructors: [{ name: `Coach ${c}`, substitute: false }],
    };
  });
  return { classes, slots };
}

function isSlotCall(call: RecordedCall): boolean {
  return /\/slots(\/|$)/.test(call.path);
}

function counts(calls: readonly RecordedCall[]): CallCounts {
  const posts = calls.filter((call) => call.method === 'POST');
  const sent = new Set(posts.map((call) => `${call.path} ${JSON.stringify(call.body)}`));
  return {
    total: calls.length,
    post: posts.length,
    lookups: calls.filter((call) => call.method === 'GET').length,
    other: calls.filter((call) => call.method !== 'POST' && call.method !== 'GET').length,
    postsNotCreated: posts.filter((call) => call.status !== 201).length,
    resent: posts.length - sent.size,
  };
}
