import { readFileSync } from 'node:fs';
import {
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import {
  type DiscardedBatch,
  type StreamPoller,
  type StreamPollerOptions,
  startStreamPoller,
  streamArnOf,
} from '#lib/local/stream-poller';
import { dropTestTable } from '../support/dynamodb';
import {
  checkpointPath,
  createStreamTable,
  putItems,
  RecordingHandler,
  sequenceNumbersOf,
  streamClients,
} from '../support/streams';

const clients = streamClients();
const pollers: StreamPoller[] = [];
const tables: string[] = [];

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
  await Promise.all(
    tables.splice(0).map((table) => clients.dynamoDb.send(new DeleteTableCommand({ TableName: table }))),
  );
});

afterAll(() => clients.destroy());

async function table() {
  const created = await createStreamTable(clients.dynamoDb);
  tables.push(created.tableName);
  return created;
}

function start(options: Omit<StreamPollerOptions, 'streams' | 'filters'> & Partial<StreamPollerOptions>) {
  const poller = startStreamPoller({ streams: clients.streams, filters: [], ...options });
  pollers.push(poller);
  return poller;
}

function keysOf(event: DynamoDBStreamEvent): string[] {
  return event.Records.map((record) => record.dynamodb?.Keys?.pk?.S ?? '?');
}

function failFirstTime(failedKey: string) {
  let failed = false;
  return (event: DynamoDBStreamEvent) => {
    const record = event.Records.find((r) => r.dynamodb?.Keys?.pk?.S === failedKey);
    if (failed || record === undefined) return undefined;
    failed = true;
    return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
  };
}

describe('startStreamPoller', () => {
  it('hands writes to the handler as Lambda-shaped events, in order per key, with the filters applied', async () => {
    const { tableName, streamArn } = await table();
    const checkpointFile = checkpointPath();
    const recording = new RecordingHandler();
    const poller = start({
      streamArn,
      checkpointFile,
      handler: recording.handler,
      region: 'eu-west-1',
      filters: [{ eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { kind: { S: ['event'] } } } }],
    });
    await poller.caughtUp();

    await putItems(clients.dynamoDb, tableName, ['A'], 0);
    await clients.dynamoDb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { pk: { S: 'B' }, sk: { S: 'ITEM' }, kind: { S: 'booking' } },
      }),
    );
    await putItems(clients.dynamoDb, tableName, ['A'], 1);
    await putItems(clients.dynamoDb, tableName, ['C'], 0);
    await clients.dynamoDb.send(
      new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: 'A' }, sk: { S: 'ITEM' } } }),
    );
    await recording.until(() => recording.records.length >= 3);
    await poller.caughtUp();

    expect(recording.keys).toEqual(['A', 'A', 'C']);
    const [first, second] = recording.records;
    expect(first).toEqual({
      eventID: expect.any(String),
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'eu-west-1',
      eventSourceARN: streamArn,
      dynamodb: {
        ApproximateCreationDateTime: expect.any(Number),
        Keys: { pk: { S: 'A' }, sk: { S: 'ITEM' } },
        NewImage: { pk: { S: 'A' }, sk: { S: 'ITEM' }, kind: { S: 'event' }, n: { N: '0' } },
        SequenceNumber: expect.stringMatching(/^\d+$/),
        SizeBytes: expect.any(Number),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(second?.eventName).toBe('MODIFY');
    expect(second?.dynamodb?.OldImage?.n).toEqual({ N: '0' });
    expect(second?.dynamodb?.NewImage?.n).toEqual({ N: '1' });
    const delivered = sequenceNumbersOf(recording.records);
    expect(delivered).toEqual([...delivered].sort((a, b) => (a < b ? -1 : 1)));

    // The checkpoint moved past the records the filters left out (B and the delete at the end).
    const checkpoint = JSON.parse(readFileSync(checkpointFile, 'utf8'));
    const positions = Object.values(checkpoint.shards) as { sequenceNumber: string }[];
    expect(BigInt(positions[0]?.sequenceNumber ?? '0')).toBeGreaterThan(delivered.at(-1) ?? 0n);
  });

  it('delivers the records already in the stream when there is no checkpoint', async () => {
    const { tableName, streamArn } = await table();
    await putItems(clients.dynamoDb, tableName, ['Z1', 'Z2', 'Z3']);

    const recording = new RecordingHandler();
    start({ streamArn, checkpointFile: checkpointPath(), handler: recording.handler });

    await recording.until(() => recording.records.length >= 3);
    expect(recording.keys).toEqual(['Z1', 'Z2', 'Z3']);
  });

  it('delivers after a restart exactly the records written while it was stopped, none twice', async () => {
    const { tableName, streamArn } = await table();
    const checkpointFile = checkpointPath();
    const before = new RecordingHandler();
    const first = start({ streamArn, checkpointFile, handler: before.handler });
    await putItems(clients.dynamoDb, tableName, ['X1', 'X2', 'X3']);
    await before.until(() => before.records.length >= 3);
    await first.stop();

    await putItems(clients.dynamoDb, tableName, ['Y1', 'Y2', 'Y3']);
    const after = new RecordingHandler();
    const second = start({ streamArn, checkpointFile, handler: after.handler });
    await after.until(() => after.records.length >= 3);
    await second.caughtUp();

    expect(before.keys).toEqual(['X1', 'X2', 'X3']);
    expect(after.keys).toEqual(['Y1', 'Y2', 'Y3']);
  });

  it('retries a partial batch from the failed record and never redelivers the records before it', async () => {
    const { tableName, streamArn } = await table();
    await putItems(clients.dynamoDb, tableName, ['P1', 'P2', 'P3', 'P4', 'P5']);
    const recording = new RecordingHandler(failFirstTime('P3'));
    start({
      streamArn,
      checkpointFile: checkpointPath(),
      handler: recording.handler,
      bisectBatchOnError: false,
    });

    await recording.until(() => recording.events.length >= 2);

    expect(recording.events.map(keysOf)).toEqual([
      ['P1', 'P2', 'P3', 'P4', 'P5'],
      ['P3', 'P4', 'P5'],
    ]);
  });

  it('discards a record that always fails after the retries and delivers the records behind it', async () => {
    const { tableName, streamArn } = await table();
    await putItems(clients.dynamoDb, tableName, ['F1', 'F2', 'F3', 'F4']);
    const discarded: DiscardedBatch[] = [];
    const recording = new RecordingHandler((event) => ({
      batchItemFailures: event.Records.filter((r) => r.dynamodb?.Keys?.pk?.S === 'F2').map((r) => ({
        itemIdentifier: r.dynamodb?.SequenceNumber ?? '',
      })),
    }));
    const poller = start({
      streamArn,
      checkpointFile: checkpointPath(),
      handler: recording.handler,
      onDiscarded: (batch) => discarded.push(batch),
    });
    await recording.until(() => discarded.length === 1);
    await putItems(clients.dynamoDb, tableName, ['F5']);
    await recording.until(() => recording.keys.includes('F5'));
    await poller.caughtUp();

    const f2 = recording.records.find((r) => r.dynamodb?.Keys?.pk?.S === 'F2')?.dynamodb?.SequenceNumber;
    expect(discarded).toEqual([
      expect.objectContaining({
        reason: 'RetryAttemptsExhausted',
        streamArn,
        startSequenceNumber: f2,
        endSequenceNumber: f2,
        batchSize: 1,
      }),
    ]);
    // The first try, then three retries of F2 alone once bisecting has isolated it.
    expect(recording.events.filter((event) => keysOf(event).join() === 'F2')).toHaveLength(4);
    expect(new Set(recording.keys)).toEqual(new Set(['F1', 'F2', 'F3', 'F4', 'F5']));
    expect(recording.keys.filter((key) => key === 'F5')).toHaveLength(1);
  });

  it('retries the whole batch when the handler throws', async () => {
    const { tableName, streamArn } = await table();
    await putItems(clients.dynamoDb, tableName, ['T1', 'T2']);
    let throws = 1;
    const recording = new RecordingHandler(() => {
      if (throws-- > 0) throw new Error('worker unavailable');
      return undefined;
    });
    start({
      streamArn,
      checkpointFile: checkpointPath(),
      handler: recording.handler,
      bisectBatchOnError: false,
    });

    await recording.until(() => recording.events.length >= 2);

    expect(recording.events.map(keysOf)).toEqual([
      ['T1', 'T2'],
      ['T1', 'T2'],
    ]);
  });

  it('splits a batch whose handler throws until the failing record stands alone', async () => {
    const { tableName, streamArn } = await table();
    await putItems(clients.dynamoDb, tableName, ['Q1', 'Q2', 'Q3', 'Q4']);
    const discarded: DiscardedBatch[] = [];
    const recording = new RecordingHandler((event) => {
      if (keysOf(event).includes('Q2')) throw new Error('cannot apply Q2');
      return undefined;
    });
    start({
      streamArn,
      checkpointFile: checkpointPath(),
      handler: recording.handler,
      onDiscarded: (batch) => discarded.push(batch),
    });

    await recording.until(() => discarded.length === 1 && recording.keys.includes('Q4'));

    const batches = recording.events.map(keysOf);
    expect(batches.slice(0, 3)).toEqual([['Q1', 'Q2', 'Q3', 'Q4'], ['Q1', 'Q2'], ['Q1']]);
    expect(batches).toContainEqual(['Q3', 'Q4']);
    expect(discarded[0]?.batchSize).toBe(1);
  });

  it('stops promptly, without waiting out the poll interval', async () => {
    const { streamArn } = await table();
    const poller = start({
      streamArn,
      checkpointFile: checkpointPath(),
      handler: async () => undefined,
      pollIntervalMs: 60_000,
    });
    await poller.caughtUp();

    const started = Date.now();
    await poller.stop();

    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(poller.caughtUp()).rejects.toThrow(/stopped/);
  });

  it('refuses a filter pattern Lambda would refuse', async () => {
    const { streamArn } = await table();
    expect(() =>
      start({
        streamArn,
        checkpointFile: checkpointPath(),
        handler: async () => undefined,
        filters: [{ eventName: [{ prefixx: 'IN' } as unknown as { prefix: string }] }],
      }),
    ).toThrow(/unsupported rule/);
  });
});

describe('streamArnOf', () => {
  it('names the table when it has no stream', async () => {
    const name = `no-stream-${Date.now()}`;
    await clients.dynamoDb.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    try {
      await expect(streamArnOf(clients.dynamoDb, name)).rejects.toThrow(`table ${name} has no stream`);
    } finally {
      await dropTestTable(name);
    }
  });
});
