/**
 * `npm run reliability`: the reliability suites at full size (RELIABILITY_SCALE=full), each file in a
 * Jest process of its own, then the table of what they tried and what they found. A process per file
 * gives each suite a fresh DynamoDB Local: a suite that filled one with a hundred thousand requests
 * does not leave the next one a slow database. Each process audits its own service logs.
 * Exits non-zero when a test failed or the table misses a promise (see PROMISES).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { type LoopResult, RESULTS_DIR, RESULTS_PART, type SuiteResult } from './support/results';

const SUITES = [
  ...readdirSync('test/reliability')
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => `test/reliability/${name}`),
  'test/unit/bookings/model.test.ts',
];

interface Totals {
  readonly inputsTried: number;
  readonly faults: Record<string, number>;
  readonly requestsUnderLoad: number;
  readonly distinctEvents: number;
  readonly eventsLost: number;
  readonly appliedTwice: number;
  readonly unsignedAccepted: number;
  readonly badInput5xx: number;
  readonly logLinesAudited: number;
  readonly logLinesLeaking: number;
  /** The loop storm's findings; absent when its suite did not report (it failed to start, say). */
  readonly loop: LoopResult | undefined;
}

/** The Wellhub fault kinds the loop storm must inject, and what shows each one happened. */
const WELLHUB_FAULT_KINDS: ReadonlyArray<
  [string, (f: LoopResult['wellhubFaults'][string] | undefined) => boolean]
> = [
  ['5xx burst', (f) => (f?.calls ?? 0) > 0],
  ['429 with Retry-After', (f) => (f?.calls ?? 0) > 0],
  ['slower than the client timeout', (f) => (f?.calls ?? 0) > 0],
  ['connection refused', (f) => (f?.seconds ?? 0) >= 120],
  ['401 token revoked', (f) => (f?.calls ?? 0) > 0],
  ['4xx refusals', (f) => (f?.calls ?? 0) > 0],
];
const zero = (pick: (l: LoopResult) => number) => (t: Totals) => t.loop !== undefined && pick(t.loop) === 0;

/** What the issue asks the full run to show; checked only at full scale. */
const PROMISES: ReadonlyArray<[string, (t: Totals) => boolean]> = [
  ['at least 100,000 hostile inputs', (t) => t.inputsTried >= 100_000],
  ['at least 3 kinds of injected fault', (t) => Object.values(t.faults).filter((n) => n > 0).length >= 3],
  ['at least 10,000 requests under retry storm', (t) => t.requestsUnderLoad >= 10_000],
  ['0 events lost', (t) => t.eventsLost === 0],
  ['0 events applied twice', (t) => t.appliedTwice === 0],
  ['0 unsigned requests accepted', (t) => t.unsignedAccepted === 0],
  ['0 5xx from bad input', (t) => t.badInput5xx === 0],
  [
    '0 log lines with a secret, signature or personal data',
    (t) => t.logLinesAudited > 0 && t.logLinesLeaking === 0,
  ],
  ['at least 5,000 booking requests in the loop storm', (t) => (t.loop?.bookingRequests ?? 0) >= 5_000],
  [
    'at least 500 concurrent requests on hot slots (awaiting their decision at once)',
    (t) => (t.loop?.hotConcurrent ?? 0) >= 500,
  ],
  [
    'every Wellhub fault kind injected',
    (t) => WELLHUB_FAULT_KINDS.every(([kind, happened]) => happened(t.loop?.wellhubFaults[kind])),
  ],
  ['at least 5 crashes', (t) => (t.loop?.crashes ?? 0) >= 5],
  ['0 booking requests unanswered', zero((l) => l.unanswered)],
  ['0 answered late or left to wellhub_timeout', zero((l) => l.answeredLate + l.wellhubTimeouts)],
  ['0 contradictory answers', zero((l) => l.contradictory + l.sentAfterDelivery)],
  ['0 overbooked slots', zero((l) => l.overbookedSlots)],
  ['0 seat-count mismatches', zero((l) => l.seatMismatches)],
  ['0 booked check-ins unpaid', zero((l) => l.checkinsUnpaid)],
  ['0 schedule drift after recovery', zero((l) => l.scheduleDrift)],
];

function main(): number {
  const scale = process.env.RELIABILITY_SCALE ?? 'full';
  const dir = mkdtempSync(join(tmpdir(), 'wellhub-reliability-'));
  const started = Date.now();
  const failed: string[] = [];
  for (const suite of SUITES) {
    const jest = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), suite, '--runInBand'], {
      stdio: 'inherit',
      env: {
        ...process.env,
        RELIABILITY_SCALE: scale,
        [RESULTS_DIR]: dir,
        [RESULTS_PART]: basename(suite, '.test.ts'),
      },
    });
    if (jest.status !== 0) failed.push(`${suite} (jest exited with ${jest.status ?? jest.signal})`);
  }
  const minutes = (Date.now() - started) / 60_000;

  const results = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as SuiteResult);
  const totals = total(results);
  process.stdout.write(`\n${table(totals, scale, minutes)}\n${details(results)}\nresults: ${dir}\n`);

  const broken = scale === 'full' ? PROMISES.filter(([, holds]) => !holds(totals)).map(([name]) => name) : [];
  for (const name of broken) process.stdout.write(`NOT MET: ${name}\n`);
  for (const suite of failed) process.stdout.write(`FAILED: ${suite}\n`);
  return failed.length === 0 && broken.length === 0 ? 0 : 1;
}

function total(results: readonly SuiteResult[]): Totals {
  const sum = (pick: (r: SuiteResult) => number | undefined) =>
    results.reduce((n, r) => n + (pick(r) ?? 0), 0);
  const faults: Record<string, number> = {};
  for (const result of results)
    for (const [kind, n] of Object.entries(result.faults ?? {})) faults[kind] = (faults[kind] ?? 0) + n;
  return {
    inputsTried: sum((r) => r.inputsTried),
    faults,
    requestsUnderLoad: sum((r) => r.requestsUnderLoad),
    distinctEvents: sum((r) => r.distinctEvents),
    eventsLost: sum((r) => r.eventsLost),
    appliedTwice: sum((r) => r.appliedTwice),
    unsignedAccepted: sum((r) => r.unsignedAccepted),
    badInput5xx: sum((r) => r.badInput5xx),
    logLinesAudited: sum((r) => r.logLinesAudited),
    logLinesLeaking: sum((r) => r.logLinesLeaking),
    loop: results.find((r) => r.loop !== undefined)?.loop,
  };
}

const n = (value: number) => value.toLocaleString('en-US');

function table(t: Totals, scale: string, minutes: number): string {
  const kinds = Object.entries(t.faults).filter(([, count]) => count > 0);
  const rows: Array<[string, string]> = [
    ['hostile inputs tried', n(t.inputsTried)],
    ['faults injected', `${n(kinds.reduce((sum, [, count]) => sum + count, 0))} of ${kinds.length} kinds`],
    ...kinds.map(([kind, count]): [string, string] => [`  ${kind}`, n(count)]),
    ['requests under retry storm', n(t.requestsUnderLoad)],
    ['distinct events that had to land (storm, faults)', n(t.distinctEvents)],
    ['events lost', n(t.eventsLost)],
    ['events applied twice', n(t.appliedTwice)],
    ['unsigned requests accepted', n(t.unsignedAccepted)],
    ['5xx from bad input', n(t.badInput5xx)],
    ['service log lines audited', n(t.logLinesAudited)],
    ['log lines with a secret, signature or personal data', n(t.logLinesLeaking)],
    ...loopRows(t.loop),
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    `Reliability run (${scale}, ${minutes.toFixed(1)} min)`,
    '',
    `| ${'measure'.padEnd(width)} | result |`,
    `|${'-'.repeat(width + 2)}|--------|`,
    ...rows.map(([label, value]) => `| ${label.padEnd(width)} | ${value} |`),
  ].join('\n');
}

function loopRows(loop: LoopResult | undefined): Array<[string, string]> {
  if (loop === undefined) return [['loop storm', 'no result (see FAILED below)']];
  const faults = Object.entries(loop.wellhubFaults).filter(([, f]) => f.episodes > 0);
  return [
    ['booking requests (loop storm)', n(loop.bookingRequests)],
    [
      '  on hot slots: sent in the opening burst / awaiting a decision at once (peak)',
      `${n(loop.hotBurst)} / ${n(loop.hotConcurrent)}`,
    ],
    ['  owed an answer (webhook acknowledged or held)', n(loop.requestsOwed)],
    [
      'bookings answered on time / late / wellhub_timeout',
      `${n(loop.answeredOnTime)} / ${n(loop.answeredLate)} / ${n(loop.wellhubTimeouts)}`,
    ],
    ['bookings unanswered', n(loop.unanswered)],
    [
      'contradictory answers (two statuses, or resent after delivery)',
      n(loop.contradictory + loop.sentAfterDelivery),
    ],
    ['overbooked slots', n(loop.overbookedSlots)],
    ['seat-count mismatches (slots)', n(loop.seatMismatches)],
    ['booked check-ins validated / unpaid', `${n(loop.checkinsValidated)} / ${n(loop.checkinsUnpaid)}`],
    ['schedule drift 2 minutes after the faults ended (slots)', n(loop.scheduleDrift)],
    ['Wellhub faults injected', `${faults.length} kinds`],
    ...faults.map(([kind, f]): [string, string] => [
      `  ${kind}`,
      [
        `${f.episodes}×`,
        f.calls !== undefined ? `${n(f.calls)} calls` : '',
        f.seconds !== undefined ? `${n(f.seconds)} s` : '',
      ]
        .filter(Boolean)
        .join(', '),
    ]),
    [
      'crashes injected (service killed / database restarted)',
      `${n(loop.crashes)} / ${n(loop.databaseRestarts)}`,
    ],
  ];
}

function details(results: readonly SuiteResult[]): string {
  const lines = ['', 'Details:'];
  for (const result of [...results].sort((a, b) => a.suite.localeCompare(b.suite))) {
    for (const [label, value] of Object.entries(result.notes ?? {}))
      lines.push(`  ${result.suite}: ${label} = ${typeof value === 'number' ? n(value) : value}`);
  }
  return lines.join('\n');
}

process.exitCode = main();
