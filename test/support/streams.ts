/**
 * What the stream poller's tests share: a stream-enabled table on a DynamoDB Local, clients for it,
 * and a handler that records what it is given and lets a test wait for it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { streamArnOf } from '#lib/local/stream-poller';

export interface StreamClients {
  readonly dynamoDb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  destroy(): void;
}

export function streamClients(endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB): StreamClients {
  if (!endpoint) throw new Error('AWS_ENDPOINT_URL_DYNAMODB is not set: run the tests through jest');
  const config = { endpoint, region: process.env.AWS_REGION ?? 'us-east-1' };
  const dynamoDb = new DynamoDBClient(config);
  const streams = new DynamoDBStreamsClient(config);
  return {
    dynamoDb,
    streams,
    destroy: () => {
      dynamoDb.destroy();
      streams.destroy();
    },
  };
}

/** A table with a NEW_AND_OLD_IMAGES stream, as the deployed table has; returns its stream ARN. */
export async function createStreamTable(dynamoDb: DynamoDBClient, tableName = `stream-${randomUUID()}`) {
  await dynamoDb.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  return { tableName, streamArn: await streamArnOf(dynamoDb, tableName) };
}

/** Writes one item per key, in order; `n` tells them apart in the stream. */
export async function putItems(dynamoDb: DynamoDBClient, tableName: string, keys: readonly string[], n = 0) {
  for (const pk of keys) {
    await dynamoDb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { pk: { S: pk }, sk: { S: 'ITEM' }, kind: { S: 'event' }, n: { N: String(n) } },
      }),
    );
  }
}

export function checkpointPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'stream-checkpoint-')), 'stream-checkpoint.json');
}

type Response = DynamoDBBatchResponse | undefined;

/** A handler that keeps every event it is given; `until` waits for a condition on them. */
export class RecordingHandler {
  readonly events: DynamoDBStreamEvent[] = [];
  private readonly waiting = new Set<() => void>();

  constructor(
    private readonly respond: (event: DynamoDBStreamEvent) => Response | Promise<Response> = () => undefined,
  ) {}

  readonly handler = async (event: DynamoDBStreamEvent): Promise<Response> => {
    this.events.push(structuredClone(event));
    try {
      return await this.respond(event);
    } finally {
      for (const wake of this.waiting) wake();
    }
  };

  get records(): DynamoDBRecord[] {
    return this.events.flatMap((event) => event.Records);
  }

  /** Partition keys of the records given, in the order given. */
  get keys(): string[] {
    return this.records.map((record) => record.dynamodb?.Keys?.pk?.S ?? '?');
  }

  until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiting.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiting.delete(check);
        reject(new Error(`condition not met within ${timeoutMs} ms; keys so far: ${this.keys.join(',')}`));
      }, timeoutMs);
      this.waiting.add(check);
      check();
    });
  }
}

export function sequenceNumbersOf(records: readonly DynamoDBRecord[]): bigint[] {
  return records.map((record) => BigInt(record.dynamodb?.SequenceNumber ?? '-1'));
}
