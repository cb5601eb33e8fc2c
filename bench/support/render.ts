/**
 * Rendering of the report's table and the units of its cells: padding by characters, so that `≤` and
 * `×` keep the columns straight.
 */
import type { Row } from './report';

export function share(part: number, whole: number): string {
  const percent = (100 * part) / whole;
  return `${percent < 10 ? percent.toFixed(1) : percent.toFixed(0)}%`;
}

export function renderTable(rows: readonly Row[]): string {
  const header = {
    figure: 'figure',
    ours: 'ours',
    floor: 'floor',
    ratio: 'ratio',
    target: 'target',
    verdict: '',
  };
  const cells = (row: Omit<Row, 'section'>) => [
    row.figure,
    row.ours,
    row.floor,
    row.ratio,
    row.target,
    row.verdict,
  ];
  const widths = cells(header).map((_, column) =>
    Math.max(...[header, ...rows].map((row) => [...(cells(row)[column] ?? '')].length)),
  );
  const line = (row: Omit<Row, 'section'>) =>
    cells(row)
      .map((cell, column) =>
        column === 0 ? pad(cell, widths[column] ?? 0) : padStart(cell, widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const out = [line(header)];
  for (const row of rows) {
    if (row.section) out.push('', row.section);
    out.push(`  ${line(row)}`);
  }
  return out.join('\n');
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - [...text].length));
}

function padStart(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - [...text].length)) + text;
}

export function ratio(ours: number, floor: number): string {
  if (!Number.isFinite(ours / floor)) return 'n/a';
  return `${(ours / floor).toFixed(2)}×`;
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return `${value < 100 ? value.toFixed(1) : value.toFixed(0)} ms`;
}

export function us(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 1000 ? `${(value / 1000).toFixed(2)} ms` : `${value.toFixed(value < 10 ? 1 : 0)} µs`;
}

export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
