/**
 * Warm latency, throughput and memory of both receivers, driven by autocannon over loopback. Each
 * run sends every event once; a duplicate run replays the bodies its new-event run just had accepted,
 * byte for byte, as Wellhub's retries do. Runs alternate between the receivers (and who goes first),
 * so that drift in the shared machine or DynamoDB Local's JIT lands on both.
 */
import { newBookings, type SignedEvent } from '../support/events';
import { fire, type LoadResult } from '../support/load';
import type { UsageReport } from '../support/protocol';
import type { ReceiverProcess } from '../support/receiver-process';

export interface WarmPlan {
  readonly warmUp: number;
  /** Events per new-event run at each concurrency; the duplicate run replays the same number. */
  readonly runs: ReadonlyArray<{ readonly connections: number; readonly events: number }>;
  /** Events delivered between the two memory readings, measured runs included. */
  readonly memoryEvents: number;
  /** The rest of the memory budget: chunks of this many new events, each chunk then replayed. */
  readonly soakChunk: number;
  readonly runLimitMs: number;
}

export interface RunResult extends LoadResult {
  /** CPU time of the receiver process per request: its own work, without DynamoDB Local's. */
  readonly cpuPerRequestUs: number;
}

export interface WarmRun {
  readonly connections: number;
  readonly kind: 'new' | 'duplicate';
  readonly ours: RunResult;
  readonly floor: RunResult;
}

export interface Reading {
  readonly events: number;
  readonly rss: number;
  readonly heapUsed: number;
  /** At rest (before and after the session), right after a measured run, or during the soak. */
  readonly when: 'settled' | 'run' | 'soak';
}

export interface MemoryTrack {
  readonly events: number;
  /** Settled readings around the session. */
  readonly before: UsageReport;
  readonly after: UsageReport;
  /** Every reading, after a full GC, with the number of events delivered by then. */
  readonly readings: readonly Reading[];
}

export interface WarmResults {
  readonly runs: WarmRun[];
  readonly memory: { readonly ours: MemoryTrack; readonly floor: MemoryTrack };
}

type Name = 'ours' | 'floor';

const SETTLE_INTERVAL_MS = 500;
const SETTLE_MIN_MS = 6_500;
const SETTLE_STEADY_MS = 1_500;
const SETTLE_MAX_MS = 12_000;
const SETTLED_WITHIN_BYTES = 1_000_000;

/** One receiver's side of the session: events sent, CPU used, and its memory readings. */
class Tracked {
  delivered = 0;
  readonly readings: Reading[] = [];
  #cpuMicros = 0;
  constructor(readonly receiver: ReceiverProcess) {}

  async #read(when: Reading['when']): Promise<UsageReport> {
    const usage = await this.receiver.usage();
    this.#cpuMicros = usage.cpuMicrosAfterGc;
    this.readings.push({ events: this.delivered, rss: usage.rss, heapUsed: usage.heapUsed, when });
    return usage;
  }

  /**
   * A reading once the process is at rest. About five seconds after the load stops, a receiver
   * (either one) hands some 30 MB back to the OS in one step, whatever GC is asked for meanwhile: a
   * reading taken sooner would measure the moment rather than what the process keeps. So: at least
   * SETTLE_MIN_MS, then until RSS has not moved for SETTLE_STEADY_MS.
   */
  async settled(): Promise<UsageReport> {
    const started = performance.now();
    let last = await this.#read('settled');
    let steadySince = started;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_INTERVAL_MS));
      const next = await this.#read('settled');
      const now = performance.now();
      if (Math.abs(next.rss - last.rss) >= SETTLED_WITHIN_BYTES) steadySince = now;
      last = next;
      const rested = now - started >= SETTLE_MIN_MS && now - steadySince >= SETTLE_STEADY_MS;
      if (rested || now - started >= SETTLE_MAX_MS) return last;
    }
  }

  /** Sends the events and returns the run's figures with the receiver's CPU time per request. */
  async run(
    events: readonly SignedEvent[],
    connections: number,
    limitMs: number,
    when: 'run' | 'soak' = 'run',
  ): Promise<RunResult> {
    const cpuBefore = this.#cpuMicros;
    const result = await fire(this.receiver.url, events, connections, limitMs);
    this.delivered += result.requests;
    const after = await this.#read(when);
    const cpuPerRequestUs = (after.cpuMicros - cpuBefore) / Math.max(1, result.requests);
    return { ...result, cpuPerRequestUs };
  }
}

export async function measureWarm(
  ours: ReceiverProcess,
  floor: ReceiverProcess,
  secret: string,
  plan: WarmPlan,
): Promise<WarmResults> {
  const tracked: Record<Name, Tracked> = { ours: new Tracked(ours), floor: new Tracked(floor) };
  // JIT, connection pools and DynamoDB Local's own JIT warm up before anything is read.
  for (const receiver of [ours, floor]) {
    await fire(receiver.url, newBookings(plan.warmUp, secret), 16, plan.runLimitMs);
  }
  const [oursBefore, floorBefore] = await Promise.all([tracked.ours.settled(), tracked.floor.settled()]);
  const before = { ours: oursBefore, floor: floorBefore };

  const runs: WarmRun[] = [];
  let oursFirst = true;
  for (const { connections, events } of plan.runs) {
    const sent: Record<Name, SignedEvent[]> = {
      ours: newBookings(events, secret),
      floor: newBookings(events, secret),
    };
    for (const kind of ['new', 'duplicate'] as const) {
      const order: Name[] = oursFirst ? ['ours', 'floor'] : ['floor', 'ours'];
      oursFirst = !oursFirst;
      const results: Partial<Record<Name, RunResult>> = {};
      for (const name of order)
        results[name] = await tracked[name].run(sent[name], connections, plan.runLimitMs);
      if (!results.ours || !results.floor) throw new Error('a run is missing');
      runs.push({ connections, kind, ours: results.ours, floor: results.floor });
    }
  }

  // The rest of the memory budget, as Wellhub sends it: new events, each then retried once. Nothing
  // is timed here, so both receivers soak at once (and settle at once) to keep the run short.
  const soak = async (side: Tracked): Promise<UsageReport> => {
    while (side.delivered < plan.memoryEvents) {
      const left = plan.memoryEvents - side.delivered;
      const chunk = newBookings(Math.min(plan.soakChunk, Math.ceil(left / 2)), secret);
      await side.run(chunk, 16, plan.runLimitMs, 'soak');
      const retries = chunk.slice(0, plan.memoryEvents - side.delivered);
      if (retries.length > 0) await side.run(retries, 16, plan.runLimitMs, 'soak');
    }
    return side.settled();
  };
  const [oursAfter, floorAfter] = await Promise.all([soak(tracked.ours), soak(tracked.floor)]);
  const after = { ours: oursAfter, floor: floorAfter };
  const memory = (name: Name): MemoryTrack => {
    const side = tracked[name];
    return { events: side.delivered, before: before[name], after: after[name], readings: side.readings };
  };
  return { runs, memory: { ours: memory('ours'), floor: memory('floor') } };
}
