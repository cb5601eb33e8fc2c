/**
 * The whole loop under load, Wellhub's faults and crashes: `npm start` (receiver, gym API, worker,
 * sweeper) on a DynamoDB Local of its own, members booking, canceling and checking in at a local
 * Wellhub that delivers as Wellhub does, the gym changing its slots, and every fault kind of the plan
 * (loop-plan.ts) injected while it runs. Once the faults end, every promise of the loop is checked
 * against Wellhub's state and our records (loop-audit.ts).
 */
import { auditLoop, readOurRecords, readOurSlots, scheduleDrift, stillOwed } from './support/loop-audit';
import { type EpisodeKind, STORM_PLAN } from './support/loop-plan';
import { LOOP_TABLE, type LoopStack, startLoopStack } from './support/loop-stack';
import { emptyLedger, publishSchedule, runStorm, type StormLedger } from './support/loop-storm';
import { type LoopResult, latencySummary, recordResult } from './support/results';
import { sized } from './support/scale';
import { seededRandom, sleep } from './support/wellhub';

const SEED = Number(process.env.RELIABILITY_SEED ?? Date.now() % 1_000_000);
/** The promise: Wellhub's schedule equals ours 2 minutes after the faults end. */
const DRIFT_CHECKED_AFTER_MS = 120_000;

describe('the whole loop under a storm, Wellhub faults and crashes', () => {
  let stack: LoopStack | undefined;
  beforeAll(async () => {
    stack = await startLoopStack({ sweepEverySeconds: STORM_PLAN.sweepEverySeconds });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it(
    'answers every request in time, never oversells, pays every booked check-in, and ends with Wellhub equal to us',
    async () => {
      if (!stack) throw new Error('the stack did not start');
      const ledger = emptyLedger();
      const random = seededRandom(SEED);
      await publishSchedule(stack, STORM_PLAN, ledger);
      const stormStarted = Date.now();
      const followUps = await runStorm(stack, STORM_PLAN, ledger, random);
      await Promise.all(followUps);
      const { drift, recoveredMs } = await settle(stack, ledger);
      const ours = await readOurRecords(stack, LOOP_TABLE);
      const findings = auditLoop(stack, ledger, ours, drift);
      const logs = stack.auditLogs();

      const loop: LoopResult = {
        bookingRequests: ledger.requests.length,
        hotBurst: ledger.hotBurst.requests,
        hotConcurrent: findings.hotPeakAwaiting,
        requestsOwed: findings.requestsOwed,
        answeredOnTime: findings.answeredOnTime,
        answeredLate: findings.answeredLate,
        wellhubTimeouts: findings.wellhubTimeouts,
        unanswered: findings.unanswered,
        contradictory: findings.contradictory,
        sentAfterDelivery: findings.sentAfterDelivery,
        overbookedSlots: findings.overbookedSlots,
        seatMismatches: findings.seatMismatches,
        checkinsValidated: findings.checkinsValidated,
        checkinsUnpaid: findings.checkinsUnpaid,
        scheduleDrift: findings.scheduleDrift,
        wellhubFaults: faultsByKind(stack, ledger),
        crashes: ledger.episodes.filter((e) => e.kind === 'crash').length,
        databaseRestarts: ledger.episodes.filter((e) => e.kind === 'database restart').length,
      };
      recordResult({
        suite: 'loop-storm',
        distinctEvents:
          ledger.requests.filter((r) => r.delivered).length +
          ledger.checkins.filter((c) => c.delivered).length,
        eventsLost: findings.eventsLost,
        appliedTwice: findings.appliedTwice,
        logLinesAudited: logs.lines,
        logLinesLeaking: logs.problems.length,
        loop,
        notes: {
          seed: SEED,
          'storm minutes (faults included)': ((ledger.faultsEndedAt - stormStarted) / 60_000).toFixed(1),
          'recovered after the faults ended, s': Math.round(recoveredMs / 1000),
          'webhooks sent (first deliveries)': ledger.webhooks.sent,
          'webhooks Wellhub could not deliver (service or database down)': ledger.webhooks.undelivered,
          'webhooks sent again later (duplicates)': ledger.webhooks.duplicatesSent,
          'hot burst: webhooks acknowledged': ledger.hotBurst.delivered,
          'hot burst: all delivered, ms': Math.round(ledger.hotBurst.ms),
          'hot burst: delivery attempts by outcome': JSON.stringify(ledger.hotBurst.attempts),
          'requests refused by Wellhub before booking (slot full or gone)': ledger.members.refusedAtWellhub,
          'member cancellations / late': `${ledger.members.cancels} / ${ledger.members.lateCancels}`,
          'ended before an answer was owed': findings.endedBeforeAnswer,
          'answers Wellhub refused (4xx, injected)': findings.refusedByWellhub,
          'answers repeated after a reply the service may not have seen': findings.repeatedAfterLostReply,
          'check-ins owed a validation': findings.checkinsOwed,
          'gym changes applied / refused / unreachable': `${ledger.gym.changes} / ${ledger.gym.refused} / ${ledger.gym.unreachable}`,
          'gym cancellations of bookings': ledger.gym.bookingsCanceled.length,
          ...latencySummary('request → answer taken at Wellhub', findings.answerLatencies),
        },
      });

      expect(findings.problems).toEqual([]);
      expect(logs.problems).toEqual([]);
      expect(findings.requestsOwed).toBeGreaterThan(STORM_PLAN.requests * 0.5);
      expect(findings.answeredOnTime).toBeGreaterThan(0);
      expect(findings.checkinsValidated).toBeGreaterThan(0);
      expect(ledger.episodes.map((e) => e.kind)).toEqual(STORM_PLAN.episodes.map((e) => e.kind));
    },
    sized({ bounded: 420_000, full: 5_400_000 }),
  );
});

/**
 * Waits for the loop to catch up once the faults ended: every request answered, every booked
 * check-in validated, every cancellation by the gym sent, and the schedule equal at Wellhub. The drift that counts is the one left
 * 2 minutes after the faults ended (none, if it caught up sooner).
 */
async function settle(
  stack: LoopStack,
  ledger: StormLedger,
): Promise<{ drift: string[]; recoveredMs: number }> {
  const deadline = ledger.faultsEndedAt + STORM_PLAN.settleLimitMs;
  let drift: string[] | undefined;
  for (;;) {
    const owed = stillOwed(stack, ledger);
    const now = scheduleDrift(stack, ledger, await readOurSlots(stack, ledger));
    if (now.length === 0) drift ??= [];
    else if (Date.now() >= ledger.faultsEndedAt + DRIFT_CHECKED_AFTER_MS) drift ??= now;
    const caughtUp =
      owed.answers === 0 && owed.validations === 0 && owed.gymCancellations === 0 && now.length === 0;
    if (caughtUp || Date.now() > deadline)
      return { drift: drift ?? now, recoveredMs: Date.now() - ledger.faultsEndedAt };
    await sleep(3_000);
  }
}

const CALL_FAULTS: Partial<Record<EpisodeKind, RegExp>> = {
  '5xx burst': /^status 5\d\d$/,
  '429 with Retry-After': /^status 429$/,
  'slower than the client timeout': /^delay \d+ ms$/,
  '4xx refusals': /^status 4(0\d|1\d|2[0-8])$/,
};

/** The faults by kind: episodes, and the calls each kind answered (or the seconds it lasted). */
function faultsByKind(stack: LoopStack, ledger: StormLedger): LoopResult['wellhubFaults'] {
  const result: Record<string, { episodes: number; calls?: number; seconds?: number }> = {};
  const kinds = [
    '5xx burst',
    '429 with Retry-After',
    'slower than the client timeout',
    'connection refused',
    '401 token revoked',
    '4xx refusals',
  ] as const;
  for (const kind of kinds) {
    const runs = ledger.episodes.filter((e) => e.kind === kind);
    const pattern = CALL_FAULTS[kind];
    const seconds = runs.reduce((sum, e) => sum + ((e.endedAt ?? e.startedAt) - e.startedAt) / 1000, 0);
    result[kind] = {
      episodes: runs.length,
      ...(pattern
        ? { calls: stack.wellhub.calls.filter((c) => c.fault !== undefined && pattern.test(c.fault)).length }
        : kind === '401 token revoked'
          ? {
              calls: stack.wellhub.calls.filter((c) => c.status === 401).length,
              seconds: Math.round(seconds),
            }
          : { seconds: Math.round(seconds) }),
    };
  }
  return result;
}
