/**
 * A DynamoDB Local of the suite's own that can be stopped and started again on the same port with
 * the same data (it keeps its tables in a SQLite file under a temporary directory), so that clients
 * built against its endpoint reconnect by themselves after an outage, as they would to a region.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamoDbLocal, startDynamoDbLocal } from '#lib/local/dynamodb-local';

export interface RestartableDynamoDb {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its data. */
  close(): Promise<void>;
}

export async function startRestartableDynamoDb(): Promise<RestartableDynamoDb> {
  const dataDir = mkdtempSync(
    join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'wellhub-reliability-db-'),
  );
  let current: DynamoDbLocal | undefined = await startDynamoDbLocal({ dataDir });
  const { endpoint, port } = current;
  return {
    endpoint,
    port,
    stop: async () => {
      await current?.stop();
      current = undefined;
    },
    start: async () => {
      current ??= await startDynamoDbLocal({ port, dataDir });
    },
    close: async () => {
      await current?.stop();
      current = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
