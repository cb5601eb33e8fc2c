/**
 * One batch of a shard through the handler, with the event source mapping's failure handling: partial
 * batch responses, retries, bisection on error, maximum record age, and discarding what cannot be
 * delivered so that one bad record never blocks its shard.
 */
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { describeError, sleep } from '#lib/local/streams-api';

/** Lambda's DynamoDB stream handler: nothing, or a partial batch response naming the failed records. */
export type StreamHandler = (
  event: DynamoDBStreamEvent,
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns nothing is a Lambda handler too.
) => Promise<DynamoDBBatchResponse | undefined | void>;

/** What Lambda sends the on-failure destination: where the records were, never the records. */
export interface DiscardedBatch {
  readonly reason: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
  readonly streamArn: string;
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly approximateArrivalOfFirstRecord?: string;
  readonly approximateArrivalOfLastRecord?: string;
  readonly batchSize: number;
}

export interface BatchDelivery {
  readonly handler: StreamHandler;
  readonly retryAttempts: number;
  readonly bisectBatchOnError: boolean;
  readonly maxRecordAgeSeconds: number | undefined;
  readonly streamArn: string;
  readonly shardId: string;
  /** Aborted when the poller stops: no new attempt starts after that. */
  readonly signal: AbortSignal;
  /** Every record up to and including this sequence number is done with (handled or discarded). */
  readonly advance: (sequenceNumber: string) => void;
  readonly discard: (batch: DiscardedBatch) => void;
  readonly log: (line: Record<string, unknown>) => void;
}

interface PendingPart {
  records: DynamoDBRecord[];
  failures: number;
}

/** Pause before retrying a failed batch, so a dependency that is briefly down has time to come back. */
const RETRY_DELAY_MS = 100;
const RETRY_DELAY_CAP_MS = 1_000;

/** Resolves 'abandoned' when stopped before every record was done with; those are not advanced past. */
export async function deliverBatch(
  records: readonly DynamoDBRecord[],
  delivery: BatchDelivery,
): Promise<'done' | 'abandoned'> {
  // In stream order: the first part is always the oldest records not yet done with.
  const pending: PendingPart[] = records.length === 0 ? [] : [{ records: [...records], failures: 0 }];
  for (let part = pending[0]; part !== undefined; part = pending[0]) {
    if (delivery.signal.aborted) return 'abandoned';
    const expired = expiredPrefix(part.records, delivery.maxRecordAgeSeconds);
    if (expired.length > 0) {
      finish(expired, 'RecordAgeExceeded', delivery);
      part.records = part.records.slice(expired.length);
    }
    if (part.records.length === 0) {
      pending.shift();
      continue;
    }

    const failedFrom = await invoke(part.records, delivery);
    if (failedFrom === undefined) {
      delivery.advance(sequenceNumber(part.records.at(-1)));
      pending.shift();
      continue;
    }
    if (failedFrom > 0) {
      delivery.advance(sequenceNumber(part.records[failedFrom - 1]));
      part.records = part.records.slice(failedFrom);
    }
    if (delivery.bisectBatchOnError && part.records.length > 1) {
      // Splitting is not a retry: halving until the bad record stands alone costs the others nothing.
      const half = Math.ceil(part.records.length / 2);
      pending.splice(
        0,
        1,
        { records: part.records.slice(0, half), failures: part.failures },
        { records: part.records.slice(half), failures: part.failures },
      );
      continue;
    }
    part.failures++;
    if (part.failures > delivery.retryAttempts) {
      finish(part.records, 'RetryAttemptsExhausted', delivery);
      pending.shift();
      continue;
    }
    await sleep(Math.min(RETRY_DELAY_CAP_MS, RETRY_DELAY_MS * 2 ** (part.failures - 1)), delivery.signal);
  }
  return 'done';
}

/** The index of the first record to retry, or undefined when the whole batch succeeded. */
async function invoke(records: DynamoDBRecord[], delivery: BatchDelivery): Promise<number | undefined> {
  let response: Awaited<ReturnType<StreamHandler>>;
  try {
    response = await delivery.handler({ Records: records });
  } catch (error) {
    // The message may say why; the records themselves (personal data) are never logged.
    delivery.log({
      level: 'WARN',
      message: 'stream handler failed',
      shardId: delivery.shardId,
      batchSize: records.length,
      error: describeError(error),
    });
    return 0;
  }
  const failures = response?.batchItemFailures ?? [];
  if (failures.length === 0) return undefined;
  const positions = failures.map((failure) =>
    records.findIndex((record) => record.dynamodb?.SequenceNumber === failure?.itemIdentifier),
  );
  // As in Lambda, an identifier that names no record of the batch fails the whole batch.
  if (positions.includes(-1)) {
    delivery.log({
      level: 'WARN',
      message: 'stream handler reported an item identifier that is not in the batch',
      shardId: delivery.shardId,
    });
    return 0;
  }
  return Math.min(...positions);
}

function expiredPrefix(records: DynamoDBRecord[], maxAgeSeconds: number | undefined): DynamoDBRecord[] {
  if (maxAgeSeconds === undefined) return [];
  const now = Date.now() / 1000;
  const end = records.findIndex((record) => !isOlderThan(record, maxAgeSeconds, now));
  return end === -1 ? records : records.slice(0, end);
}

/**
 * DynamoDB Local truncates creation times to the minute: the age is counted from the end of that
 * minute, so a record is never discarded earlier than Lambda would discard it.
 */
function isOlderThan(record: DynamoDBRecord, maxAgeSeconds: number, now: number): boolean {
  const created = record.dynamodb?.ApproximateCreationDateTime;
  if (created === undefined) return false;
  const latestPossible = created % 60 === 0 ? created + 59 : created;
  return now - latestPossible > maxAgeSeconds;
}

function finish(records: DynamoDBRecord[], reason: DiscardedBatch['reason'], delivery: BatchDelivery): void {
  const first = records[0];
  const last = records.at(-1);
  const arrival = (record: DynamoDBRecord | undefined) => {
    const created = record?.dynamodb?.ApproximateCreationDateTime;
    return created === undefined ? undefined : new Date(created * 1000).toISOString();
  };
  const firstArrival = arrival(first);
  const lastArrival = arrival(last);
  const batch: DiscardedBatch = {
    reason,
    streamArn: delivery.streamArn,
    shardId: delivery.shardId,
    startSequenceNumber: sequenceNumber(first),
    endSequenceNumber: sequenceNumber(last),
    ...(firstArrival === undefined ? {} : { approximateArrivalOfFirstRecord: firstArrival }),
    ...(lastArrival === undefined ? {} : { approximateArrivalOfLastRecord: lastArrival }),
    batchSize: records.length,
  };
  delivery.log({ level: 'ERROR', message: 'stream records discarded', ...batch });
  delivery.discard(batch);
  delivery.advance(batch.endSequenceNumber);
}

function sequenceNumber(record: DynamoDBRecord | undefined): string {
  const value = record?.dynamodb?.SequenceNumber;
  // Records reach this point only after the poller has checked they carry one.
  if (value === undefined) throw new Error('stream record without a sequence number');
  return value;
}
