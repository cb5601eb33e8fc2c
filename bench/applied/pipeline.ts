/**
 * The pipeline behind the webhooks, in a process of its own as it is a Lambda of its own when
 * deployed: the worker and the sweeper exactly as `npm run build` bundles them (dist/worker,
 * dist/sweeper), fed from the table's stream by the local stand-in for Lambda's event source mapping
 * (lib/local/pipeline.ts). The sweeper never runs by itself (`sweepEveryMs: 0`): an event the stream
 * did not apply must show up as not applied, not be rescued a minute later. Bundled and started by
 * bench/run.ts with support/environment.ts `workerEnv`, and by the schedule run (schedule/driver.ts)
 * with `scheduleWorkerEnv`, whose Wellhub settings make the same worker publish to a local Wellhub.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LocalPipelineOptions } from '#lib/local/pipeline';
import { startLocalPipeline } from '#lib/local/pipeline';
import { announceReady } from '../support/protocol';

async function main(): Promise<void> {
  const { BENCH_DIST_DIR: dist, BENCH_CHECKPOINT_FILE: checkpointFile, TABLE_NAME: tableName } = process.env;
  const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  if (!dist || !checkpointFile || !tableName || !endpoint)
    throw new Error('BENCH_DIST_DIR, BENCH_CHECKPOINT_FILE, TABLE_NAME or the endpoint is not set');
  const bundle = async <T>(name: string): Promise<T> => {
    const module: { handler: T } = await import(pathToFileURL(join(dist, name, 'index.mjs')).href);
    return module.handler;
  };
  const worker = await bundle<LocalPipelineOptions['worker']>('worker');
  const sweeper = await bundle<LocalPipelineOptions['sweeper']>('sweeper');
  await startLocalPipeline({
    dynamodb: new DynamoDBClient({ endpoint }),
    endpoint,
    tableName,
    checkpointFile,
    worker,
    sweeper,
    sweepEveryMs: 0,
  });
  announceReady();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench pipeline: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
