/**
 * The five real handlers over a real DynamoDbStore and the pipeline behind them, for the reliability
 * suites. Unlike the harness it can point at any endpoint (a dedicated DynamoDB Local, a delaying
 * proxy), use the production timeout, take any secret source, and it watches what the store does
 * (receipts and apply transactions by result, quarantine writes by request id) while every call still
 * goes to the real store.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { EventChange } from '#lib/bookings/apply-event';
import type { EventRecord, QuarantineRecord } from '#lib/bookings/records';
import { readConfig } from '#lib/config';
import { type WebhookDeps, webhookHandler } from '#lib/http/webhook';
import type { EventKey } from '#lib/inbox/receive';
import { DynamoDbStore } from '#lib/store/dynamodb-store';
import { ensureTable } from '#lib/store/table';
import { EVENT_TYPES, type EventType } from '#lib/wellhub/routes';
import type { SigningKeysSource } from '#lib/wellhub/signing-keys';
import { createTestTable } from '../../support/dynamodb';
import { gatewayEvent, lambdaContext, PREVIOUS_SECRET, SECRET } from '../../support/harness';
import { startTestPipeline } from '../../support/pipeline';

export interface Reply {
  readonly status: number;
  readonly text: string;
  /** The response body parsed, or undefined when it is not JSON. */
  readonly body: Record<string, unknown> | undefined;
  readonly ms: number;
  /** Set when the handler threw instead of answering (an unhandled exception). */
  readonly threw?: string;
}

/** The real store, watched: every call goes through, and what came back is counted. */
export class ObservedStore extends DynamoDbStore {
  /** The request path's one write, by result. */
  readonly received = { accepted: 0, duplicate: 0 };
  /** The worker's apply transactions, by result. */
  readonly commits = { applied: 0, done: 0, contended: 0 };
  /** request id → quarantine id, for every quarantine record the store confirmed writing. */
  readonly quarantined = new Map<string, string>();

  override async receive(key: EventKey, record: EventRecord, dueAt: Date): Promise<'accepted' | 'duplicate'> {
    const result = await super.receive(key, record, dueAt);
    this.received[result]++;
    return result;
  }

  override async commitApplied(change: EventChange, at: Date): Promise<'applied' | 'done' | 'contended'> {
    const result = await super.commitApplied(change, at);
    this.commits[result]++;
    return result;
  }

  override async quarantine(record: QuarantineRecord): Promise<void> {
    await super.quarantine(record);
    this.quarantined.set(record.request_id, record.quarantine_id);
  }
}

/** The deployed functions' settings (lib/config.ts defaults): per-call timeout and response budget. */
const defaults = readConfig({ TABLE_NAME: 'reliability', WELLHUB_WEBHOOK_SECRET: 'unused' });
export const PRODUCTION = {
  timeoutMs: defaults.dynamoDbTimeoutMs,
  responseBudgetMs: defaults.responseBudgetMs,
} as const;

export interface RigOptions {
  /** DynamoDB endpoint; default: the run's DynamoDB Local (AWS_ENDPOINT_URL_DYNAMODB). */
  readonly endpoint?: string;
  /** Per-attempt DynamoDB timeout; default 5 s (input tests are not latency tests). */
  readonly timeoutMs?: number;
  /** The request's overall budget (WebhookDeps.responseBudgetMs); default none. */
  readonly responseBudgetMs?: number;
  readonly keys?: SigningKeysSource;
  readonly tableName?: string;
}

export interface Rig {
  readonly tableName: string;
  readonly endpoint: string;
  /** The one store the handlers and the pipeline share, watched. */
  readonly store: ObservedStore;
  /** The pipeline's store, watched: its `commits` count the worker's apply transactions. */
  readonly jobStore: ObservedStore;
  readonly deps: WebhookDeps;
  /**
   * Waits until the pipeline has applied everything received, sweeping as the scheduler would for
   * whatever a fault left to the sweeper (see test/support/pipeline.ts).
   */
  drain(timeoutMs?: number): Promise<unknown>;
  /** Stops the pipeline behind it (before its table is dropped). */
  stop(): Promise<void>;
  /** Runs one gateway event through the route's handler; never throws. */
  invoke(type: EventType, event: APIGatewayProxyEventV2): Promise<Reply>;
  /** POSTs a body as Wellhub would: compact JSON, signed with the harness's SECRET. */
  send(type: EventType, body: string): Promise<Reply>;
}

export async function startRig(options: RigOptions = {}): Promise<Rig> {
  const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_DYNAMODB;
  if (!endpoint) throw new Error('no DynamoDB endpoint: run through jest (global-setup.ts)');
  let tableName = options.tableName;
  if (tableName === undefined) {
    if (options.endpoint === undefined) tableName = await createTestTable();
    else {
      tableName = `reliability-${Date.now().toString(36)}`;
      const client = new DynamoDBClient({ endpoint });
      await ensureTable(client, tableName);
      client.destroy();
    }
  }
  const store = new ObservedStore({ tableName, timeoutMs: options.timeoutMs ?? 5000, client: { endpoint } });
  // The pipeline's own store: jobs have seconds, so the request path's tight timeout is not theirs.
  const jobStore = new ObservedStore({ tableName, timeoutMs: 5000, client: { endpoint } });
  const pipeline = await startTestPipeline(tableName, jobStore, { endpoint });
  const deps: WebhookDeps = {
    inbox: store,
    keys: options.keys ?? { signingKeys: async () => ({ current: SECRET, previous: PREVIOUS_SECRET }) },
    retentionDays: 35,
    ...(options.responseBudgetMs === undefined ? {} : { responseBudgetMs: options.responseBudgetMs }),
    problems: [],
  };
  const handlers = new Map(EVENT_TYPES.map((type) => [type, webhookHandler(type, deps)]));

  async function invoke(type: EventType, event: APIGatewayProxyEventV2): Promise<Reply> {
    const handler = handlers.get(type);
    if (!handler) throw new Error(`no handler for ${type}`);
    const started = performance.now();
    try {
      const result = await handler(event, lambdaContext(type, event.requestContext.requestId));
      return {
        status: result.statusCode,
        text: result.body,
        body: parseObject(result.body),
        ms: elapsed(started),
      };
    } catch (error) {
      const threw = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return { status: -1, text: '', body: undefined, ms: elapsed(started), threw };
    }
  }

  return {
    tableName,
    endpoint,
    store,
    jobStore,
    deps,
    drain: pipeline.settle,
    stop: pipeline.stopStream,
    invoke,
    send: (type, body) => invoke(type, gatewayEvent(type, { body })),
  };
}

function elapsed(started: number): number {
  return performance.now() - started;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `work` over `items` with at most `concurrency` in flight; results in input order. */
export async function inPool<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
