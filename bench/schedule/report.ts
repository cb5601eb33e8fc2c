/** The gym schedule's rows of the report (support/report.ts), and what makes its run fail. */

import { ms, us } from '../support/render';
import type { Row } from '../support/report';
import type { ChangesResults, LagFigures } from './changes';
import type { ImportResults } from './import';
import type { ScheduleResults } from './measure';

/** The issue's: a gym's change is at Wellhub within 2 s (p99, locally). */
const CHANGE_P99_LIMIT_MS = 2_000;

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

/** Ours only: the floor receives webhooks and publishes nothing. */
export function scheduleRows(schedule: ScheduleResults): Row[] {
  return [...changeRows(schedule.changes), ...importRows(schedule.import)];
}

function changeRows(run: ChangesResults): Row[] {
  const made = run.samples.length;
  const kinds = `${run.byKind.create.count + run.byKind.edit.count + run.byKind.count.count} received`;
  const p99 = run.all.p99Ms;
  return [
    {
      section: `Gym schedule change → call received at Wellhub: ${made} changes one at a time after ${run.warmUp} of warm-up, slot created → POST, edited → PUT, booked_elsewhere → PATCH, shuffled (gym API handler; dist/ worker fed by the stream in its own process; local Wellhub)`,
      ...row('p50', ms(run.all.p50Ms)),
    },
    row(
      'p99',
      ms(p99),
      `<${CHANGE_P99_LIMIT_MS} ms`,
      Number.isFinite(p99) && p99 < CHANGE_P99_LIMIT_MS ? 'ok' : 'MISSED',
    ),
    row('max', ms(run.all.maxMs)),
    row(`slot created → POST (${run.byKind.create.count}): p50, p99`, pair(run.byKind.create)),
    row(`slot edited → PUT (${run.byKind.edit.count}): p50, p99`, pair(run.byKind.edit)),
    row(`booked_elsewhere → PATCH (${run.byKind.count.count}): p50, p99`, pair(run.byKind.count)),
    zero('changes not received at Wellhub', run.notReceived, ` of ${made}`),
    zero('received at Wellhub, but not marked published', run.notPublished),
    zero('gym API answered other than 200', run.refused),
    row(`Wellhub calls per change (${kinds})`, run.callsPerChange.toFixed(2)),
    row('gym API answer (the write), p50, p99', `${ms(run.answerP50Ms)}, ${ms(run.answerP99Ms)}`),
    row('worker process CPU per change (its stream polling included)', us(run.workerCpuPerChangeUs)),
  ];
}

function importRows(run: ImportResults): Row[] {
  const { slotCalls: calls, report, reimport } = run;
  const perSlot = calls.total / run.slots;
  const onePost = calls.total === run.slots && calls.post === run.slots;
  const again = reimport.report;
  const changedAgain = again.classes.changed + again.slots.changed;
  return [
    {
      section: `Importing a schedule: ${run.classes} new classes and ${run.slots} slots within the 14-day horizon in one importSchedule, published by the stream (same processes), then the same file again`,
      ...row(
        `importSchedule itself (${report.classes.changed} classes and ${report.slots.changed} slots written)`,
        seconds(run.importMs),
      ),
    },
    row('import start → last slot received at Wellhub', seconds(run.untilAtWellhubMs)),
    row(
      `import start → all ${run.slots} slots published (read from the table)`,
      seconds(run.untilPublishedMs),
    ),
    row('importSchedule done → all published', seconds(run.untilPublishedMs - run.importMs)),
    zero(
      'slots not published',
      run.slots - run.published,
      ` (work still owed: ${run.stillOwed.count}, of which waiting: ${run.stillOwed.waiting})`,
    ),
    row(
      'Wellhub calls for slots, per slot',
      `${perSlot.toFixed(2)} (${calls.post} POST, ${calls.lookups} GET, ${calls.other} other)`,
      '1.0, POST only',
      onePost ? 'ok' : 'MISSED',
    ),
    zero('lookups (GET slots)', calls.lookups),
    zero(
      'retries (a slot POSTed again, or a POST not answered 201)',
      calls.resent + calls.postsNotCreated,
      ` (${calls.resent} again, ${calls.postsNotCreated} not 201)`,
    ),
    row(
      `Wellhub calls for the ${run.classes} classes`,
      `${run.classCalls.total} (${run.classCalls.post} POST)`,
    ),
    zero(`same file again: Wellhub calls (until ${seconds(reimport.quietMs)} after it)`, reimport.calls),
    row('same file again: records changed', `${changedAgain} of ${run.classes + run.slots}`),
    row('same file again: importSchedule itself', seconds(reimport.ms)),
  ];
}

/** What makes the figures meaningless, as a wrong answer does for the webhooks (run.ts). */
export function scheduleProblems(schedule: ScheduleResults): string[] {
  const { changes, import: imported } = schedule;
  const problems: string[] = [];
  if (changes.refused > 0) problems.push(`${changes.refused} gym API writes answered other than 200`);
  if (changes.notReceived > 0)
    problems.push(`${changes.notReceived} changes never reached the local Wellhub`);
  if (changes.notPublished > 0)
    problems.push(`${changes.notPublished} changes reached Wellhub but were not published`);
  if (changes.cutShort)
    problems.push(`only ${changes.samples.length} of ${changes.planned} changes within the run limit`);
  if (imported.published < imported.slots)
    problems.push(`${imported.slots - imported.published} imported slots not published within the limit`);
  return problems;
}

function pair(figures: LagFigures): string {
  return `${ms(figures.p50Ms)}, ${ms(figures.p99Ms)}`;
}

function seconds(value: number): string {
  return Number.isFinite(value) ? `${(value / 1000).toFixed(1)} s` : 'n/a';
}
