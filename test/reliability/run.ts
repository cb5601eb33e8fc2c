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
import { RESULTS_DIR, RESULTS_PART, type SuiteResult } from './support/results';

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
}

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

function details(results: readonly SuiteResult[]): string {
  const lines = ['', 'Details:'];
  for (const result of [...results].sort((a, b) => a.suite.localeCompare(b.suite))) {
    for (const [label, value] of Object.entries(result.notes ?? {}))
      lines.push(`  ${result.suite}: ${label} = ${typeof value === 'number' ? n(value) : value}`);
  }
  return lines.join('\n');
}

process.exitCode = main();
