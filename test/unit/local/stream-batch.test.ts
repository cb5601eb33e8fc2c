import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type BatchDelivery, type DiscardedBatch, deliverBatch } from '#lib/local/stream-batch';

function records(count: number, createdAt = Math.floor(Date.now() / 1000)): DynamoDBRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    eventID: `event-${i + 1}`,
    eventName: 'INSERT',
    dynamodb: { SequenceNumber: seq(i + 1), ApproximateCreationDateTime: createdAt, SizeBytes: 10 },
  }));
}

function seq(n: number): string {
  return String(n).padStart(21, '0');
}

function numbersOf(event: DynamoDBStreamEvent): number[] {
  return event.Records.map((record) => Number(record.dynamodb?.SequenceNumber));
}

function failing(failed: (n: number) => boolean) {
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => ({
    batchItemFailures: numbersOf(event)
      .filter(failed)
      .map((n) => ({ itemIdentifier: seq(n) })),
  });
}

function delivery(handler: BatchDelivery['handler'], overrides: Partial<BatchDelivery> = {}) {
  const calls: number[][] = [];
  const advanced: number[] = [];
  const discarded: DiscardedBatch[] = [];
  const options: BatchDelivery = {
    handler: async (event) => {
      calls.push(numbersOf(event));
      return handler(event);
    },
    retryAttempts: 3,
    bisectBatchOnError: true,
    maxRecordAgeSeconds: undefined,
    streamArn: 'arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/1',
    shardId: 'shardId-1',
    signal: new AbortController().signal,
    advance: (sequenceNumber) => advanced.push(Number(sequenceNumber)),
    discard: (batch) => discarded.push(batch),
    log: () => {},
    ...overrides,
  };
  return { options, calls, advanced, discarded };
}

describe('deliverBatch', () => {
  it('hands the whole batch to the handler once and advances past it when it succeeds', async () => {
    const { options, calls, advanced } = delivery(async () => undefined);

    await expect(deliverBatch(records(3), options)).resolves.toBe('done');

    expect(calls).toEqual([[1, 2, 3]]);
    expect(advanced).toEqual([3]);
  });

  it('never calls the handler with an empty batch', async () => {
    const { options, calls } = delivery(async () => undefined);
    await expect(deliverBatch([], options)).resolves.toBe('done');
    expect(calls).toEqual([]);
  });

  it('retries from the first failed record of a partial batch response, not before it', async () => {
    let first = true;
    const { options, calls, advanced } = delivery(
      async (event) => {
        if (!first) return undefined;
        first = false;
        return failing((n) => n === 3 || n === 5)(event);
      },
      { bisectBatchOnError: false },
    );

    await deliverBatch(records(5), options);

    expect(calls).toEqual([
      [1, 2, 3, 4, 5],
      [3, 4, 5],
    ]);
    expect(advanced).toEqual([2, 5]);
  });

  it('discards a record that always fails after the retries and delivers the records behind it', async () => {
    const { options, calls, advanced, discarded } = delivery(failing((n) => n === 4));

    await expect(deliverBatch(records(8), options)).resolves.toBe('done');

    expect(discarded).toEqual([
      expect.objectContaining({
        reason: 'RetryAttemptsExhausted',
        shardId: 'shardId-1',
        startSequenceNumber: seq(4),
        endSequenceNumber: seq(4),
        batchSize: 1,
      }),
    ]);
    // 1 + the retries of the record on its own.
    expect(calls.filter((call) => call.length === 1 && call[0] === 4)).toHaveLength(4);
    const succeeded = new Set(calls.flat().filter((n) => n !== 4));
    expect([...succeeded].sort((a, b) => a - b)).toEqual([1, 2, 3, 5, 6, 7, 8]);
    expect(advanced.at(-1)).toBe(8);
    expect(advanced).toEqual([...advanced].sort((a, b) => a - b));
  });

  it('retries the whole batch when the handler throws', async () => {
    let failures = 2;
    const { options, calls, advanced } = delivery(
      async () => {
        if (failures-- > 0) throw new Error('worker unavailable');
      },
      { bisectBatchOnError: false },
    );

    await deliverBatch(records(3), options);

    expect(calls).toEqual([
      [1, 2, 3],
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(advanced).toEqual([3]);
  });

  it('splits a failing batch in halves until the failing record stands alone', async () => {
    const { options, calls, discarded } = delivery(async (event) => {
      if (numbersOf(event).includes(3)) throw new Error('bad record');
    });

    await deliverBatch(records(4), options);

    expect(calls.slice(0, 4)).toEqual([[1, 2, 3, 4], [1, 2], [3, 4], [3]]);
    expect(calls).toContainEqual([4]);
    expect(discarded.map((batch) => [batch.startSequenceNumber, batch.batchSize])).toEqual([[seq(3), 1]]);
  });

  it('discards the whole batch after the retries when bisecting is off', async () => {
    const { options, calls, discarded, advanced } = delivery(
      async () => {
        throw new Error('always');
      },
      { bisectBatchOnError: false, retryAttempts: 2 },
    );

    await deliverBatch(records(3), options);

    expect(calls).toHaveLength(3);
    expect(discarded).toEqual([
      expect.objectContaining({ startSequenceNumber: seq(1), endSequenceNumber: seq(3), batchSize: 3 }),
    ]);
    expect(advanced).toEqual([3]);
  });

  it('fails the whole batch when the handler names a record that is not in it', async () => {
    let first = true;
    const { options, calls } = delivery(
      async () => {
        if (!first) return undefined;
        first = false;
        return { batchItemFailures: [{ itemIdentifier: 'not-a-sequence-number' }] };
      },
      { bisectBatchOnError: false },
    );

    await deliverBatch(records(2), options);

    expect(calls).toEqual([
      [1, 2],
      [1, 2],
    ]);
  });

  it('discards records older than the maximum age without calling the handler', async () => {
    const anHourAgo = Math.floor(Date.now() / 1000) - 3600;
    const { options, calls, discarded, advanced } = delivery(async () => undefined, {
      maxRecordAgeSeconds: 60,
    });

    await deliverBatch(records(2, anHourAgo), options);

    expect(calls).toEqual([]);
    expect(discarded).toEqual([
      expect.objectContaining({ reason: 'RecordAgeExceeded', startSequenceNumber: seq(1), batchSize: 2 }),
    ]);
    expect(advanced).toEqual([2]);
  });

  it('gives up without advancing or discarding when stopped between retries', async () => {
    const controller = new AbortController();
    const { options, discarded, advanced } = delivery(
      async () => {
        controller.abort();
        throw new Error('failing while stopping');
      },
      { signal: controller.signal },
    );

    await expect(deliverBatch(records(1), options)).resolves.toBe('abandoned');

    expect(discarded).toEqual([]);
    expect(advanced).toEqual([]);
  });
});
