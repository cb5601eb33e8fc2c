/**
 * The whole loop on one machine, with every part the loop suite breaks within its reach: `npm start`
 * in a process group of its own (crash() kills it outright), on a DynamoDB Local of the suite's own
 * (stopped and started again on the same port and data), calling a local Wellhub through a proxy
 * that can refuse connections. The local Wellhub lives in the test process, so its state (every
 * booking, answer and validation it took) survives whatever happens to the service.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalWellhub, startLocalWellhub } from '#lib/local-wellhub/server';
import { DynamoDbStore } from '#lib/store/dynamodb-store';
import { LOOP_SECRETS } from '../../support/known-values';
import { auditServiceLogs } from '../../support/log-audit';
import { type StartedService, startService } from '../../support/npm-start';
import { freePort } from '../../support/ports';
import { type RestartableDynamoDb, startRestartableDynamoDb } from './restartable-dynamodb';
import { type DelayingProxy, startDelayingProxy } from './tcp-proxy';

/** Distinctive, so that the log audit can prove none of them reaches a log line (known-values.ts). */
export const [LOOP_WEBHOOK_SECRET, LOOP_WELLHUB_TOKEN, LOOP_GYM_TOKEN] = LOOP_SECRETS as [
  string,
  string,
  string,
];
export const LOOP_TABLE = 'loop-storm';

export interface GymReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export interface LoopStack {
  readonly wellhub: LocalWellhub;
  /** Between the service and the local Wellhub. */
  readonly wellhubLink: DelayingProxy;
  readonly database: RestartableDynamoDb;
  /** Our records, read directly (the service's own store). */
  readonly store: DynamoDbStore;
  readonly receiverUrl: string;
  /** One gym API call; a connection failure (the service is down) is status 0. */
  gym(method: string, path: string, body?: unknown): Promise<GymReply>;
  /** Kills `npm start` outright and starts it again on the same ports and data once `downMs` passed. */
  crash(downMs: number): Promise<void>;
  /** Stops DynamoDB Local for `downMs` under the running service, then starts it on the same data. */
  restartDatabase(downMs: number): Promise<void>;
  /** Every service log line of every run of `npm start`, audited as the test logs are. */
  auditLogs(): { readonly lines: number; readonly problems: readonly string[] };
  close(): Promise<void>;
}

export async function startLoopStack(options: { sweepEverySeconds: number }): Promise<LoopStack> {
  const database = await startRestartableDynamoDb();
  const port = await freePort();
  const receiverUrl = `http://127.0.0.1:${port}`;
  const wellhub = await startLocalWellhub({
    token: LOOP_WELLHUB_TOKEN,
    receiverUrl,
    webhookSecret: LOOP_WEBHOOK_SECRET,
  });
  const wellhubLink = await startDelayingProxy({ port: Number(new URL(wellhub.url).port) });
  const env = {
    PORT: String(port),
    AWS_ENDPOINT_URL_DYNAMODB: database.endpoint,
    TABLE_NAME: LOOP_TABLE,
    WELLHUB_API_URL: wellhubLink.endpoint,
    WELLHUB_SETUP_API_URL: wellhubLink.endpoint,
    WELLHUB_API_TOKEN: LOOP_WELLHUB_TOKEN,
    WELLHUB_WEBHOOK_SECRET: LOOP_WEBHOOK_SECRET,
    GYM_API_TOKEN: LOOP_GYM_TOKEN,
    SWEEP_EVERY_SECONDS: String(options.sweepEverySeconds),
  };
  let service: StartedService = await startService({ env, crashable: true });
  /** What the runs of `npm start` before the current one wrote, stream by stream. */
  const earlierOutput: string[] = [];
  const store = new DynamoDbStore({
    tableName: LOOP_TABLE,
    timeoutMs: 5000,
    client: { endpoint: database.endpoint },
  });

  return {
    wellhub,
    wellhubLink,
    database,
    store,
    receiverUrl,
    async gym(method, path, body) {
      try {
        const response = await fetch(`${service.base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${LOOP_GYM_TOKEN}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        return {
          status: response.status,
          body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
        };
      } catch {
        return { status: 0, body: {} };
      }
    },
    async crash(downMs) {
      await service.crash();
      earlierOutput.push(service.stdout(), service.stderr());
      await new Promise((resolve) => setTimeout(resolve, downMs));
      service = await service.restart();
    },
    async restartDatabase(downMs) {
      await database.stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await database.start();
    },
    auditLogs() {
      const dir = mkdtempSync(join(tmpdir(), 'wellhub-loop-logs-'));
      try {
        // Stream by stream: a line written to stderr can land between two chunks of one on stdout.
        const lines = [...earlierOutput, service.stdout(), service.stderr()]
          .flatMap((text) => text.split('\n'))
          .filter((line) => line.trimStart().startsWith('{'));
        writeFileSync(join(dir, 'npm-start.jsonl'), `${lines.join('\n')}\n`);
        return auditServiceLogs(dir);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    async close() {
      await service.kill();
      await wellhubLink.stop();
      await wellhub.close();
      await database.close();
    },
  };
}
