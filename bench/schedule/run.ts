/**
 * `npx tsx bench/schedule/run.ts`: the gym schedule's section of `npm run bench` alone, on a DynamoDB
 * Local of its own, with a plan small enough to try a change in a minute or two. Prints its rows and
 * writes nothing; the full run (bench/run.ts) is the one whose figures count.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '#lib/local/dynamodb-local';
import { DIST_DIR, REPO_ROOT } from '../../infra/bundle';
import { buildPipeline, buildReceivers } from '../support/bundles';
import { SCHEDULE_TABLE, scheduleDriverEnv } from '../support/environment';
import { renderTable } from '../support/render';
import { createBenchTable } from '../support/tables';
import { measureSchedule, type SchedulePlan } from './measure';
import { scheduleProblems, scheduleRows } from './report';

const PLAN: SchedulePlan = {
  changes: { warmUp: 15, perKind: 30, pauseMs: [20, 120], changeLimitMs: 10_000, runLimitMs: 60_000 },
  import: {
    classes: 5,
    slots: Number(process.env.BENCH_SCHEDULE_SLOTS ?? 1_000),
    publishLimitMs: 180_000,
    quietMs: 3_000,
  },
  limitMs: 360_000,
};

const startedAt = performance.now();

function progress(message: string): void {
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(0).padStart(3);
  process.stderr.write(`bench schedule ${seconds} s: ${message}\n`);
}

async function main(): Promise<void> {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const work = mkdtempSync(join(tmpdir(), 'wellhub-bench-schedule-'));
  const database = await startDynamoDbLocal({});
  const client = new DynamoDBClient({ endpoint: database.endpoint });
  try {
    progress('building dist/worker, dist/sweeper and the pipeline process');
    buildPipeline();
    const { pipeline } = buildReceivers(work);
    await createBenchTable(client, SCHEDULE_TABLE, { stream: true });
    const env = scheduleDriverEnv(
      database.endpoint,
      { pipeline, dist: DIST_DIR, checkpointFile: join(work, 'checkpoint.json') },
      PLAN,
    );
    const results = await measureSchedule(env, REPO_ROOT, PLAN.limitMs, progress);
    process.stdout.write(`${renderTable(scheduleRows(results))}\n`);
    for (const problem of scheduleProblems(results)) {
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
