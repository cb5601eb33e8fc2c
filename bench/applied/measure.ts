/**
 * Webhook answered → event applied: how long after Wellhub has its 200 the booking is in the table,
 * for one member at a time (each event once the last is applied) and for many members booking at
 * once (rounds of simultaneous new events, each round applied before the next is sent). Both measure latency, not
 * queueing: the worker keeps up. What it sustains when it does not is a figure of its own (the
 * saturation burst), reported as a rate only, since its lags are time spent in the backlog.
 * The receiver (ours, from dist/, alone in its process) stores each event with its one PutItem and
 * answers; the pipeline process (applied/pipeline.ts) reads the stream and applies it. The load
 * generator notes when each answer arrived (epoch ms); afterwards the event records are read back and
 * each one's `applied_at` less that moment is the figure. All processes share this machine's clock.
 * `applied_at` is stamped by the job just before its transaction, so the figure leaves out that one
 * write (a few ms here); everything before it (stream, poller, batch, the job's read) is in.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DynamoDBDocumentClient,
  GetCommand,
} from '@aws-sdk/lib-dynamodb';
import { keys } from '#lib/store/table';
import { newBookings, type SignedEvent } from '../support/events';
import {
  fire,
  fireAtOnce,
  type LoadResult,
  type RoundAnswers,
  roundAgent,
  roundsResult,
} from '../support/load';
import type { ReceiverProcess } from '../support/receiver-process';
import { median, percentile, sortedCopy } from '../support/stats';

export interface AppliedPlan {
  /** Events sent and applied before anything is measured: JIT and connections of all three processes. */
  readonly warmUp: number;
  /** One member at a time: this many new events, each sent once the last is applied (and a pause). */
  readonly oneAtATime: number;
  /**
   * Many members at once: `count` rounds of `size` new events sent at the same moment, each round
   * once the previous one is all `APPLIED` and a pause of `pauseMs` (drawn at random between the two,
   * so that the rounds do not fall into step with the stream poller's interval) has passed.
   */
  readonly rounds: {
    readonly size: number;
    readonly count: number;
    readonly warmUpRounds: number;
    readonly pauseMs: readonly [number, number];
  };
  /**
   * What the worker sustains on DynamoDB Local: a closed-loop burst that sends faster than it
   * applies, so that a backlog builds. Its lags are queueing, not latency: only the rate is reported.
   */
  readonly saturation: { readonly connections: number; readonly events: number };
  readonly runLimitMs: number;
  /** After the last answer, how long the events have to be applied before the rest count as not applied. */
  readonly drainLimitMs: number;
}

export interface AppliedRun {
  readonly kind: 'one at a time' | 'rounds' | 'saturation';
  /** Requests in flight at once: the closed loop's connections, or the size of a round. */
  readonly connections: number;
  readonly events: number;
  /** Rounds only: how many. */
  readonly rounds?: number;
  /** Rounds only: from sending a round to its last event `APPLIED` (as seen by the poll), median. */
  readonly roundMedianMs?: number;
  /** The receiver's side of the run: its latency figures and outcomes while the pipeline ran too. */
  readonly load: LoadResult;
  /**
   * Events answered 200 (only those have an answer time): `accepted`, or `duplicate` when the SDK's
   * second attempt found the write of a first one that had timed out but landed. Either way the event
   * is stored and owed to the pipeline, and Wellhub has its 200.
   */
  readonly answered: number;
  /** Of those, the new events answered `duplicate`: not a failure, as long as each ends `APPLIED`. */
  readonly answeredDuplicate: number;
  readonly applied: number;
  /**
   * Events the pipeline owes (answered 200, or stored though the answer was a 503) that were not
   * `APPLIED` within the drain limit, by the state they were left in (`missing`: answered, not stored).
   */
  readonly notApplied: Readonly<Record<string, number>>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Events applied per second, from the first answer to the last `applied_at`. */
  readonly appliedPerSecond: number;
  /** CPU time of the pipeline process per applied event (worker, poller, SDK). */
  readonly workerCpuPerEventUs: number;
}

export interface AppliedResults {
  /** Latency: one at a time, then rounds of simultaneous events. */
  readonly runs: readonly AppliedRun[];
  readonly saturation: AppliedRun;
}

const PROBE_EVERY_MS = 100;
/** A round is done in a few hundred ms: a coarser probe would make the poll, not the pipeline, set its pace. */
const ROUND_PROBE_EVERY_MS = 25;
const BATCH_GET_LIMIT = 100;

interface Seen {
  readonly state: string;
  readonly appliedAt: number | undefined;
}

export async function measureApplied(
  receiver: ReceiverProcess,
  pipeline: ReceiverProcess,
  endpoint: string,
  tableName: string,
  secret: string,
  plan: AppliedPlan,
): Promise<AppliedResults> {
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint }));
  const agent = roundAgent(plan.rounds.size);
  try {
    const read = new Reader(db, tableName);
    const closedLoop = async (
      kind: AppliedRun['kind'],
      connections: number,
      count: number,
    ): Promise<AppliedRun> => {
      const events = newBookings(count, secret);
      const answeredAt = new Map<string, number>();
      const cpuBefore = (await pipeline.usage()).cpuMicrosAfterGc;
      const load = await fire(receiver.url, events, connections, plan.runLimitMs, answeredAt);
      // Every event sent is read back: one answered 503 may still have been stored, and is then owed.
      const seen = await read.untilApplied(events, answeredAt, plan.drainLimitMs, PROBE_EVERY_MS);
      const cpuAfter = (await pipeline.usage()).cpuMicros;
      return summarise(kind, connections, load, events, answeredAt, seen, cpuAfter - cpuBefore);
    };
    const rounds = async (count: number, size: number): Promise<AppliedRun> => {
      const { pauseMs } = plan.rounds;
      const all: SignedEvent[] = [];
      const answeredAt = new Map<string, number>();
      const seen = new Map<string, Seen>();
      const answers: RoundAnswers[] = [];
      const roundMs: number[] = [];
      const cpuBefore = (await pipeline.usage()).cpuMicrosAfterGc;
      for (let round = 0; round < count; round++) {
        const events = newBookings(size, secret);
        const started = performance.now();
        answers.push(await fireAtOnce(receiver.url, events, agent, plan.runLimitMs, answeredAt));
        for (const [id, record] of await read.untilApplied(
          events,
          answeredAt,
          plan.drainLimitMs,
          ROUND_PROBE_EVERY_MS,
        ))
          seen.set(id, record);
        roundMs.push(performance.now() - started);
        all.push(...events);
        const [least, most] = pauseMs;
        await new Promise((resolve) => setTimeout(resolve, least + Math.random() * (most - least)));
      }
      const cpuAfter = (await pipeline.usage()).cpuMicros;
      const load = roundsResult(answers, size, all.length);
      const summary = summarise(
        size === 1 ? 'one at a time' : 'rounds',
        size,
        load,
        all,
        answeredAt,
        seen,
        cpuAfter - cpuBefore,
      );
      return size === 1 ? summary : { ...summary, rounds: count, roundMedianMs: median(roundMs) };
    };
    await closedLoop('saturation', 16, plan.warmUp);
    await rounds(plan.rounds.warmUpRounds, plan.rounds.size);
    // One at a time is a round of one: sent back to back, events outran the worker once it also
    // answered every booking request, and the figure became the backlog's, not the pipeline's.
    const runs = [await rounds(plan.oneAtATime, 1), await rounds(plan.rounds.count, plan.rounds.size)];
    // Last: the backlog it builds must not be in the way of the latency runs.
    const saturation = await closedLoop('saturation', plan.saturation.connections, plan.saturation.events);
    return { runs, saturation };
  } finally {
    agent.destroy();
    db.destroy();
  }
}

function summarise(
  kind: AppliedRun['kind'],
  connections: number,
  load: LoadResult,
  sent: readonly SignedEvent[],
  answeredAt: ReadonlyMap<string, number>,
  seen: ReadonlyMap<string, Seen>,
  cpuMicros: number,
): AppliedRun {
  const lags: number[] = [];
  const notApplied: Record<string, number> = {};
  let lastApplied = Number.NEGATIVE_INFINITY;
  let applied = 0;
  for (const event of sent) {
    const record = seen.get(event.eventId);
    const answered = answeredAt.get(event.eventId);
    if (record === undefined && answered === undefined) continue;
    if (record?.state === 'APPLIED' && record.appliedAt !== undefined) {
      applied += 1;
      lastApplied = Math.max(lastApplied, record.appliedAt);
      if (answered !== undefined) lags.push(record.appliedAt - answered);
    } else {
      const state = record?.state ?? 'missing';
      notApplied[state] = (notApplied[state] ?? 0) + 1;
    }
  }
  const sorted = sortedCopy(lags);
  const firstAnswer = Math.min(...answeredAt.values());
  return {
    kind,
    connections,
    events: sent.length,
    load,
    answered: answeredAt.size,
    answeredDuplicate: load.outcomes.duplicate ?? 0,
    applied,
    notApplied,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.at(-1) ?? Number.NaN,
    appliedPerSecond: applied / ((lastApplied - firstAnswer) / 1000),
    workerCpuPerEventUs: cpuMicros / Math.max(1, applied),
  };
}

/** Reads event records back, consistently, with only the two attributes the figure needs. */
class Reader {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * Waits until every event owed is `APPLIED`, or the limit passes. While the backlog drains it only
   * probes the last event answered (the stream hands them over about in that order), so that polling takes next
   * to nothing from the worker's share of the two cores; then it reads every event still owed. An
   * event answered otherwise than 200 is owed only if it was stored: read once, at the start.
   */
  async untilApplied(
    events: readonly SignedEvent[],
    answeredAt: ReadonlyMap<string, number>,
    limitMs: number,
    probeEveryMs: number,
  ): Promise<Map<string, Seen>> {
    const deadline = Date.now() + limitMs;
    const seen = await this.all(events.filter((event) => !answeredAt.has(event.eventId)));
    // In the order they were answered, the nearest to the order of the stream (a round's events are
    // written all at once, in no order of the list's).
    const answered = (event: SignedEvent) => answeredAt.get(event.eventId) ?? Number.NEGATIVE_INFINITY;
    let owed = events
      .filter((event) => answeredAt.has(event.eventId) || seen.has(event.eventId))
      .sort((a, b) => answered(a) - answered(b));
    while (owed.length > 0) {
      const last = owed.at(-1);
      const probe = last ? await this.one(last) : undefined;
      if (probe?.state === 'APPLIED' || Date.now() >= deadline) {
        for (const [id, record] of await this.all(owed)) seen.set(id, record);
        owed = owed.filter((event) => seen.get(event.eventId)?.state !== 'APPLIED');
        if (Date.now() >= deadline) break;
      }
      if (owed.length > 0) await new Promise((resolve) => setTimeout(resolve, probeEveryMs));
    }
    return seen;
  }

  async one(event: SignedEvent): Promise<Seen | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keyOf(event), ConsistentRead: true, ...PROJECTION }),
    );
    return Item ? seenOf(Item) : undefined;
  }

  async all(events: readonly SignedEvent[]): Promise<Map<string, Seen>> {
    const found = new Map<string, Seen>();
    for (let start = 0; start < events.length; start += BATCH_GET_LIMIT) {
      let wanted: Record<string, unknown>[] | undefined = events
        .slice(start, start + BATCH_GET_LIMIT)
        .map(keyOf);
      while (wanted && wanted.length > 0) {
        const page: BatchGetCommandOutput = await this.db.send(
          new BatchGetCommand({
            RequestItems: { [this.table]: { Keys: wanted, ConsistentRead: true, ...PROJECTION } },
          }),
        );
        for (const item of page.Responses?.[this.table] ?? []) {
          found.set(String(item.pk).slice('EVENT#'.length), seenOf(item));
        }
        wanted = page.UnprocessedKeys?.[this.table]?.Keys;
      }
    }
    return found;
  }
}

/** `state` is a DynamoDB reserved word. */
const PROJECTION = {
  ProjectionExpression: 'pk, #state, applied_at',
  ExpressionAttributeNames: { '#state': 'state' },
};

function keyOf(event: SignedEvent): Record<string, string> {
  return keys.event({ type: 'booking-requested', id: event.eventId });
}

function seenOf(item: Record<string, unknown>): Seen {
  const appliedAt = typeof item.applied_at === 'string' ? Date.parse(item.applied_at) : undefined;
  return { state: String(item.state), appliedAt };
}
