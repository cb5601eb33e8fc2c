/**
 * The pipeline on one machine: the worker Lambda fed from DynamoDB Local's stream by a poller that
 * behaves like Lambda's event source mapping (same filters, partial failures, checkpoint), and the
 * sweeper run every minute (reconcile every 15) as EventBridge Scheduler would. `npm start` and the tests both use it.
 */
import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { lambdaContext } from '#lib/local/lambda-context';
import { startStreamPoller, streamArnOf } from '#lib/local/stream-poller';
import { WORKER_FILTERS } from '#lib/pipeline/stream-filters';

export interface LocalPipelineOptions {
  readonly dynamodb: DynamoDBClient;
  readonly endpoint: string;
  readonly tableName: string;
  readonly checkpointFile: string;
  readonly worker: (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;
  readonly sweeper: (event: unknown, context: Context) => Promise<unknown>;
  /** Default one minute, as the stack schedules it; 0 runs no sweeper (tests sweep by hand). */
  readonly sweepEveryMs?: number;
  /** Reconcile of the schedule with Wellhub, every 15 minutes as the stack schedules it. */
  readonly reconciler?: (event: unknown, context: Context) => Promise<unknown>;
}

export interface LocalPipeline {
  /** Runs the sweeper once, now. */
  sweep(): Promise<void>;
  stop(): Promise<void>;
}

/** The stack's settings (infra/pipeline.ts): the local run fails the way the deployed one does. */
const WORKER_TIMEOUT_MS = 30_000;
const SWEEPER_TIMEOUT_MS = 60_000;
const RECONCILE_EVERY_MS = 15 * 60_000;

export async function startLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  const streamArn = await streamArnOf(options.dynamodb, options.tableName);
  const streams = new DynamoDBStreamsClient({ endpoint: options.endpoint });
  const logStreamName = `${new Date().toISOString().slice(0, 10)}/[$LATEST]${randomBytes(16).toString('hex')}`;
  const context = (name: string, timeoutMs: number) =>
    lambdaContext(name, randomBytes(16).toString('hex'), { timeoutMs, memoryMb: '1024', logStreamName });

  const poller = startStreamPoller({
    streams,
    streamArn,
    checkpointFile: options.checkpointFile,
    filters: WORKER_FILTERS,
    handler: (event) => options.worker(event, context('worker', WORKER_TIMEOUT_MS)),
    retryAttempts: 5,
    bisectBatchOnError: true,
    maxRecordAgeSeconds: 3600,
    log: (line) =>
      process.stderr.write(`${JSON.stringify({ timestamp: new Date().toISOString(), ...line })}\n`),
    onDiscarded: (batch) => {
      // Lambda would send this to the dead-letter queue; the sweeper still owns every record in it.
      process.stderr.write(
        `${JSON.stringify({ level: 'ERROR', message: 'stream batch discarded', ...batch })}\n`,
      );
    },
  });

  const scheduled =
    (name: string, run: (event: unknown, context: Context) => Promise<unknown>) => async () => {
      try {
        await run({}, context(name, SWEEPER_TIMEOUT_MS));
      } catch (error) {
        process.stderr.write(
          `${JSON.stringify({ level: 'ERROR', message: `${name} failed`, error: error instanceof Error ? error.message : String(error) })}\n`,
        );
      }
    };
  const sweep = scheduled('sweeper', options.sweeper);
  const every = options.sweepEveryMs ?? 60_000;
  const timers = [
    every > 0 ? setInterval(() => void sweep(), every) : undefined,
    options.reconciler && every > 0
      ? setInterval(
          () => void scheduled('reconcile', options.reconciler as NonNullable<typeof options.reconciler>)(),
          RECONCILE_EVERY_MS,
        )
      : undefined,
  ];
  for (const timer of timers) timer?.unref();
  // What came due while the service was stopped is not left for a minute.
  if (every > 0) void sweep();

  return {
    sweep,
    stop: async () => {
      for (const timer of timers) if (timer) clearInterval(timer);
      await poller.stop();
      streams.destroy();
    },
  };
}
