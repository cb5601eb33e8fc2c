/**
 * The webhook secret unavailable (CONTRACT §2): Secrets Manager failing at cold start, failing when
 * the cached secret expires, and slower than any answer can wait for. The handlers must fail closed
 * (503 to signed and unsigned requests alike, nothing stored), and Wellhub's retries must land exactly
 * once when it is back. The real SDK runs against the local fake endpoint.
 */
import { type SigningKeysSource, secretsManagerKeys } from '#lib/wellhub/signing-keys';
import { type FakeSecretsManager, startFakeSecretsManager } from '../support/fake-secrets-manager';
import { gatewayEvent, SECRET } from '../support/harness';
import { countItems } from '../support/table-scan';
import { readLedger } from './support/ledger-audit';
import { latencySummary, recordResult } from './support/results';
import { inPool, PRODUCTION, type Reply, type Rig, startRig } from './support/rig';
import { sized } from './support/scale';
import { startDelayingProxy } from './support/tcp-proxy';
import {
  checkExactlyOnce,
  deliverUntilAccepted,
  type PlannedEvent,
  planEvents,
  seededRandom,
  sleep,
} from './support/wellhub';

const SECRET_ID = 'wellhub/reliability-webhook-secret';
const EVENTS_PER_CASE = sized({ bounded: 20, full: 200 });
const SEED = Number(process.env.RELIABILITY_SEED ?? Date.now() % 1_000_000);

const variants: Record<string, number> = {};
const latencies: number[] = [];
const totals = { requests: 0, answered503: 0, distinct: 0, lost: 0, appliedTwice: 0 };

/** A fresh secret source, as a cold Lambda container has, reading from `endpoint`. */
function coldSource(endpoint: string, maxAgeSeconds: number): SigningKeysSource {
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = endpoint;
  return secretsManagerKeys(SECRET_ID, maxAgeSeconds);
}

/** Signed events once each plus as many unsigned ones: all must be refused with 503. */
async function sendWhileUnavailable(rig: Rig, plan: readonly PlannedEvent[]): Promise<Reply[]> {
  const signed = await inPool(plan, 8, (event) => rig.send(event.type, event.body));
  const unsigned = await inPool(plan, 8, (event) =>
    rig.invoke(event.type, gatewayEvent(event.type, { body: event.body, signature: null })),
  );
  const replies = [...signed, ...unsigned];
  totals.requests += replies.length;
  totals.answered503 += replies.filter((reply) => reply.status === 503).length;
  latencies.push(...replies.map((reply) => reply.ms));
  return replies;
}

async function retryUntilAccepted(rig: Rig, plan: readonly PlannedEvent[]): Promise<void> {
  const results = await inPool(plan, 8, (event) =>
    deliverUntilAccepted(() => rig.send(event.type, event.body), { retryDelayMs: 100, maxAttempts: 50 }),
  );
  await rig.drain(120_000);
  const result = checkExactlyOnce(plan, await readLedger(rig.endpoint, rig.tableName));
  totals.distinct += result.distinct;
  totals.lost += result.lost + results.filter((r) => r.accepted === undefined).length;
  totals.appliedTwice += result.appliedTwice;
  expect(result.problems).toEqual([]);
}

describe('webhook secret unavailable (fail closed)', () => {
  let secretsManager: FakeSecretsManager;
  const endpointBefore = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  beforeAll(async () => {
    secretsManager = await startFakeSecretsManager({ [SECRET_ID]: SECRET });
  });
  afterAll(async () => {
    if (endpointBefore === undefined) delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    else process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = endpointBefore;
    await secretsManager.stop();
    recordResult({
      suite: 'fault-secret',
      faults: { 'secret unavailable': Object.keys(variants).length },
      distinctEvents: totals.distinct,
      eventsLost: totals.lost,
      appliedTwice: totals.appliedTwice,
      notes: {
        ...Object.fromEntries(Object.keys(variants).map((variant) => [`secret: ${variant}`, 1])),
        'secret: requests while unavailable': totals.requests,
        'secret: of those answered 503': totals.answered503,
        ...latencySummary('secret: 503 latency', latencies),
      },
    });
  });

  it('answers 503 to signed and unsigned requests and stores nothing when Secrets Manager fails at cold start', async () => {
    secretsManager.fail(true);
    variants['failing at cold start'] = 1;
    const rig = await startRig({ ...PRODUCTION, keys: coldSource(secretsManager.endpoint, 300) });
    const plan = planEvents(EVENTS_PER_CASE, seededRandom(SEED));

    const replies = await sendWhileUnavailable(rig, plan);
    expect(replies.filter((reply) => reply.status !== 503)).toEqual([]);
    expect(await countItems(rig.tableName)).toBe(0);

    secretsManager.fail(false);
    await retryUntilAccepted(rig, plan);
  });

  it('answers 503 once the cached secret has expired and cannot be read again, rather than trust a stale one', async () => {
    const rig = await startRig({ ...PRODUCTION, keys: coldSource(secretsManager.endpoint, 1) });
    const [first, ...rest] = planEvents(EVENTS_PER_CASE, seededRandom(SEED + 1));
    if (!first) throw new Error('empty plan');
    expect((await rig.send(first.type, first.body)).status).toBe(200);
    secretsManager.fail(true);
    variants['failing when the cached secret expires'] = 1;
    await sleep(1_100);

    const replies = await sendWhileUnavailable(rig, rest);
    expect(replies.filter((reply) => reply.status !== 503)).toEqual([]);

    secretsManager.fail(false);
    await retryUntilAccepted(rig, [first, ...rest]);
  });

  it('answers 503 rather than wait when Secrets Manager is slower than the function can wait for', async () => {
    const proxy = await startDelayingProxy({ port: Number(new URL(secretsManager.endpoint).port) });
    try {
      // Each way: no answer can come before the function's 3 s timeout.
      proxy.setDelay(2_000);
      variants['slower than the timeout (2 s per chunk)'] = 1;
      const rig = await startRig({ ...PRODUCTION, keys: coldSource(proxy.endpoint, 300) });
      const plan = planEvents(EVENTS_PER_CASE, seededRandom(SEED + 2));

      const replies = await sendWhileUnavailable(rig, plan.slice(0, 4));
      expect(replies.filter((reply) => reply.status !== 503)).toEqual([]);

      proxy.setDelay(0);
      await retryUntilAccepted(rig, plan);
    } finally {
      await proxy.stop();
    }
  }, 30_000);
});
