/**
 * What runs behind `startStreamPoller`, as Lambda's event source mapping does for one stream: it
 * describes the stream, reads each shard once its parent is done, delivers and checkpoints.
 */
import type { _Record } from '@aws-sdk/client-dynamodb-streams';
import { matchesAny } from '#lib/local/filter-pattern';
import { type DiscardedBatch, deliverBatch } from '#lib/local/stream-batch';
import { loadCheckpoint, type ShardCheckpoint, saveCheckpoint } from '#lib/local/stream-checkpoint';
import type { StreamPollerOptions } from '#lib/local/stream-poller';
import { compareSequenceNumbers, sequenceNumberOf, toLambdaRecord } from '#lib/local/stream-records';
import { readShard, type ShardReaderContext } from '#lib/local/stream-shard-reader';
import { describeShards, isReadable, type ShardDescription } from '#lib/local/stream-shards';
import { Backoff, describeError, Wakeup } from '#lib/local/streams-api';

const DEFAULT_BATCH_SIZE = 100;
const DEFAULT_POLL_INTERVAL_MS = 50;
const DEFAULT_DESCRIBE_INTERVAL_MS = 3_000;

interface CaughtUpWaiter {
  readonly readNumber: number;
  readonly describeNumber: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** The engine behind `startStreamPoller`: shards, checkpoint, and who is waiting for what. */
export class EventSourceMapping {
  private readonly controller = new AbortController();
  private readonly positions = new Map<string, ShardCheckpoint>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly readToEndAt = new Map<string, number>();
  private readonly waiters = new Set<CaughtUpWaiter>();
  private readonly log: (line: Record<string, unknown>) => void;
  private listing = new Map<string, ShardDescription>();
  private describing: Promise<void> | undefined;
  private describeNumber = 0;
  private readNumber = 0;
  /** Wakes the supervisor for a describe before the interval is up. */
  private readonly describeWakeup = new Wakeup();
  private supervisor: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: StreamPollerOptions) {
    this.log = options.log ?? (() => {});
    const loaded = loadCheckpoint(options.checkpointFile, options.streamArn);
    if (loaded.kind === 'loaded') {
      for (const [shardId, position] of Object.entries(loaded.checkpoint.shards)) {
        this.positions.set(shardId, position);
      }
    } else if (loaded.kind === 'other-stream') {
      this.log({
        level: 'WARN',
        message: 'stream checkpoint belongs to another stream: reading from the start',
      });
    }
  }

  start(): void {
    this.supervisor = this.supervise();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.controller.abort();
      await this.supervisor;
      await Promise.all(this.running.values());
      this.save();
      for (const waiter of this.waiters) waiter.reject(new Error('the stream poller was stopped'));
      this.waiters.clear();
    })();
    return this.stopping;
  }

  caughtUp(): Promise<void> {
    if (this.controller.signal.aborted) return Promise.reject(new Error('the stream poller was stopped'));
    return new Promise((resolve, reject) => {
      this.waiters.add({ readNumber: this.readNumber, describeNumber: this.describeNumber, resolve, reject });
      // A shard created just before the call must count too: describe now rather than at the next tick.
      this.describeWakeup.wake();
    });
  }

  /** Describes the stream now and then every few seconds, starting each shard as it becomes readable. */
  private async supervise(): Promise<void> {
    const signal = this.controller.signal;
    const backoff = new Backoff(100, 5_000);
    const interval = this.options.describeIntervalMs ?? DEFAULT_DESCRIBE_INTERVAL_MS;
    while (!signal.aborted) {
      try {
        await this.describe();
        if (backoff.attempts > 0) this.log({ level: 'INFO', message: 'stream describe resumed' });
        backoff.reset();
        await this.describeWakeup.wait(interval, signal);
      } catch (error) {
        if (signal.aborted) return;
        if (backoff.attempts === 0) {
          this.log({ level: 'WARN', message: 'stream describe failed', error: describeError(error) });
        }
        await backoff.wait(signal);
      }
    }
  }

  /** Concurrent callers share one DescribeStream pass. */
  private describe(): Promise<void> {
    this.describing ??= (async () => {
      try {
        const shards = await describeShards(
          this.options.streams,
          this.options.streamArn,
          this.controller.signal,
        );
        this.applyListing(shards);
      } finally {
        this.describing = undefined;
      }
    })();
    return this.describing;
  }

  private applyListing(shards: readonly ShardDescription[]): void {
    const previous = this.listing;
    this.listing = new Map(shards.map((shard) => [shard.shardId, shard]));
    for (const shard of shards) {
      if (previous.has(shard.shardId) || this.positions.get(shard.shardId)?.finished) continue;
      this.log({
        level: 'INFO',
        message: 'stream shard found',
        shardId: shard.shardId,
        parentShardId: shard.parentShardId,
      });
    }
    // Finished shards the stream no longer lists were trimmed: nothing can depend on them any more.
    for (const [shardId, position] of this.positions) {
      if (position.finished && !this.listing.has(shardId)) this.positions.delete(shardId);
    }
    this.describeNumber++;
    this.startReadableShards();
    this.settleWaiters();
  }

  private startReadableShards(): void {
    if (this.controller.signal.aborted) return;
    const listed = new Set(this.listing.keys());
    const isFinished = (shardId: string) => this.positions.get(shardId)?.finished === true;
    for (const shard of this.listing.values()) {
      const { shardId } = shard;
      if (this.running.has(shardId) || isFinished(shardId) || !isReadable(shard, listed, isFinished))
        continue;
      const reading = readShard(shardId, this.readerContext())
        .catch((error: unknown) => {
          // Not finished, so the next describe starts it again from its checkpoint.
          this.log({
            level: 'ERROR',
            message: 'stream shard reader failed',
            shardId,
            error: describeError(error),
          });
        })
        .finally(() => this.running.delete(shardId));
      this.running.set(shardId, reading);
    }
  }

  private readerContext(): ShardReaderContext {
    const { streams, streamArn } = this.options;
    return {
      streams,
      streamArn,
      batchSize: this.options.batchSize ?? DEFAULT_BATCH_SIZE,
      pollIntervalMs: this.options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      signal: this.controller.signal,
      log: this.log,
      positionOf: (shardId) => this.positions.get(shardId)?.sequenceNumber,
      handleRecords: (shardId, records) => this.handleRecords(shardId, records),
      isListed: async (shardId) => {
        await this.describe();
        return this.listing.has(shardId);
      },
      readToEnd: (shardId, readNumber) => {
        this.readToEndAt.set(shardId, readNumber);
        this.settleWaiters();
      },
      finished: (shardId, how) => this.finishShard(shardId, how),
      nextReadNumber: () => ++this.readNumber,
    };
  }

  private async handleRecords(shardId: string, page: readonly _Record[]): Promise<'done' | 'abandoned'> {
    const position = this.positions.get(shardId)?.sequenceNumber;
    // A record at or before the checkpoint was done with already: never deliver it twice.
    const fresh = page.filter(
      (record) => position === undefined || compareSequenceNumbers(sequenceNumberOf(record), position) > 0,
    );
    const last = fresh.at(-1);
    if (last === undefined) return 'done';
    const source = {
      awsRegion: this.options.region ?? process.env.AWS_REGION ?? 'us-east-1',
      eventSourceArn: this.options.eventSourceArn ?? this.options.streamArn,
    };
    const matching = fresh
      .map((record) => toLambdaRecord(record, source))
      .filter((record) => matchesAny(this.options.filters, record));
    const outcome = await deliverBatch(matching, {
      handler: this.options.handler,
      retryAttempts: this.options.retryAttempts ?? 3,
      bisectBatchOnError: this.options.bisectBatchOnError ?? true,
      maxRecordAgeSeconds: this.options.maxRecordAgeSeconds,
      streamArn: this.options.streamArn,
      shardId,
      signal: this.controller.signal,
      advance: (sequenceNumber) => this.advance(shardId, sequenceNumber),
      discard: (batch) => this.reportDiscarded(batch),
      log: this.log,
    });
    if (outcome === 'abandoned') return outcome;
    // Records the filters left out are passed over too, as Lambda's checkpoint does.
    this.advance(shardId, sequenceNumberOf(last));
    return 'done';
  }

  private advance(shardId: string, sequenceNumber: string): void {
    const current = this.positions.get(shardId);
    if (current?.sequenceNumber === sequenceNumber) return;
    this.positions.set(shardId, { ...current, sequenceNumber });
    this.save();
  }

  private finishShard(shardId: string, how: 'closed' | 'gone'): void {
    this.positions.set(shardId, { ...this.positions.get(shardId), finished: true });
    this.save();
    this.log({
      level: how === 'gone' ? 'WARN' : 'INFO',
      message: how === 'gone' ? 'stream shard gone before it was finished' : 'stream shard finished',
      shardId,
    });
    // Its children may be listed already; a describe finds those that are not yet.
    this.startReadableShards();
    this.describeWakeup.wake();
    this.settleWaiters();
  }

  private reportDiscarded(batch: DiscardedBatch): void {
    try {
      this.options.onDiscarded?.(batch);
    } catch (error) {
      this.log({ level: 'ERROR', message: 'onDiscarded failed', error: describeError(error) });
    }
  }

  private settleWaiters(): void {
    for (const waiter of this.waiters) {
      if (this.describeNumber <= waiter.describeNumber) continue;
      const allRead = [...this.listing.keys()].every(
        (shardId) =>
          this.positions.get(shardId)?.finished === true ||
          (this.readToEndAt.get(shardId) ?? 0) > waiter.readNumber,
      );
      if (!allRead) continue;
      this.waiters.delete(waiter);
      waiter.resolve();
    }
  }

  private save(): void {
    const shards = Object.fromEntries(this.positions);
    saveCheckpoint(this.options.checkpointFile, { streamArn: this.options.streamArn, shards });
  }
}
