/**
 * The stream's shards as DescribeStream lists them, and the lineage rule that keeps records of one key
 * in order across a rollover: a child is read only once its parent has been read to its end.
 */
import { DescribeStreamCommand } from '@aws-sdk/client-dynamodb-streams';
import type { StreamsApi } from '#lib/local/streams-api';

export interface ShardDescription {
  readonly shardId: string;
  readonly parentShardId?: string;
  /** Set once the shard is closed: no record will be added to it. */
  readonly endingSequenceNumber?: string;
}

export async function describeShards(
  streams: StreamsApi,
  streamArn: string,
  signal: AbortSignal,
): Promise<ShardDescription[]> {
  const shards: ShardDescription[] = [];
  let exclusiveStartShardId: string | undefined;
  do {
    const page = await streams.send(
      new DescribeStreamCommand({
        StreamArn: streamArn,
        ...(exclusiveStartShardId === undefined ? {} : { ExclusiveStartShardId: exclusiveStartShardId }),
      }),
      { abortSignal: signal },
    );
    for (const shard of page.StreamDescription?.Shards ?? []) {
      if (shard.ShardId === undefined) continue;
      const ending = shard.SequenceNumberRange?.EndingSequenceNumber;
      shards.push({
        shardId: shard.ShardId,
        ...(shard.ParentShardId === undefined ? {} : { parentShardId: shard.ParentShardId }),
        ...(ending === undefined ? {} : { endingSequenceNumber: ending }),
      });
    }
    exclusiveStartShardId = page.StreamDescription?.LastEvaluatedShardId;
  } while (exclusiveStartShardId !== undefined);
  return shards;
}

/**
 * Whether a shard may be read now. A parent the stream no longer lists was trimmed (older than the
 * stream keeps), so nothing of it can be read any more and its children need not wait.
 */
export function isReadable(
  shard: ShardDescription,
  listed: ReadonlySet<string>,
  isFinished: (shardId: string) => boolean,
): boolean {
  const parent = shard.parentShardId;
  return parent === undefined || !listed.has(parent) || isFinished(parent);
}
