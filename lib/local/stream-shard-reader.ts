/**
 * Reads one shard from the checkpoint to its end, batch after batch, and keeps reading through
 * everything DynamoDB Local does to a reader: expired iterators, trimmed positions, shards that
 * vanish, and the whole database going away while it restarts.
 */
import { type _Record, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { Backoff, classifyStreamsError, describeError, type StreamsApi, sleep } from '#lib/local/streams-api';

export interface ShardReaderContext {
  readonly streams: StreamsApi;
  readonly streamArn: string;
  readonly batchSize: number;
  readonly pollIntervalMs: number;
  /** Aborted when the poller stops; it also cuts short a call in flight. */
  readonly signal: AbortSignal;
  readonly log: (line: Record<string, unknown>) => void;
  /** The last sequence number done with in the shard, if any. */
  positionOf(shardId: string): string | undefined;
  /** Delivers one GetRecords page; 'abandoned' when the poller stopped first. */
  handleRecords(shardId: string, records: readonly _Record[]): Promise<'done' | 'abandoned'>;
  /** Describes the stream now and says whether it still lists the shard. */
  isListed(shardId: string): Promise<boolean>;
  /** A GetRecords call started at `readNumber` found nothing new: the shard was read to its end. */
  readToEnd(shardId: string, readNumber: number): void;
  finished(shardId: string, how: 'closed' | 'gone'): void;
  nextReadNumber(): number;
}

export async function readShard(shardId: string, context: ShardReaderContext): Promise<void> {
  const { signal, log } = context;
  const backoff = new Backoff();
  let iterator: string | undefined;
  let checkListing = false;
  while (!signal.aborted) {
    try {
      if (checkListing) {
        if (!(await context.isListed(shardId))) {
          context.finished(shardId, 'gone');
          return;
        }
        checkListing = false;
      }
      iterator ??= await iteratorAtCheckpoint(shardId, context);
      const readNumber = context.nextReadNumber();
      const page = await context.streams.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: context.batchSize }),
        { abortSignal: signal },
      );
      if (backoff.attempts > 0) log({ level: 'INFO', message: 'stream reads resumed', shardId });
      backoff.reset();
      const records = page.Records ?? [];
      if ((await context.handleRecords(shardId, records)) === 'abandoned') return;
      iterator = page.NextShardIterator;
      // Only a closed shard answers without a next iterator, once its last record has been read.
      if (iterator === undefined) {
        context.finished(shardId, 'closed');
        return;
      }
      if (records.length === 0) {
        context.readToEnd(shardId, readNumber);
        await sleep(context.pollIntervalMs, signal);
      }
    } catch (error) {
      if (signal.aborted) return;
      // Whatever went wrong, the next read starts again from the checkpoint: nothing skipped.
      iterator = undefined;
      const failure = classifyStreamsError(error);
      if (failure === 'not-found') checkListing = true;
      if (backoff.attempts === 0) {
        log({ level: 'WARN', message: 'stream read failed', shardId, failure, error: describeError(error) });
      }
      // An expired iterator or a trimmed position is normal once in a while: get a new one at once.
      if ((failure === 'iterator-expired' || failure === 'trimmed') && backoff.attempts === 0) backoff.skip();
      else await backoff.wait(signal);
    }
  }
}

async function iteratorAtCheckpoint(shardId: string, context: ShardReaderContext): Promise<string> {
  const position = context.positionOf(shardId);
  const options = { abortSignal: context.signal };
  const base = { StreamArn: context.streamArn, ShardId: shardId };
  if (position === undefined) {
    return iteratorOf(
      await context.streams.send(
        new GetShardIteratorCommand({ ...base, ShardIteratorType: 'TRIM_HORIZON' }),
        options,
      ),
    );
  }
  try {
    return iteratorOf(
      await context.streams.send(
        new GetShardIteratorCommand({
          ...base,
          ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
          SequenceNumber: position,
        }),
        options,
      ),
    );
  } catch (error) {
    if (classifyStreamsError(error) !== 'trimmed') throw error;
    // The records after the checkpoint are older than the stream keeps: they are gone for good, so
    // carry on from the oldest one left, as Lambda does, and say so.
    context.log({ level: 'ERROR', message: 'stream records expired before they were read', shardId });
    return iteratorOf(
      await context.streams.send(
        new GetShardIteratorCommand({ ...base, ShardIteratorType: 'TRIM_HORIZON' }),
        options,
      ),
    );
  }
}

function iteratorOf(output: { ShardIterator?: string | undefined }): string {
  if (output.ShardIterator === undefined) throw new Error('GetShardIterator returned no iterator');
  return output.ShardIterator;
}
