/**
 * The loop at a glance: the figures of the applied, schedule and bookings sections that say how long
 * the loop takes from Wellhub's webhook (or the gym's change) to the call that closes it, gathered in
 * one section of the report. Each is measured in its own section above, with its target there; this
 * section only repeats them side by side.
 */
import type { AppliedResults } from '../applied/measure';
import type { BookingsResults } from '../bookings/measure';
import type { ScheduleResults } from '../schedule/measure';
import { ms } from './render';
import type { Row } from './report';

const row = (figure: string, ours: string): Row => ({
  figure,
  ours,
  floor: 'none',
  ratio: 'n/a',
  target: '',
  verdict: '',
});

const spread = (lag: { readonly p50Ms: number; readonly p99Ms: number }) =>
  `${ms(lag.p50Ms)}, ${ms(lag.p99Ms)}`;

export function loopRows(
  applied: AppliedResults,
  schedule: ScheduleResults,
  bookings: BookingsResults,
): Row[] {
  const rows: Row[] = [];
  for (const run of applied.runs)
    rows.push(row(`webhook answered → event applied, c=${run.connections}: p50, p99`, spread(run)));
  for (const run of bookings.latency.runs)
    rows.push(
      row(
        `booking webhook answered → answer received at Wellhub, c=${run.connections}: p50, p99`,
        spread(run.lag),
      ),
    );
  rows.push(
    row(
      'check-in webhook answered → validate call received at Wellhub: p50, p99',
      spread(bookings.checkins.lag),
    ),
  );
  rows.push(row('gym schedule change → call received at Wellhub: p50, p99', spread(schedule.changes.all)));
  for (const burst of bookings.decisions.bursts)
    rows.push(
      row(
        `decisions per second, ${burst.name} (${burst.requests} members, ${burst.slots} slot${burst.slots === 1 ? '' : 's'} of ${burst.capacity})`,
        Number.isFinite(burst.decisionsPerSecond) ? burst.decisionsPerSecond.toFixed(0) : 'n/a',
      ),
    );
  const [first, ...rest] = rows;
  if (!first) return [];
  return [
    {
      section:
        'The loop, end to end: each figure from its section above (where its target is), side by side; the same processes, local Wellhub and DynamoDB Local',
      ...first,
    },
    ...rest,
  ];
}
