/**
 * The booking answers' rows of the report (support/report.ts), with the check-ins' validation, and what
 * makes their run fail.
 */

import { ms, us } from '../support/render';
import type { Row } from '../support/report';
import type { CheckinsResults } from './checkins';
import type { BurstResults } from './decisions';
import type { LatencyRun } from './latency';
import type { BookingsResults } from './measure';

/** The issue's: a booking request is answered at Wellhub within 2 s of its webhook's 200 (p99, locally). */
const ANSWER_P99_LIMIT_MS = 2_000;
/** Locally, a booked check-in's validate call reaches Wellhub within 2 s of its webhook's 200 (p99). */
const VALIDATE_P99_LIMIT_MS = 2_000;

const row = (figure: string, ours: string, target = '', verdict = ''): Row => ({
  figure,
  ours,
  floor: 'none',
  ratio: 'n/a',
  target,
  verdict,
});

const zero = (figure: string, count: number, detail = ''): Row =>
  row(figure, count === 0 ? '0' : `${count}${detail}`, '0', count === 0 ? 'ok' : 'MISSED');

const exactly = (figure: string, count: number, expected: number): Row =>
  row(figure, String(count), `= ${expected}`, count === expected ? 'ok' : 'MISSED');

/** Ours only: the floor stores webhooks and answers no booking. */
export function bookingsRows(results: BookingsResults): Row[] {
  const { latency, checkins, decisions } = results;
  return [
    ...latency.runs.flatMap((run) => latencyRows(run, latency.warmUp, latency.warmUpRounds)),
    ...checkinRows(checkins),
    ...decisions.bursts.flatMap(burstRows),
  ];
}

function latencyRows(run: LatencyRun, warmUp: number, warmUpRounds: number): Row[] {
  const how =
    run.kind === 'rounds'
      ? `${run.rounds} rounds of ${run.connections} members booking at the same moment, each on a slot of their own, each round once the last is answered (${run.requests} requests, after ${warmUpRounds} rounds of warm-up)`
      : `${run.requests} requests one at a time, after ${warmUp} of warm-up`;
  const p99 = run.lag.p99Ms;
  return [
    {
      section: `Booking webhook answered → the gym's answer (PATCH .../bookings/{n}) received at Wellhub, c=${run.connections}: ${how}; slots with free seats, every request RESERVED; the total_booked PATCH that follows not timed (receiver and dist/ worker fed by the stream, each in its own process; local Wellhub)`,
      ...row('p50', ms(run.lag.p50Ms)),
    },
    row(
      'p99',
      ms(p99),
      `<${ANSWER_P99_LIMIT_MS} ms`,
      Number.isFinite(p99) && p99 < ANSWER_P99_LIMIT_MS ? 'ok' : 'MISSED',
    ),
    row('max', ms(run.lag.maxMs)),
    zero('requests not answered at Wellhub', run.notAnswered, ` of ${run.requests}`),
    zero('answered other than RESERVED', run.notReserved),
    zero('webhooks Wellhub retried (first attempt not answered 2xx within 1 s)', run.retried),
    zero(
      'bookings refused by Wellhub itself, or webhooks never answered 2xx',
      run.refused + run.undelivered,
      ` (${run.refused} refused, ${run.undelivered} unanswered)`,
    ),
    zero('answers received more than once', run.extraAnswers),
    zero(
      `${run.kind === 'rounds' ? 'rounds' : 'requests'} after which total_booked at Wellhub lagged past the limit`,
      run.countsBehind,
    ),
    row('worker process CPU per request (apply, answer, slot count)', us(run.workerCpuPerBookingUs)),
  ];
}

function checkinRows(run: CheckinsResults): Row[] {
  const p99 = run.lag.p99Ms;
  return [
    {
      section: `Check-in webhook answered → the validate call (POST /access/v1/validate) received at Wellhub: ${run.checkins} members checking in one at a time, each for a booking RESERVED above, a short random pause between (receiver and dist/ worker fed by the stream, each in its own process; local Wellhub)`,
      ...row('p50', ms(run.lag.p50Ms)),
    },
    row(
      'p99',
      ms(p99),
      `<${VALIDATE_P99_LIMIT_MS} ms`,
      Number.isFinite(p99) && p99 < VALIDATE_P99_LIMIT_MS ? 'ok' : 'MISSED',
    ),
    row('max', ms(run.lag.maxMs)),
    zero(
      `check-ins not validated within ${run.validateLimitMs / 1000} s`,
      run.notValidated,
      ` of ${run.checkins}`,
    ),
    zero(
      'check-ins validated more than once',
      run.validatedTwice,
      ` (${run.extraCalls} validate calls after the first)`,
    ),
    zero('first validate call answered other than 200', run.notAccepted),
    zero("check-ins whose booking in the table is not validation 'validated'", run.tableDisagrees),
    zero('webhooks Wellhub retried (first attempt not answered 2xx within 1 s)', run.retried),
    zero(
      'check-ins refused by Wellhub itself, or webhooks never answered 2xx',
      run.refused + run.undelivered,
      ` (${run.refused} refused, ${run.undelivered} unanswered)`,
    ),
    row('worker process CPU per check-in (apply, validate)', us(run.workerCpuPerCheckinUs)),
  ];
}

function burstRows(burst: BurstResults): Row[] {
  const full = burst.outcomes.CLASS_IS_FULL ?? 0;
  const reserved = burst.outcomes.RESERVED ?? 0;
  const others = Object.entries(burst.outcomes).filter(
    ([outcome]) => !['RESERVED', 'CLASS_IS_FULL'].includes(outcome),
  );
  const where =
    burst.slots === 1
      ? `one slot of ${burst.capacity} seats`
      : `${burst.slots} slots of ${burst.capacity} seats each`;
  return [
    {
      section: `Decisions, ${burst.name}: ${burst.requests} members booking at the same moment on ${where} (same processes); decisions per second = answers received at Wellhub ÷ (last answer received − first webhook answered)`,
      ...row(
        'decisions per second',
        Number.isFinite(burst.decisionsPerSecond) ? burst.decisionsPerSecond.toFixed(0) : 'n/a',
      ),
    },
    row('first webhook answered → last answer received at Wellhub', seconds(burst.spanMs)),
    row(
      `first request → last of the ${burst.requests} webhooks answered (the receiver)`,
      seconds(burst.webhooksMs),
    ),
    row(
      'webhook answered → answer received at Wellhub: p50, p99',
      `${ms(burst.lag.p50Ms)}, ${ms(burst.lag.p99Ms)}`,
    ),
    exactly('RESERVED received at Wellhub', reserved, burst.expected.reserved),
    exactly('REJECTED CLASS_IS_FULL received at Wellhub', full, burst.expected.full),
    zero(
      'other answers',
      others.reduce((sum, [, count]) => sum + count, 0),
      ` (${others.map(([outcome, count]) => `${outcome} ${count}`).join(', ')})`,
    ),
    zero(
      'slots overbooked at Wellhub',
      burst.overbooked.slots,
      ` (${burst.overbooked.seats} seats too many)`,
    ),
    zero("slots whose wellhub_reserved in the table differs from Wellhub's RESERVED", burst.tableDisagrees),
    zero(
      'requests not answered at Wellhub',
      burst.notAnswered + burst.refused + burst.undelivered,
      ` (${burst.notAnswered} not answered, ${burst.refused} refused by Wellhub, ${burst.undelivered} webhooks never answered 2xx)`,
    ),
    zero('answers received more than once', burst.extraAnswers),
    zero('slots whose total_booked at Wellhub lagged past the limit', burst.countsBehind),
    row('webhooks Wellhub retried (first attempt not answered 2xx within 1 s)', String(burst.retried)),
  ];
}

/**
 * What makes the figures meaningless: a wrong answer, an overbooked slot, a request never answered, a
 * check-in not validated or validated twice.
 */
export function bookingsProblems(results: BookingsResults): string[] {
  const problems: string[] = [];
  for (const run of results.latency.runs) {
    const label = `answer latency c=${run.connections}`;
    if (run.notAnswered > 0) problems.push(`${label}: ${run.notAnswered} requests not answered at Wellhub`);
    if (run.notReserved > 0)
      problems.push(`${label}: ${run.notReserved} answered other than RESERVED on slots with free seats`);
    if (run.refused + run.undelivered > 0)
      problems.push(
        `${label}: ${run.refused} bookings refused by Wellhub, ${run.undelivered} webhooks never answered 2xx`,
      );
    if (run.extraAnswers > 0) problems.push(`${label}: ${run.extraAnswers} answers received more than once`);
    if (run.countsBehind > 0)
      problems.push(`${label}: total_booked at Wellhub lagged past the limit ${run.countsBehind} times`);
    if (run.cutShort)
      problems.push(`${label}: only ${run.requests} of ${run.planned} requests within the run limit`);
  }
  problems.push(...checkinProblems(results.checkins));
  for (const burst of results.decisions.bursts) {
    const label = `decisions, ${burst.name}`;
    const reserved = burst.outcomes.RESERVED ?? 0;
    const full = burst.outcomes.CLASS_IS_FULL ?? 0;
    const answers = Object.values(burst.outcomes).reduce((sum, count) => sum + count, 0);
    if (reserved !== burst.expected.reserved || full !== burst.expected.full || answers !== reserved + full)
      problems.push(
        `${label}: answers ${JSON.stringify(burst.outcomes)}, expected RESERVED ${burst.expected.reserved} and CLASS_IS_FULL ${burst.expected.full}`,
      );
    if (burst.overbooked.slots > 0)
      problems.push(
        `${label}: ${burst.overbooked.slots} slots OVERBOOKED at Wellhub (${burst.overbooked.seats} seats too many)`,
      );
    if (burst.tableDisagrees > 0)
      problems.push(`${label}: ${burst.tableDisagrees} slots whose wellhub_reserved differs from Wellhub`);
    if (burst.notAnswered + burst.refused + burst.undelivered > 0)
      problems.push(
        `${label}: ${burst.notAnswered} requests not answered at Wellhub, ${burst.refused} refused by Wellhub, ${burst.undelivered} webhooks never answered 2xx`,
      );
    if (burst.extraAnswers > 0)
      problems.push(`${label}: ${burst.extraAnswers} answers received more than once`);
    if (burst.countsBehind > 0)
      problems.push(
        `${label}: ${burst.countsBehind} slots whose total_booked at Wellhub lagged past the limit`,
      );
  }
  return problems;
}

function checkinProblems(run: CheckinsResults): string[] {
  const label = 'check-ins';
  const problems: string[] = [];
  if (run.notValidated > 0)
    problems.push(
      `${label}: ${run.notValidated} of ${run.checkins} not validated within ${run.validateLimitMs / 1000} s of their webhook's 200`,
    );
  if (run.validatedTwice > 0)
    problems.push(
      `${label}: ${run.validatedTwice} validated more than once (${run.extraCalls} validate calls after the first)`,
    );
  if (run.notAccepted > 0)
    problems.push(`${label}: ${run.notAccepted} first validate calls answered other than 200`);
  if (run.tableDisagrees > 0)
    problems.push(`${label}: ${run.tableDisagrees} bookings in the table not validation 'validated'`);
  if (run.refused + run.undelivered > 0)
    problems.push(
      `${label}: ${run.refused} check-ins refused by Wellhub, ${run.undelivered} webhooks never answered 2xx`,
    );
  if (run.cutShort)
    problems.push(
      `${label}: only ${run.checkins + run.refused} of ${run.planned} check-ins made (${run.available} RESERVED bookings to check in)`,
    );
  return problems;
}

function seconds(value: number): string {
  return Number.isFinite(value) ? `${(value / 1000).toFixed(2)} s` : 'n/a';
}
