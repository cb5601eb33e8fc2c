/**
 * Gym schedule change → call received at Wellhub, one change at a time: a slot created under a
 * published class (Wellhub gets a POST), a slot edited (a PUT: the instructor is substituted), and the
 * seats the gym sold itself changed (`booked_elsewhere`, a PATCH of `total_booked`), in a shuffled
 * mix. Each change is written through the gym API handler; the worker, fed by the table's stream in
 * its own process, publishes it to the local Wellhub in this process, which notes when each call
 * arrived on the same clock (Date.now). The figure runs from just before the gym API is called (its
 * own answer included) to that moment. The next change waits until the record is `published` again
 * and a short random pause has passed, so that the changes do not fall into step with the poller.
 */
import type { RecordedCall } from '#lib/local-wellhub/control';
import type { LocalWellhub } from '#lib/local-wellhub/server';
import type { GymClassRecord, GymSlotRecord } from '#lib/schedule/records';
import type { DynamoDbStore } from '#lib/store/dynamodb-store';
import type { ReceiverProcess } from '../support/receiver-process';
import { percentile, sortedCopy } from '../support/stats';
import { classBody, type GymApi, hoursFromNow, sleep, slotBody, until } from './gym';

export type ChangeKind = 'create' | 'edit' | 'count';

export interface ChangesPlan {
  /** Changes made and published before anything is measured: JIT, connections, the token. */
  readonly warmUp: number;
  /** Measured changes of each kind, shuffled together. */
  readonly perKind: number;
  /** Drawn at random between the two after each change. */
  readonly pauseMs: readonly [number, number];
  /** How long one change has to reach Wellhub, and then to be `published`, before it counts as lost. */
  readonly changeLimitMs: number;
  /** No measured change starts after this. */
  readonly runLimitMs: number;
}

export interface ChangeSample {
  readonly kind: ChangeKind;
  readonly status: number;
  /** Just before the gym API call → the local Wellhub's record of the matching call; NaN: none came. */
  readonly lagMs: number;
  /** The gym API's answer, from the same moment. */
  readonly answerMs: number;
  /** Calls the local Wellhub received from the gym API call until the record was published again. */
  readonly calls: number;
  readonly published: boolean;
}

export interface LagFigures {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface ChangesResults {
  readonly warmUp: number;
  readonly planned: number;
  readonly samples: readonly ChangeSample[];
  readonly all: LagFigures;
  readonly byKind: Readonly<Record<ChangeKind, LagFigures>>;
  /** Answered 200 by the gym API, and no matching call reached Wellhub within the limit. */
  readonly notReceived: number;
  /** Reached Wellhub, but the record was not `published` within the limit. */
  readonly notPublished: number;
  /** Answered other than 200 by the gym API. */
  readonly refused: number;
  /** Wellhub calls per change answered 200: exactly one is expected. */
  readonly callsPerChange: number;
  readonly answerP50Ms: number;
  readonly answerP99Ms: number;
  /** CPU time of the pipeline process (poller, worker, SDK, Wellhub client) per measured change. */
  readonly workerCpuPerChangeUs: number;
  /** The run limit stopped it before every planned change was made. */
  readonly cutShort: boolean;
}

/** The local Wellhub's default gym. */
const GYM = '100001';
const CLASSES = [
  { reference: 'bench-cycle', name: 'Cycle', room: 'Studio 1' },
  { reference: 'bench-yoga', name: 'Yoga', room: 'Studio 2' },
  { reference: 'bench-hiit', name: 'HIIT', room: 'Studio 3' },
];
/** Every slot of the run at its own time, so that no two are ever the same class, time and room. */
const SLOT_SPACING_MS = 20 * 60_000;
/** Wellhub's calls are noted in this process: probing them costs nothing, so often. */
const CALL_PROBE_MS = 2;
const RECORD_PROBE_MS = 10;
const CLASS_LIMIT_MS = 30_000;
/** Reproducible mixes from run to run. */
const SEED = 20_260_101;

interface ClassAtWellhub {
  readonly reference: string;
  readonly room: string;
  readonly wellhubId: string;
}

interface LiveSlot {
  readonly reference: string;
  readonly wellhubId: string;
  body: Record<string, unknown>;
  booked: number;
}

interface Change {
  readonly kind: ChangeKind;
  readonly reference: string;
  readonly method: 'PUT' | 'PATCH';
  readonly body: Record<string, unknown>;
  readonly matches: (call: RecordedCall) => boolean;
  /** Once published: the pool's view of the slot. */
  readonly done: (record: GymSlotRecord) => void;
}

export async function measureChanges(
  gym: GymApi,
  store: DynamoDbStore,
  wellhub: LocalWellhub,
  pipeline: ReceiverProcess,
  plan: ChangesPlan,
  progress: (message: string) => void,
): Promise<ChangesResults> {
  const random = mulberry32(SEED);
  const classes = await publishClasses(gym, store);
  const pool: LiveSlot[] = [];
  const firstSlotAt = hoursFromNow(2);
  let created = 0;
  let edits = 0;

  const create = (): Change => {
    const n = created++;
    const gymClass = classes[n % classes.length] as ClassAtWellhub;
    const reference = `chg-${n}`;
    const body = slotBody(gymClass.reference, firstSlotAt + n * SLOT_SPACING_MS, gymClass.room, 'Ana');
    return {
      kind: 'create',
      reference,
      method: 'PUT',
      body,
      matches: (call) =>
        call.method === 'POST' &&
        call.path.endsWith(`/classes/${gymClass.wellhubId}/slots`) &&
        field(call.body, 'occur_date') === body.occur_date,
      done: (record) => {
        if (record.wellhub_slot_id !== undefined)
          pool.push({ reference, wellhubId: record.wellhub_slot_id, body, booked: record.booked_elsewhere });
      },
    };
  };
  const edit = (slot: LiveSlot): Change => {
    const instructor = `Coach ${++edits}`;
    const body = { ...slot.body, instructors: [{ name: instructor, substitute: true }] };
    return {
      kind: 'edit',
      reference: slot.reference,
      method: 'PUT',
      body,
      matches: (call) =>
        call.method === 'PUT' &&
        call.path.endsWith(`/slots/${slot.wellhubId}`) &&
        JSON.stringify(field(call.body, 'instructors')) === JSON.stringify(body.instructors),
      done: () => {
        slot.body = body;
      },
    };
  };
  const count = (slot: LiveSlot): Change => {
    // One seat sold or given back at the front desk; never below 0 or past what Wellhub may also sell.
    const up = slot.booked === 0 || (slot.booked < 10 && random() < 0.5);
    const booked = slot.booked + (up ? 1 : -1);
    return {
      kind: 'count',
      reference: slot.reference,
      method: 'PATCH',
      body: { booked_elsewhere: booked },
      // No Wellhub member booked these slots: `total_booked` is the gym's own count.
      matches: (call) =>
        call.method === 'PATCH' &&
        call.path.endsWith(`/slots/${slot.wellhubId}`) &&
        field(call.body, 'total_booked') === booked,
      done: () => {
        slot.booked = booked;
        slot.body = { ...slot.body, booked_elsewhere: booked };
      },
    };
  };
  const next = (kind: ChangeKind): Change => {
    const slot = pool[Math.floor(random() * pool.length)];
    if (kind === 'create' || slot === undefined) return create();
    return kind === 'edit' ? edit(slot) : count(slot);
  };

  const run = async (change: Change): Promise<ChangeSample> => {
    const before = wellhub.calls.length;
    const sentAt = Date.now();
    const answer = await gym(change.method, `/gym/slots/${change.reference}`, change.body);
    const answerMs = Date.now() - sentAt;
    if (answer.status !== 200) {
      progress(`WARNING: ${change.method} slot ${change.reference} answered ${answer.status}`);
      return {
        kind: change.kind,
        status: answer.status,
        lagMs: Number.NaN,
        answerMs,
        calls: 0,
        published: false,
      };
    }
    const call = await until(
      () => wellhub.calls.slice(before).find(change.matches),
      plan.changeLimitMs,
      CALL_PROBE_MS,
    );
    const record = await until(
      async () => {
        const slot = await store.schedule.getSlot(change.reference);
        return slot?.sync.state === 'published' ? slot : undefined;
      },
      plan.changeLimitMs,
      RECORD_PROBE_MS,
    );
    if (record) change.done(record);
    return {
      kind: change.kind,
      status: answer.status,
      lagMs: call ? Date.parse(call.at) - sentAt : Number.NaN,
      answerMs,
      calls: wellhub.calls.length - before,
      published: record !== undefined,
    };
  };
  const pause = () => {
    const [least, most] = plan.pauseMs;
    return sleep(least + random() * (most - least));
  };

  // A pool of published slots first, then edits and counts among them.
  progress(`${plan.warmUp} changes of warm-up`);
  const warmCreates = Math.ceil(plan.warmUp / 3);
  const warmKinds: ChangeKind[] = [
    ...Array.from({ length: warmCreates }, (): ChangeKind => 'create'),
    ...shuffle(
      Array.from(
        { length: plan.warmUp - warmCreates },
        (_, i): ChangeKind => (i % 2 === 0 ? 'edit' : 'count'),
      ),
      random,
    ),
  ];
  for (const kind of warmKinds) {
    await run(next(kind));
    await pause();
  }

  const kinds = shuffle(
    (['create', 'edit', 'count'] as const).flatMap((kind) =>
      Array.from({ length: plan.perKind }, () => kind),
    ),
    random,
  );
  progress(`${kinds.length} changes one at a time (${plan.perKind} of each kind)`);
  const cpuBefore = (await pipeline.usage()).cpuMicrosAfterGc;
  const started = Date.now();
  const samples: ChangeSample[] = [];
  for (const kind of kinds) {
    if (Date.now() - started > plan.runLimitMs) break;
    samples.push(await run(next(kind)));
    await pause();
  }
  const cpuAfter = (await pipeline.usage()).cpuMicros;
  return summarise(plan, samples, kinds.length, (cpuAfter - cpuBefore) / Math.max(1, samples.length));
}

/** The run's classes, published at Wellhub before any slot is written under them. */
async function publishClasses(gym: GymApi, store: DynamoDbStore): Promise<ClassAtWellhub[]> {
  const published: ClassAtWellhub[] = [];
  for (const { reference, name } of CLASSES) {
    const answer = await gym('PUT', `/gym/classes/${reference}`, classBody(GYM, name));
    if (answer.status !== 200) throw new Error(`PUT class ${reference} answered ${answer.status}`);
  }
  for (const { reference, room } of CLASSES) {
    const record = await until(
      async () => {
        const found: GymClassRecord | undefined = await store.schedule.getClass(reference);
        return found?.sync.state === 'published' ? found : undefined;
      },
      CLASS_LIMIT_MS,
      RECORD_PROBE_MS,
    );
    if (record?.wellhub_class_id === undefined)
      throw new Error(`class ${reference} was not published within ${CLASS_LIMIT_MS} ms`);
    published.push({ reference, room, wellhubId: record.wellhub_class_id });
  }
  return published;
}

function summarise(
  plan: ChangesPlan,
  samples: readonly ChangeSample[],
  planned: number,
  workerCpuPerChangeUs: number,
): ChangesResults {
  const answered = samples.filter((sample) => sample.status === 200);
  const received = answered.filter((sample) => Number.isFinite(sample.lagMs));
  const figures = (of: readonly ChangeSample[]): LagFigures => {
    const sorted = sortedCopy(of.map((sample) => sample.lagMs));
    return {
      count: sorted.length,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.at(-1) ?? Number.NaN,
    };
  };
  const ofKind = (kind: ChangeKind) => figures(received.filter((sample) => sample.kind === kind));
  const answers = sortedCopy(samples.map((sample) => sample.answerMs));
  return {
    warmUp: plan.warmUp,
    planned,
    samples,
    all: figures(received),
    byKind: { create: ofKind('create'), edit: ofKind('edit'), count: ofKind('count') },
    notReceived: answered.length - received.length,
    notPublished: received.filter((sample) => !sample.published).length,
    refused: samples.length - answered.length,
    callsPerChange: answered.reduce((sum, sample) => sum + sample.calls, 0) / Math.max(1, answered.length),
    answerP50Ms: percentile(answers, 50),
    answerP99Ms: percentile(answers, 99),
    workerCpuPerChangeUs,
    cutShort: samples.length < planned,
  };
}

function field(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** A small seeded generator: the same mix of changes, and the same targets, in every run. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
