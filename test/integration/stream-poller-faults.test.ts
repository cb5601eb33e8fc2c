import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ExpiredIteratorException,
  GetRecordsCommand,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import { type DynamoDbLocal, startDynamoDbLocal } from '#lib/local/dynamodb-local';
import { type StreamsApi, startStreamPoller } from '#lib/local/stream-poller';
import {
  checkpointPath,
  createStreamTable,
  putItems,
  RecordingHandler,
  streamClients,
} from '../support/streams';

/** Passes every call on, but loses the answer of some GetRecords calls in the way DynamoDB Local can. */
function losingAnswers(streams: StreamsApi, faults: Map<number, Error>): StreamsApi {
  let reads = 0;
  return {
    send: (async (command: Parameters<StreamsApi['send']>[0], options?: { abortSignal?: AbortSignal }) => {
      const answer = await (streams.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
      if (command instanceof GetRecordsCommand) {
        const fault = faults.get(++reads);
        // The records of that page were read but never reach the poller: it must read them again.
        if (fault) throw fault;
      }
      return answer;
    }) as StreamsApi['send'],
  };
}

describe('startStreamPoller under faults', () => {
  it('reads again from the checkpoint when GetRecords answers ExpiredIterator or TrimmedDataAccess', async () => {
    const clients = streamClients();
    const { tableName, streamArn } = await createStreamTable(clients.dynamoDb);
    await putItems(clients.dynamoDb, tableName, ['E1', 'E2']);
    const faults = new Map<number, Error>([
      [1, new ExpiredIteratorException({ message: 'Iterator expired', $metadata: {} })],
      [3, new TrimmedDataAccessException({ message: 'Data trimmed', $metadata: {} })],
    ]);
    const recording = new RecordingHandler();
    const poller = startStreamPoller({
      streams: losingAnswers(clients.streams, faults),
      streamArn,
      checkpointFile: checkpointPath(),
      filters: [],
      handler: recording.handler,
    });
    try {
      await recording.until(() => recording.records.length >= 2);
      await putItems(clients.dynamoDb, tableName, ['E3', 'E4']);
      await recording.until(() => recording.records.length >= 4);
      await poller.caughtUp();

      expect(recording.keys).toEqual(['E1', 'E2', 'E3', 'E4']);
    } finally {
      await poller.stop();
      clients.destroy();
    }
  });

  describe('while DynamoDB Local restarts', () => {
    let dataDir: string;
    let database: DynamoDbLocal | undefined;

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'stream-poller-db-'));
      database = await startDynamoDbLocal({ dataDir });
    });

    afterAll(async () => {
      await database?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('keeps running through the outage and loses nothing written before or after it', async () => {
      const first = database;
      if (!first) throw new Error('DynamoDB Local did not start');
      const clients = streamClients(first.endpoint);
      const { tableName, streamArn } = await createStreamTable(clients.dynamoDb);
      const logged: Record<string, unknown>[] = [];
      const recording = new RecordingHandler();
      const poller = startStreamPoller({
        streams: clients.streams,
        streamArn,
        checkpointFile: checkpointPath(),
        filters: [],
        handler: recording.handler,
        log: (line) => logged.push(line),
      });
      try {
        await putItems(clients.dynamoDb, tableName, ['R1', 'R2']);
        await recording.until(() => recording.records.length >= 2);

        await first.stop();
        // The poller notices the outage before the database is back.
        await new Promise<void>((resolve, reject) => {
          const deadline = Date.now() + 15_000;
          const check = () => {
            if (logged.some((line) => line.message === 'stream read failed')) resolve();
            else if (Date.now() > deadline) reject(new Error('the outage was never noticed'));
            else setTimeout(check, 20);
          };
          check();
        });
        database = await startDynamoDbLocal({ port: first.port, dataDir });

        await putItems(clients.dynamoDb, tableName, ['R3', 'R4']);
        await recording.until(() => recording.records.length >= 4, 30_000);
        await poller.caughtUp();

        expect(recording.keys).toEqual(['R1', 'R2', 'R3', 'R4']);
        expect(logged.some((line) => line.message === 'stream reads resumed')).toBe(true);
      } finally {
        await poller.stop();
        clients.destroy();
      }
    }, 60_000);
  });

  it('lets the process exit once stopped: no timer or socket left behind', async () => {
    const script = join(__dirname, '..', 'support', 'stream-poller-exit.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      output += String(chunk);
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    clearTimeout(killer);

    expect({ code, output: output.trim().split('\n').at(-1) }).toEqual({ code: 0, output: 'stopped' });
  }, 30_000);
});
