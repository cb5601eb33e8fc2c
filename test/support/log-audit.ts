/**
 * Every JSON line the service writes during the whole test run is kept (one file per test worker)
 * and audited once at the end (global-teardown.ts): it must parse, and it must not carry a secret,
 * a signature, a name, a phone number or a full email. Keeping the lines also keeps them out of
 * Jest's output.
 */
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { neverLoggedValues } from './known-values';

export const LOG_AUDIT_DIR = 'WELLHUB_LOG_AUDIT_DIR';

/** Values the fixtures and harness put into requests; none may reach a log line. */
export const NEVER_LOGGED = [
  'test-secret-current',
  'test-secret-previous',
  'local-dev-secret',
  'first-secret',
  'second-secret',
  'Firstname',
  'Lastname',
  'Mariana',
  'Quintela',
  'user@email.com',
  '+5511999999999',
  '99876-5432',
  // Wellhub API tokens: the local Wellhub's default, the tests', and the Secrets Manager ones.
  'local-wellhub-token',
  'wellhub-test-token-7f3a9c',
  'wellhub-token-from-secrets-manager',
  'wellhub-token-rotated',
  // The local Wellhub's test members' contact details.
  'Test Member',
  '+5511900000',
  // What the reliability suites' generators put into names, emails, phones and secrets.
  ...neverLoggedValues(),
];

const SIGNATURE = /(?<![0-9a-f])[0-9a-f]{40}(?![0-9a-f])/i;
const EMAIL = /([A-Za-z0-9._%+*-]+)@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

/** Installed in every test file: JSON lines go to the audit file, anything else passes through. */
export function keepServiceLogs(): void {
  const dir = process.env[LOG_AUDIT_DIR];
  if (!dir) return;
  const file = join(dir, `worker-${process.pid}.jsonl`);
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = String(chunk);
      if (!text.trimStart().startsWith('{')) return write(chunk as string, ...(rest as []));
      appendFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  }
}

export interface AuditResult {
  readonly lines: number;
  readonly problems: string[];
}

export function auditServiceLogs(dir: string): AuditResult {
  const problems: string[] = [];
  let lines = 0;
  for (const name of readdirSync(dir)) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      lines++;
      const problem = problemWith(line);
      if (problem) problems.push(`${problem}: ${line.slice(0, 300)}`);
    }
  }
  return { lines, problems };
}

function problemWith(line: string): string | undefined {
  try {
    JSON.parse(line);
  } catch {
    return 'not one JSON object per line';
  }
  const leaked = NEVER_LOGGED.find((value) => line.includes(value));
  if (leaked) return `contains ${leaked.slice(0, 3)}…`;
  if (SIGNATURE.test(line)) return 'contains what looks like a signature (40 hex digits)';
  for (const [, local] of line.matchAll(EMAIL)) {
    if (!local?.endsWith('***')) return 'contains a full email address';
  }
  return undefined;
}
