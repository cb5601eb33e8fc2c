/**
 * Each suite writes what it tried and what it found into RELIABILITY_RESULTS_DIR (set by
 * `npm run reliability`); test/reliability/run.ts adds them up into the table. Inside `npm test` the
 * variable is unset and nothing is written.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const RESULTS_DIR = 'RELIABILITY_RESULTS_DIR';
/** The suite file a Jest process runs, when `npm run reliability` runs one per process. */
export const RESULTS_PART = 'RELIABILITY_RESULTS_PART';

export interface SuiteResult {
  readonly suite: string;
  /** Hostile inputs (requests) tried against the handlers. */
  readonly inputsTried?: number;
  /** Faults injected, by kind. */
  readonly faults?: Record<string, number>;
  /** Requests sent during a load run. */
  readonly requestsUnderLoad?: number;
  /** Distinct events sent that had to end up applied or quarantined. */
  readonly distinctEvents?: number;
  readonly eventsLost: number;
  readonly appliedTwice: number;
  readonly unsignedAccepted?: number;
  readonly badInput5xx?: number;
  /** Service log lines of the whole run read back by the audit (log-audit.ts), and those that failed it. */
  readonly logLinesAudited?: number;
  readonly logLinesLeaking?: number;
  /** The whole loop under storm, Wellhub faults and crashes (loop-storm.test.ts). */
  readonly loop?: LoopResult;
  /** Anything else worth a line in the report (latencies, counts). */
  readonly notes?: Record<string, number | string>;
}

export interface LoopResult {
  readonly bookingRequests: number;
  /** Requests on hot slots, far more than their seats, sent in the opening burst. */
  readonly hotBurst: number;
  /** Most requests on hot slots acknowledged and awaiting their decision at the same moment. */
  readonly hotConcurrent: number;
  /** Requests whose webhook reached us, or that we hold anyway: each owed an answer. */
  readonly requestsOwed: number;
  readonly answeredOnTime: number;
  readonly answeredLate: number;
  readonly wellhubTimeouts: number;
  readonly unanswered: number;
  readonly contradictory: number;
  readonly sentAfterDelivery: number;
  readonly overbookedSlots: number;
  readonly seatMismatches: number;
  readonly checkinsValidated: number;
  readonly checkinsUnpaid: number;
  /** Slots differing between Wellhub and us 2 minutes after the faults ended. */
  readonly scheduleDrift: number;
  /** Wellhub faults by kind: episodes, and the calls they answered (or the seconds they lasted). */
  readonly wellhubFaults: Record<
    string,
    { readonly episodes: number; readonly calls?: number; readonly seconds?: number }
  >;
  readonly crashes: number;
  readonly databaseRestarts: number;
}

export function recordResult(result: SuiteResult): void {
  const dir = process.env[RESULTS_DIR];
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${result.suite}.json`), `${JSON.stringify(result, null, 2)}\n`);
}

/** Latency summary in ms, for notes: the benchmarks own the targets, these only report. */
export function latencySummary(prefix: string, samples: readonly number[]): Record<string, number> {
  if (samples.length === 0) return {};
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const round = (n: number) => Math.round(n);
  return {
    [`${prefix} p50 ms`]: round(at(0.5)),
    [`${prefix} p99 ms`]: round(at(0.99)),
    [`${prefix} max ms`]: round(sorted.at(-1) ?? 0),
  };
}
