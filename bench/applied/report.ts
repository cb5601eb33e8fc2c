/** The answered-to-applied rows of the report (support/report.ts). */

import { ms, us } from '../support/render';
import type { Row } from '../support/report';
import type { AppliedResults, AppliedRun } from './measure';

/** Issue 8: a booking is in the table within half a second of Wellhub's 200 (p99, locally). */
const APPLIED_P99_LIMIT_MS = 500;

/** Counted as stored, not as a wrong answer: Wellhub has its 200 and the event must still end `APPLIED`. */
export const ANSWERED_DUPLICATE = 'new events answered duplicate (first attempt timed out but landed)';

const row = (figure: string, ours: string, target = '', verdict = ''): Row => ({
  figure,
  ours,
  floor: 'none',
  ratio: 'n/a',
  target,
  verdict,
});

/**
 * Ours only: the floor stores the event and is done, it applies nothing. An event not applied within
 * the drain limit, or answered other than 200, is a failure of the run (run.ts), and shown here as a
 * missed target.
 */
export function appliedRows(applied: AppliedResults): Row[] {
  return [...applied.runs.flatMap(latencyRows), ...saturationRows(applied.saturation)];
}

function latencyRows(run: AppliedRun): Row[] {
  const how =
    run.kind === 'rounds'
      ? `${run.rounds} rounds of ${run.connections} new events sent at the same moment, each round once the last is applied (${run.events} events)`
      : `${run.events} new events, one at a time, each once the last is applied`;
  const rows: Row[] = [
    {
      section: `Webhook answered → event applied, c=${run.connections}: ${how} (receiver, and worker fed by the stream, each in its own process)`,
      ...row('p50', ms(run.p50Ms)),
    },
    row(
      'p99',
      ms(run.p99Ms),
      `<${APPLIED_P99_LIMIT_MS} ms`,
      run.p99Ms < APPLIED_P99_LIMIT_MS ? 'ok' : 'MISSED',
    ),
    row('max', ms(run.maxMs)),
  ];
  if (run.roundMedianMs !== undefined)
    rows.push(row(`round: sent → all ${run.connections} seen applied, median`, ms(run.roundMedianMs)));
  rows.push(...checkRows(run));
  rows.push(
    row('receiver p99 meanwhile', ms(run.load.p99Ms)),
    row('worker process CPU per event', us(run.workerCpuPerEventUs)),
  );
  return rows;
}

/** Informational: what DynamoDB Local lets the worker sustain; its lags are backlog, so none is shown. */
function saturationRows(run: AppliedRun): Row[] {
  return [
    {
      section: `Worker at saturation, c=${run.connections}: ${run.events} new events through ${run.connections} closed-loop connections, sent faster than the worker applies them on DynamoDB Local (no target)`,
      ...row('worker throughput at saturation (events applied per second)', run.appliedPerSecond.toFixed(0)),
    },
    row('requests per second (receiver, meanwhile)', run.load.requestsPerSecond.toFixed(0)),
    ...checkRows(run),
    row('worker process CPU per event', us(run.workerCpuPerEventUs)),
  ];
}

/** The failures (not applied, not answered 200) and the informational count of late duplicates. */
function checkRows(run: AppliedRun): Row[] {
  const missing = Object.values(run.notApplied).reduce((sum, count) => sum + count, 0);
  const refused = run.events - run.answered;
  const states = Object.entries(run.notApplied).map(([state, count]) => `${count} ${state}`);
  return [
    row(
      'not applied',
      missing === 0 ? '0' : `${missing} (${states.join(', ')})`,
      '0',
      missing === 0 ? 'ok' : 'MISSED',
    ),
    row(
      'answered other than 200',
      refused === 0 ? '0' : `${refused} (${JSON.stringify(run.load.outcomes)})`,
      '0',
      refused === 0 ? 'ok' : 'MISSED',
    ),
    row(ANSWERED_DUPLICATE, String(run.answeredDuplicate)),
  ];
}
