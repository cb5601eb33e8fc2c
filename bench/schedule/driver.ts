/**
 * The schedule run's own process, started by schedule/measure.ts: the gym API handler (lib/gym-api)
 * and the local Wellhub (lib/local-wellhub) live here; the pipeline runs in a process of its own, as
 * the worker is a Lambda of its own when deployed: applied/pipeline.ts, the `dist/` worker fed by
 * the local stream poller, calling this local Wellhub over loopback HTTP. Gym API, worker and local
 * Wellhub all read the same clock (Date.now), which is what lets the driver time a change from its
 * gym API call to the call the local Wellhub noted.
 */
import { startLocalWellhub } from '#lib/local-wellhub/server';
import { DynamoDbStore } from '#lib/store/dynamodb-store';
import { driverProgress as progress, runAsDriver, sendResults } from '../support/driver';
import { scheduleWorkerEnv, WELLHUB_TOKEN } from '../support/environment';
import { type ReceiverProcess, startReceiver } from '../support/receiver-process';
import { measureChanges } from './changes';
import { gymApi } from './gym';
import { measureImport } from './import';
import type { SchedulePlan, ScheduleResults } from './measure';

/** The gym API's store as deployed (lib/pipeline/deps.ts: the gym API runs on the jobs' store). */
const GYM_API_DYNAMODB_TIMEOUT_MS = 3_000;

async function main(): Promise<void> {
  const {
    BENCH_PIPELINE_SCRIPT: script,
    BENCH_DIST_DIR: dist,
    BENCH_CHECKPOINT_FILE: checkpointFile,
    BENCH_SCHEDULE_PLAN: planJson,
    TABLE_NAME: tableName,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
  } = process.env;
  if (!script || !dist || !checkpointFile || !planJson || !tableName || !endpoint)
    throw new Error(
      'BENCH_* settings, TABLE_NAME or the endpoint are not set: run it through `npm run bench`',
    );
  const plan = JSON.parse(planJson) as SchedulePlan;
  const wellhub = await startLocalWellhub({ token: WELLHUB_TOKEN });
  const store = new DynamoDbStore({ tableName, timeoutMs: GYM_API_DYNAMODB_TIMEOUT_MS });
  let pipeline: ReceiverProcess | undefined;
  try {
    pipeline = await startReceiver(
      'schedule pipeline',
      script,
      scheduleWorkerEnv(endpoint, dist, checkpointFile, wellhub.url),
    );
    const gym = gymApi(store);
    const changes = await measureChanges(gym, store, wellhub, pipeline, plan.changes, progress);
    const imported = await measureImport(store, wellhub, plan.import, progress);
    await sendResults<ScheduleResults>({ changes, import: imported });
  } finally {
    await pipeline?.stop();
    await wellhub.close();
  }
}

runAsDriver('schedule', main);
