/**
 * Injected database faults under load, with the production settings (350 ms per attempt, 800 ms per
 * request): DynamoDB
 * Local stopped in the middle of a run and started again on the same port, and DynamoDB made slower
 * than the client's timeout by a delaying TCP proxy. Requests during a fault must get 503 (our own
 * fault, so Wellhub retries), nothing may be half-written, and Wellhub's retries must land exactly once.
 */

import { readLedger } from './support/ledger-audit';
import { startRestartableDynamoDb } from './support/restartable-dynamodb';
import { latencySummary, recordResult } from './support/results';
import { inPool, PRODUCTION, type Reply, startRig } from './support/rig';
import { sized } from './support/scale';
import { startDelayingProxy } from './support/tcp-proxy';
import {
  type Attempt,
  checkExactlyOnce,
  deliverUntilAccepted,
  type PlannedEvent,
  planEvents,
  seededRandom,
  sleep,
} from './support/wellhub';

const SEED = Number(process.env.RELIABILITY_SEED ?? Date.now() % 1_000_000);

describe('database outage in the middle of a load run', () => {
  const EVENTS = sized({ bounded: 60, full: 1_000 });
  const OUTAGES = sized({ bounded: 1, full: 3 });
  const OUTAGE_MS = 1_500;

  it(
    'answers 503 while DynamoDB is down, half-writes nothing, and applies every retried event once after the restart',
    async () => {
      const db = await startRestartableDynamoDb();
      try {
        const rig = await startRig({ endpoint: db.endpoint, ...PRODUCTION });
        const plan = planEvents(EVENTS, seededRandom(SEED));
        const downtimes: Array<{ from: number; to: number }> = [];
        const attempts: Attempt[] = [];
        let delivered = 0;

        const outages = (async () => {
          for (let i = 1; i <= OUTAGES; i++) {
            while (delivered < (plan.length * i) / (OUTAGES + 1)) await sleep(10);
            await db.stop();
            const from = performance.now();
            await sleep(OUTAGE_MS);
            downtimes.push({ from, to: performance.now() });
            await db.start();
          }
        })();
        const results = await inPool(plan, 16, async (event) => {
          const result = await deliverUntilAccepted(() => rig.send(event.type, event.body), {
            retryDelayMs: 100,
            maxAttempts: 300,
            onAttempt: (attempt) => attempts.push(attempt),
          });
          delivered++;
          return result;
        });
        await outages;

        // Requests that started once java was gone and ended before it was started again.
        const duringOutage = attempts.filter((attempt) =>
          downtimes.some((down) => attempt.startedAt >= down.from && attempt.endedAt <= down.to),
        );
        await rig.drain(120_000);
        const ledger = await readLedger(db.endpoint, rig.tableName);
        const result = checkExactlyOnce(plan, ledger);
        recordResult({
          suite: 'fault-database-outage',
          faults: { 'database outage': downtimes.length },
          distinctEvents: result.distinct,
          eventsLost: result.lost + results.filter((r) => r.accepted === undefined).length,
          appliedTwice: result.appliedTwice,
          notes: {
            'outage: DynamoDB Local stopped mid-run and started again on its port': downtimes.length,
            'outage: requests during the outage': duringOutage.length,
            'outage: of those answered 503': duringOutage.filter((a) => a.status === 503).length,
            'outage: requests in the run': attempts.length,
            ...latencySummary(
              'outage: 503 latency',
              duringOutage.map((a) => a.endedAt - a.startedAt),
            ),
          },
        });

        expect(downtimes).toHaveLength(OUTAGES);
        expect(duringOutage.length).toBeGreaterThan(0);
        expect(duringOutage.filter((a) => a.status !== 503)).toEqual([]);
        expect(results.filter((r) => r.accepted === undefined)).toEqual([]);
        expect(result.problems).toEqual([]);
        expect(ledger.events.size).toBe(result.distinct);
      } finally {
        await db.close();
      }
    },
    sized({ bounded: 60_000, full: 600_000 }),
  );
});

describe('database slower than the client timeout', () => {
  const EVENTS = sized({ bounded: 48, full: 600 });
  const SLOW_MS = 1_500;

  it(
    'answers 503 while every call outlasts the timeout, and lands the retried events exactly once afterwards',
    async () => {
      const endpoint = new URL(process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '');
      const proxy = await startDelayingProxy({ port: Number(endpoint.port) });
      try {
        const rig = await startRig({ endpoint: proxy.endpoint, ...PRODUCTION });
        const plan = planEvents(EVENTS, seededRandom(SEED + 1));
        const third = Math.floor(plan.length / 3);
        const healthy = plan.slice(0, third);
        const slow = plan.slice(third, 2 * third);
        const borderline = plan.slice(2 * third);
        const once = (event: PlannedEvent) => rig.send(event.type, event.body);
        const untilAccepted = (event: PlannedEvent) =>
          deliverUntilAccepted(() => once(event), { retryDelayMs: 100, maxAttempts: 100 });

        await inPool(healthy, 16, untilAccepted);
        // Every byte, both ways, 1.5 s late: no call can finish inside 350 ms.
        proxy.setDelay(SLOW_MS);
        const slowReplies: Reply[] = await inPool(slow, 16, once);
        // Around the timeout: some calls make it, some do not; only 200 or 503 may come back.
        proxy.setDelay(50, 250);
        const borderlineReplies: Reply[] = await inPool(borderline, 16, once);
        proxy.setDelay(0);
        // Writes the client gave up on may still land late: the retries must then see them as done.
        await sleep(SLOW_MS + 500);
        const retried = await inPool([...slow, ...borderline], 16, untilAccepted);

        await rig.drain(120_000);
        const ledger = await readLedger(proxy.endpoint, rig.tableName);
        const result = checkExactlyOnce(plan, ledger);
        recordResult({
          suite: 'fault-slow-database',
          faults: { 'slow database': 2 },
          distinctEvents: result.distinct,
          eventsLost: result.lost + retried.filter((r) => r.accepted === undefined).length,
          appliedTwice: result.appliedTwice,
          notes: {
            'slow: windows (proxy adds 1.5 s per chunk; then 50-300 ms)': 2,
            'slow: requests while slower than the timeout': slowReplies.length,
            'slow: of those answered 503': slowReplies.filter((r) => r.status === 503).length,
            ...latencySummary(
              'slow: 503 latency',
              slowReplies.map((r) => r.ms),
            ),
            'slow: requests around the timeout': borderlineReplies.length,
            'slow: of those answered 200': borderlineReplies.filter((r) => r.status === 200).length,
            ...latencySummary(
              'slow: latency around the timeout',
              borderlineReplies.map((r) => r.ms),
            ),
          },
        });

        expect(slowReplies.map((reply) => reply.status)).toEqual(slow.map(() => 503));
        expect(borderlineReplies.filter((reply) => reply.status !== 200 && reply.status !== 503)).toEqual([]);
        expect(retried.filter((r) => r.accepted === undefined)).toEqual([]);
        expect(result.problems).toEqual([]);
        expect(ledger.events.size).toBe(result.distinct);
      } finally {
        await proxy.stop();
      }
    },
    sized({ bounded: 90_000, full: 600_000 }),
  );
});
