/**
 * The benchmark's tables: the service's own layout (lib/store/table.ts `ensureTable`: keys, TTL and
 * the `work` index), with the stream left on only where something reads it. DynamoDB Local seems to
 * slow down for every table as stream records pile up: at the end of a run with streams on
 * everywhere, the profile's PutItem on a fresh table took 34 ms (ours and the floor alike; 7 ms with
 * the receivers' streams off), and the pipeline run, placed after the warm runs, took 290 s instead
 * of 40. On DynamoDB the stream is not on the write's path, so the receivers are measured on tables
 * without one, as the floor's would be.
 */
import {
  DeleteTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { ensureTable } from '#lib/store/table';

export async function createBenchTable(
  client: DynamoDBClient,
  tableName: string,
  options: { stream: boolean },
): Promise<void> {
  await ensureTable(client, tableName);
  if (!options.stream) {
    await client.send(
      new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: false } }),
    );
  }
}

/** Drops a table with its stream records once its measurement is done, so the next ones do not pay for them. */
export async function dropBenchTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
}
