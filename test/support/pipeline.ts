/**
 * The pipeline behind a test table: the real worker handler fed by the local stream poller (the one
 * `npm start` runs), and the real sweeper run by hand at a chosen time, so tests move the clock
 * instead of waiting a minute.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type LocalPipeline, startLocalPipeline } from '#lib/local/pipeline';
import { waitForDrain } from '#lib/ops/pipeline';
import type { PipelineDeps } from '#lib/pipeline/deps';
import { type SweepReport, sweep } from '#lib/pipeline/sweeper';
import { streamWorker } from '#lib/pipeline/worker';
import type { DynamoDbStore } from '#lib/store/dynamodb-store';
import type { WellhubClient } from '#lib/wellhub-api/client';

const stops: Array<() => Promise<void>> = [];
/** Past the longest wait between attempts (lib/jobs/attempts.ts), so every retry is due. */
const SETTLE_CLOCK_AHEAD_MS = 16 * 60_000;
const STREAM_PATIENCE_MS = 5_000;
/**
 * Every due item in one sweep. Without a Wellhub client the answers this runner skips stay due at
 * their first `work_at`; a production-sized sweep (the oldest 200) would then never reach an event
 * whose retry was scheduled after them.
 */
const SETTLE_SWEEP_LIMIT = 100_000;
afterAll(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

/**
 * `stream: false` leaves the worker stopped (events stay `RECEIVED` until a sweep or `startStream`);
 * `checkpointFile` lets a test stop the stream and start it again where it left off.
 */
export async function startTestPipeline(
  tableName: string,
  store: DynamoDbStore,
  options: {
    stream?: boolean;
    checkpointFile?: string;
    endpoint?: string;
    /** For the jobs that call Wellhub: a client of a local Wellhub. */
    wellhub?: WellhubClient;
    horizonDays?: number;
    walkinValidation?: 'auto' | 'manual';
  } = {},
) {
  const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '';
  const deps: PipelineDeps = {
    store,
    now: () => new Date(),
    ...(options.wellhub ? { wellhub: options.wellhub } : {}),
    ...(options.horizonDays ? { horizonDays: options.horizonDays } : {}),
    // Without a Wellhub client walk-ins are left to the front desk, as WALKIN_VALIDATION=manual does.
    apply: { walkinValidation: options.walkinValidation ?? (options.wellhub ? 'auto' : 'manual') },
  };
  // Without a Wellhub client no job calls Wellhub: only the events' own work is waited for.
  const kinds = options.wellhub ? {} : { kinds: ['event'] };
  const worker = streamWorker(() => deps);
  const checkpointFile =
    options.checkpointFile ?? join(mkdtempSync(join(tmpdir(), 'wellhub-stream-')), 'checkpoint.json');
  let local: LocalPipeline | undefined;
  const startStream = async () => {
    local ??= await startLocalPipeline({
      dynamodb: new DynamoDBClient({ endpoint }),
      endpoint,
      tableName,
      checkpointFile,
      worker,
      sweeper: async () => sweep(deps),
      sweepEveryMs: 0,
    });
  };
  const stopStream = async () => {
    await local?.stop();
    local = undefined;
  };
  if (options.stream !== false) await startStream();
  stops.push(stopStream);
  return {
    /** The worker Lambda's handler, for feeding it stream events by hand. */
    worker,
    startStream,
    stopStream,
    pipeline: deps,
    /** Resolves once the stream has applied (or recorded a failure for) every event received so far. */
    drain: (timeoutMs?: number) =>
      waitForDrain(store, { ...kinds, ...(timeoutMs === undefined ? {} : { timeoutMs }) }),
    /**
     * Until nothing at all is owed: the stream's work, then, as the scheduler would in the minutes that
     * follow, sweeps with the clock moved past every retry's due time. For fault runs, where a job
     * may have failed while the database was down and now waits for its retry.
     */
    settle: async (timeoutMs = 120_000) => {
      const deadline = Date.now() + timeoutMs;
      for (let sweeps = 0; ; sweeps++) {
        // The stream first; what it dropped (after its retries) is the sweeper's, as in production.
        await waitForDrain(store, { ...kinds, timeoutMs: STREAM_PATIENCE_MS }).catch(() => undefined);
        const { count } = await store.pendingWork(kinds);
        if (count === 0) return { sweeps };
        if (Date.now() > deadline) {
          const owed = (await store.owedWork())
            .filter((item) => kinds.kinds === undefined || kinds.kinds.includes(String(item.kind)))
            .slice(0, 10)
            .map((item) =>
              [
                item.kind,
                item.event_key ?? item.booking_number ?? item.reference,
                item.state,
                item.attempts,
                item.work_at,
              ]
                .filter((part) => part !== undefined)
                .join(' '),
            );
          throw new Error(`pipeline not settled: ${count} jobs still owed (${owed.join('; ')})`);
        }
        await sweep(
          { ...deps, now: () => new Date(Date.now() + SETTLE_CLOCK_AHEAD_MS) },
          { limit: SETTLE_SWEEP_LIMIT },
        );
      }
    },
    /** One sweep as the scheduler would run it, with the clock at `at`. */
    sweep: (at: Date = new Date()): Promise<SweepReport> => sweep({ ...deps, now: () => at }),
  };
}
