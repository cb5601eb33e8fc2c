/**
 * A fresh table per test file against the run's DynamoDB Local (see global-setup.ts), with the
 * single-table key schema, so tests neither see each other's items nor need cleaning up between them.
 */
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '#lib/store/table';

let client: DynamoDBClient | undefined;

function dynamoDb(): DynamoDBClient {
  const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  // Without it the SDK would go to real AWS with whatever credentials it finds.
  if (!endpoint)
    throw new Error('AWS_ENDPOINT_URL_DYNAMODB is not set: run the tests through jest (global-setup.ts)');
  client ??= new DynamoDBClient({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1' });
  return client;
}

export async function createTestTable(): Promise<string> {
  const name = `test-${randomUUID()}`;
  // The same definition the local receiver uses; DynamoDB Local creates tables ACTIVE at once.
  await ensureTable(dynamoDb(), name);
  return name;
}

export async function dropTestTable(name: string): Promise<void> {
  try {
    await dynamoDb().send(new DeleteTableCommand({ TableName: name }));
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw error;
  }
}
