/**
 * The local stand-in for Lambda's DynamoDB event source mapping: it reads the table's stream from
 * DynamoDB Local and hands the worker the same batches, with the same filters, retries, partial batch
 * responses and discards, and a checkpoint file so `npm start` resumes where it stopped.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventSourceMapping } from '#lib/local/event-source-mapping';
import { assertValidFilterPattern, type FilterPattern } from '#lib/local/filter-pattern';
import type { DiscardedBatch, StreamHandler } from '#lib/local/stream-batch';
import type { StreamsApi } from '#lib/local/streams-api';

export type { FilterPattern } from '#lib/local/filter-pattern';
export type { DiscardedBatch, StreamHandler } from '#lib/local/stream-batch';
export type { StreamsApi } from '#lib/local/streams-api';

export interface StreamPollerOptions {
  readonly streams: StreamsApi;
  readonly streamArn: string;
  /** JSON file with the position in each shard (under $DATA_DIR for `npm start`). */
  readonly checkpointFile: string;
  readonly filters: readonly FilterPattern[];
  readonly handler: StreamHandler;
  /** Most records per handler call; Lambda's default is 100. */
  readonly batchSize?: number;
  /** Wait between reads of a shard that had nothing new; short, since it adds to webhook latency. */
  readonly pollIntervalMs?: number;
  /** Retries of a failing batch before it is discarded; default 3. */
  readonly retryAttempts?: number;
  /** Split a failing batch in halves to isolate the failing record; default true. */
  readonly bisectBatchOnError?: boolean;
  /** Records older than this are discarded instead of delivered; default: never. */
  readonly maxRecordAgeSeconds?: number;
  /** Told what the on-failure destination would be sent: where the records were, not their contents. */
  readonly onDiscarded?: (batch: DiscardedBatch) => void;
  /** The records' eventSourceARN; default: the stream ARN. */
  readonly eventSourceArn?: string;
  /** The records' awsRegion; default: AWS_REGION, else us-east-1. */
  readonly region?: string;
  /** How often the stream is described to notice new shards; default 3 s. */
  readonly describeIntervalMs?: number;
  /** One JSON object per noteworthy thing (errors, discards, shard changes); never record contents. */
  readonly log?: (line: Record<string, unknown>) => void;
}

export interface StreamPoller {
  /** Lets the handler call in flight finish, writes the checkpoint, and leaves nothing running. */
  stop(): Promise<void>;
  /** Resolves once every shard has been read to its current end since the call. */
  caughtUp(): Promise<void>;
}

export async function streamArnOf(dynamodb: DynamoDBClient, tableName: string): Promise<string> {
  const { Table: table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
  const streamArn = table?.StreamSpecification?.StreamEnabled ? table.LatestStreamArn : undefined;
  if (streamArn === undefined) {
    throw new Error(`table ${tableName} has no stream: create it with StreamSpecification.StreamEnabled`);
  }
  return streamArn;
}

export function startStreamPoller(options: StreamPollerOptions): StreamPoller {
  for (const pattern of options.filters) assertValidFilterPattern(pattern);
  const poller = new EventSourceMapping(options);
  poller.start();
  return { stop: () => poller.stop(), caughtUp: () => poller.caughtUp() };
}
