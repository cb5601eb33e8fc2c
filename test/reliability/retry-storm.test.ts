/**
 * A load run in which every event is delivered up to four times, concurrently and interleaved with
 * everything else, as Wellhub's immediate retries do (CONTRACT §4): afterwards each event is applied
 * exactly once and every booking's history holds it once.
 */
import { readLedger } from './support/ledger-audit';
import { latencySummary, recordResult } from './support/results';
import { inPool, type Rig, startRig } from './support/rig';
import { sized } from './support/scale';
import {
  checkExactlyOnce,
  deliverUntilAccepted,
  type PlannedEvent,
  planEvents,
  seededRandom,
  shuffle,
} from './support/wellhub';

const REQUESTS = sized({ bounded: 600, full: 10_500 });
const CONCURRENCY = 32;
const SEED = Number(process.env.RELIABILITY_SEED ?? Date.now() % 1_000_000);

/** One unit of work: deliveries of one event started together (a burst), or one delivery on its own. */
interface Job {
  readonly event: PlannedEvent;
  readonly copies: number;
}

describe('retry storm (CONTRACT §4)', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });

  it(
    'applies every event exactly once when each is delivered up to 4 times, concurrently and interleaved',
    async () => {
      const random = seededRandom(SEED);
      const plan = planEvents(Math.round(REQUESTS / 2.5), random);
      const jobs: Job[] = [];
      for (const event of plan) {
        const copies = 1 + Math.floor(random() * 4);
        // Half arrive as Wellhub's burst (all copies at once), half spread through the run.
        if (random() < 0.5) jobs.push({ event, copies });
        else for (let i = 0; i < copies; i++) jobs.push({ event, copies: 1 });
      }
      const accepted = new Map<string, number>();
      /** Events one of whose deliveries got a 503: a later `duplicate` may be their only 200. */
      const answered503 = new Set<string>();
      const latencies: number[] = [];
      let requests = 0;
      let retriedAfter503 = 0;
      let unanswered = 0;

      const deliverOnce = async (event: PlannedEvent) => {
        const delivered = await deliverUntilAccepted(() => rig.send(event.type, event.body), {
          retryDelayMs: 50,
          maxAttempts: 20,
          onAttempt: (attempt) => {
            requests++;
            latencies.push(attempt.endedAt - attempt.startedAt);
            if (attempt.status !== 200) {
              retriedAfter503++;
              answered503.add(event.id);
            }
          },
        });
        if (delivered.accepted === undefined) unanswered++;
        else if (delivered.accepted.body?.status === 'accepted')
          accepted.set(event.id, (accepted.get(event.id) ?? 0) + 1);
      };
      await inPool(shuffle(random, jobs), CONCURRENCY, (job) =>
        Promise.all(Array.from({ length: job.copies }, () => deliverOnce(job.event))),
      );

      await rig.drain(120_000);
      const ledger = await readLedger(rig.endpoint, rig.tableName);
      const result = checkExactlyOnce(plan, ledger);
      const acceptedTwice = [...accepted.values()].filter((n) => n > 1).length;
      const neverAccepted = plan.filter(
        (event) => !accepted.has(event.id) && !answered503.has(event.id),
      ).length;
      recordResult({
        suite: 'retry-storm',
        requestsUnderLoad: requests,
        distinctEvents: result.distinct,
        eventsLost: result.lost,
        appliedTwice: result.appliedTwice + acceptedTwice,
        notes: {
          seed: SEED,
          'storm: received (request path writes won)': rig.store.received.accepted,
          'storm: applied (worker commits)': rig.jobStore.commits.applied,
          'storm: answered duplicate': requests - accepted.size - retriedAfter503,
          'storm: 503 then retried': retriedAfter503,
          'storm: apply races retried (contended worker commits)': rig.jobStore.commits.contended,
          ...latencySummary('storm: latency', latencies),
        },
      });

      expect(result.problems).toEqual([]);
      expect(unanswered).toBe(0);
      expect(ledger.events.size).toBe(result.distinct);
      expect(rig.jobStore.commits.applied).toBe(result.distinct);
      expect(rig.store.received.accepted).toBe(result.distinct);
      expect(acceptedTwice).toBe(0);
      expect(neverAccepted).toBe(0);
      expect(requests).toBeGreaterThanOrEqual(REQUESTS * 0.9);
    },
    sized({ bounded: 60_000, full: 900_000 }),
  );
});
