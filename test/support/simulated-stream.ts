/**
 * A DynamoDB stream in memory, answering the Streams API calls the poller makes, for what DynamoDB
 * Local does only after hours: a shard rollover (the parent closes, a child appears) and iterators
 * that expire. Every call is kept, so a test can tell in which order shards were read.
 */
import {
  type _Record,
  DescribeStreamCommand,
  type DescribeStreamCommandOutput,
  ExpiredIteratorException,
  type GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type GetShardIteratorCommandOutput,
  ResourceNotFoundException,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import type { StreamsApi } from '#lib/local/stream-poller';

interface SimulatedShard {
  readonly shardId: string;
  readonly parentShardId?: string;
  readonly records: _Record[];
  closed: boolean;
}

export interface StreamCall {
  readonly command: 'DescribeStream' | 'GetShardIterator' | 'GetRecords';
  readonly shardId?: string;
  /** For GetRecords: how many records it returned and whether the shard ended there. */
  readonly returned?: number;
  readonly ended?: boolean;
}

type Fault = 'expired' | 'trimmed';

const METADATA = { $metadata: {} };

export class SimulatedStream {
  readonly streamArn =
    'arn:aws:dynamodb:ddblocal:000000000000:table/simulated/stream/2026-12-04T00:00:00.000';
  readonly calls: StreamCall[] = [];
  private readonly shards: SimulatedShard[] = [];
  private readonly faults: Fault[] = [];
  private sequence = 0;

  /** Shards are listed in the order added, a page of `pageSize` at a time. */
  constructor(private readonly pageSize = 1) {}

  addShard(shardId: string, parentShardId?: string): void {
    this.shards.push({
      shardId,
      ...(parentShardId === undefined ? {} : { parentShardId }),
      records: [],
      closed: false,
    });
  }

  /** Appends one INSERT per key to the shard. */
  write(shardId: string, keys: readonly string[]): void {
    const shard = this.shard(shardId);
    if (shard.closed) throw new Error(`shard ${shardId} is closed`);
    for (const pk of keys) {
      const SequenceNumber = String(++this.sequence).padStart(21, '0');
      shard.records.push({
        eventID: `event-${this.sequence}`,
        eventName: 'INSERT',
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: 'ddblocal',
        dynamodb: {
          ApproximateCreationDateTime: new Date(),
          Keys: { pk: { S: pk } },
          NewImage: { pk: { S: pk } },
          SequenceNumber,
          SizeBytes: 10,
          StreamViewType: 'NEW_AND_OLD_IMAGES',
        },
      });
    }
  }

  /** What a rollover does: the shard takes no more records and a child takes over. */
  rollOver(shardId: string, childShardId: string): void {
    this.shard(shardId).closed = true;
    this.addShard(childShardId, shardId);
  }

  /** What happens to a shard older than the stream keeps: it is no longer listed or readable. */
  trim(shardId: string): void {
    this.shards.splice(this.shards.indexOf(this.shard(shardId)), 1);
  }

  /** The next GetRecords answers with this error instead of records. */
  failNextRead(fault: Fault): void {
    this.faults.push(fault);
  }

  readonly api: StreamsApi = {
    send: ((command: DescribeStreamCommand | GetShardIteratorCommand | GetRecordsCommand) =>
      Promise.resolve().then(() => this.answer(command))) as StreamsApi['send'],
  };

  private answer(
    command: DescribeStreamCommand | GetShardIteratorCommand | GetRecordsCommand,
  ): DescribeStreamCommandOutput | GetShardIteratorCommandOutput | GetRecordsCommandOutput {
    if (command instanceof DescribeStreamCommand) return this.describe(command.input.ExclusiveStartShardId);
    if (command instanceof GetShardIteratorCommand) {
      const { ShardId: shardId = '', ShardIteratorType: type, SequenceNumber: after } = command.input;
      this.calls.push({ command: 'GetShardIterator', shardId });
      const shard = this.shard(shardId);
      const position =
        type === 'AFTER_SEQUENCE_NUMBER'
          ? shard.records.findIndex(
              (record) => BigInt(record.dynamodb?.SequenceNumber ?? 0) > BigInt(after ?? 0),
            )
          : 0;
      return {
        ShardIterator: iterator(shardId, position === -1 ? shard.records.length : position),
        ...METADATA,
      };
    }
    const [shardId = '', start = '0'] = (command.input.ShardIterator ?? '').split('|');
    const fault = this.faults.shift();
    if (fault === 'expired') {
      this.calls.push({ command: 'GetRecords', shardId, returned: 0 });
      throw new ExpiredIteratorException({ message: 'Iterator expired', ...METADATA });
    }
    if (fault === 'trimmed') {
      this.calls.push({ command: 'GetRecords', shardId, returned: 0 });
      throw new TrimmedDataAccessException({ message: 'Data trimmed', ...METADATA });
    }
    const shard = this.shard(shardId);
    const from = Number(start);
    const records = shard.records.slice(from, from + (command.input.Limit ?? 1000));
    const next = from + records.length;
    const ended = shard.closed && next >= shard.records.length;
    this.calls.push({ command: 'GetRecords', shardId, returned: records.length, ended });
    return {
      Records: records,
      ...(ended ? {} : { NextShardIterator: iterator(shardId, next) }),
      ...METADATA,
    };
  }

  private describe(exclusiveStartShardId: string | undefined): DescribeStreamCommandOutput {
    this.calls.push({ command: 'DescribeStream' });
    const from =
      exclusiveStartShardId === undefined
        ? 0
        : this.shards.findIndex((s) => s.shardId === exclusiveStartShardId) + 1;
    const page = this.shards.slice(from, from + this.pageSize);
    const last = page.at(-1);
    return {
      StreamDescription: {
        StreamArn: this.streamArn,
        StreamStatus: 'ENABLED',
        Shards: page.map((shard) => ({
          ShardId: shard.shardId,
          ...(shard.parentShardId === undefined ? {} : { ParentShardId: shard.parentShardId }),
          SequenceNumberRange: {
            StartingSequenceNumber: shard.records[0]?.dynamodb?.SequenceNumber ?? '0',
            ...(shard.closed
              ? { EndingSequenceNumber: shard.records.at(-1)?.dynamodb?.SequenceNumber ?? '0' }
              : {}),
          },
        })),
        ...(from + this.pageSize < this.shards.length && last ? { LastEvaluatedShardId: last.shardId } : {}),
      },
      ...METADATA,
    };
  }

  private shard(shardId: string): SimulatedShard {
    const shard = this.shards.find((s) => s.shardId === shardId);
    // DynamoDB Local's answer for a shard it does not have.
    if (!shard) throw new ResourceNotFoundException({ message: 'Shard does not exist', ...METADATA });
    return shard;
  }
}

function iterator(shardId: string, position: number): string {
  return `${shardId}|${position}`;
}
