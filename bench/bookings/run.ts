/**
 * `npx tsx bench/bookings/run.ts`: the booking answers' section of `npm run bench` alone, on a
 * DynamoDB Local of its own, with a plan small enough to try a change in a minute or two.
 * `BENCH_BOOKINGS_SIZE` (default 60) sizes it: that many requests one at a time, about as many in
 * rounds of 16, and bursts of that many members on one slot with a quarter as many seats and over
 * half as many slots of 2 seats; and that many check-ins, one at a time, of the bookings reserved.
 * Prints its rows and writes nothing; the full run (bench/run.ts) is the one whose figures count.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '#lib/local/dynamodb-local';
import { DIST_DIR, REPO_ROOT } from '../../infra/bundle';
import { buildOurs, buildPipeline, buildReceivers } from '../support/bundles';
import { BOOKINGS_TABLE, bookingsDriverEnv } from '../support/environment';
import { renderTable } from '../support/render';
import { createBenchTable } from '../support/tables';
import { type BookingsPlan, measureBookings } from './measure';
import { bookingsProblems, bookingsRows } from './report';

const SIZE = Number(process.env.BENCH_BOOKINGS_SIZE ?? 60);
if (!Number.isInteger(SIZE) || SIZE < 4) throw new Error('BENCH_BOOKINGS_SIZE must be a whole number ≥ 4');

const PLAN: BookingsPlan = {
  latency: {
    warmUp: Math.min(20, Math.ceil(SIZE / 4)),
    oneAtATime: SIZE,
    rounds: { size: 16, count: Math.max(2, Math.ceil(SIZE / 16)), warmUpRounds: 1 },
    pauseMs: [20, 120],
    answerLimitMs: 15_000,
    runLimitMs: 120_000,
  },
  checkins: {
    count: SIZE,
    pauseMs: [20, 120],
    validateLimitMs: 10_000,
    quietMs: 2_000,
    runLimitMs: 120_000,
  },
  decisions: {
    hot: { requests: SIZE, capacity: Math.ceil(SIZE / 4) },
    spread: { requests: SIZE, slots: Math.ceil(SIZE / 2), capacity: 2 },
    answerLimitMs: 60_000,
  },
  limitMs: 600_000,
};

const startedAt = performance.now();

function progress(message: string): void {
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(0).padStart(3);
  process.stderr.write(`bench bookings ${seconds} s: ${message}\n`);
}

async function main(): Promise<void> {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const work = mkdtempSync(join(tmpdir(), 'wellhub-bench-bookings-'));
  const database = await startDynamoDbLocal({});
  const client = new DynamoDBClient({ endpoint: database.endpoint });
  try {
    progress('building dist/ (receivers, worker, sweeper), our receiver and the pipeline process');
    buildOurs();
    buildPipeline();
    const { ours, pipeline } = buildReceivers(work);
    await createBenchTable(client, BOOKINGS_TABLE, { stream: true });
    const env = bookingsDriverEnv(
      database.endpoint,
      { pipeline, receiver: ours, dist: DIST_DIR, checkpointFile: join(work, 'checkpoint.json') },
      PLAN,
    );
    const results = await measureBookings(env, REPO_ROOT, PLAN.limitMs, progress);
    process.stdout.write(`${renderTable(bookingsRows(results))}\n`);
    for (const problem of bookingsProblems(results)) {
      progress(`WARNING: ${problem}`);
      process.exitCode = 1;
    }
  } finally {
    client.destroy();
    await database.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  progress(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
