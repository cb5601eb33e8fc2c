/**
 * Turns what DynamoDB Local's GetRecords returns into the record Lambda's event source mapping hands
 * the function, so the worker runs unchanged: epoch seconds, base64 binaries, `REMOVE` for TTL
 * deletes, and the region and source ARN Lambda fills in.
 */
import type { _Record, AttributeValue as StreamAttributeValue } from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, DynamoDBRecord, StreamRecord } from 'aws-lambda';

export interface RecordSource {
  readonly awsRegion: string;
  readonly eventSourceArn: string;
}

type LambdaImage = Record<string, AttributeValue>;

/** How AWS marks a delete made by TTL rather than by a caller; workers tell the two apart by it. */
const TTL_DELETE_IDENTITY = { type: 'Service', principalId: 'dynamodb.amazonaws.com' };

export function toLambdaRecord(record: _Record, source: RecordSource): DynamoDBRecord {
  // DynamoDB Local's TTL deletes carry an event name the SDK does not know; AWS calls them REMOVE.
  const sdkEventName: string | undefined = record.eventName;
  const isTtlDelete = sdkEventName === 'UNKNOWN_TO_SDK_VERSION';
  const eventName = isTtlDelete ? 'REMOVE' : record.eventName;
  const userIdentity = record.userIdentity ?? (isTtlDelete ? TTL_DELETE_IDENTITY : undefined);
  return {
    ...(record.eventID === undefined ? {} : { eventID: record.eventID }),
    ...(eventName === undefined ? {} : { eventName }),
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: source.awsRegion,
    eventSourceARN: source.eventSourceArn,
    dynamodb: toStreamRecord(record.dynamodb ?? {}),
    ...(userIdentity === undefined ? {} : { userIdentity: { ...userIdentity } }),
  };
}

function toStreamRecord(stream: NonNullable<_Record['dynamodb']>): StreamRecord {
  const created = stream.ApproximateCreationDateTime;
  const result: {
    -readonly [K in keyof StreamRecord]: StreamRecord[K];
  } = {};
  if (created !== undefined) result.ApproximateCreationDateTime = Math.floor(created.getTime() / 1000);
  if (stream.Keys !== undefined) result.Keys = toLambdaImage(stream.Keys);
  if (stream.NewImage !== undefined) result.NewImage = toLambdaImage(stream.NewImage);
  if (stream.OldImage !== undefined) result.OldImage = toLambdaImage(stream.OldImage);
  if (stream.SequenceNumber !== undefined) result.SequenceNumber = stream.SequenceNumber;
  if (stream.SizeBytes !== undefined) result.SizeBytes = stream.SizeBytes;
  if (stream.StreamViewType !== undefined) result.StreamViewType = stream.StreamViewType;
  return result;
}

function toLambdaImage(image: Record<string, StreamAttributeValue>): LambdaImage {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, toLambdaValue(value)]));
}

/** Lambda's JSON has binaries as base64 strings where the SDK has bytes; everything else maps as is. */
function toLambdaValue(value: StreamAttributeValue): AttributeValue {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.SS !== undefined) return { SS: [...value.SS] };
  if (value.NS !== undefined) return { NS: [...value.NS] };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaValue) };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  // The Streams client reads an empty map (`{"M":{}}`) back as `{}`, with its type lost; maps are the
  // only empty containers the table holds, and refusing the record would block its shard for good.
  if (Object.keys(value).length === 0) return { M: {} };
  throw new Error(`unsupported attribute value type: ${Object.keys(value).join(', ')}`);
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/** The record's sequence number; a record without one cannot be checkpointed, so it is refused. */
export function sequenceNumberOf(record: _Record): string {
  const sequenceNumber = record.dynamodb?.SequenceNumber;
  if (sequenceNumber === undefined) throw new Error('stream record without a sequence number');
  return sequenceNumber;
}

/**
 * Sequence numbers are decimal counters (zero-padded on DynamoDB Local, 21+ digits on AWS): past
 * Number's precision, so they compare as BigInt.
 */
export function compareSequenceNumbers(a: string, b: string): number {
  const difference = BigInt(a) - BigInt(b);
  return difference === 0n ? 0 : difference < 0n ? -1 : 1;
}
