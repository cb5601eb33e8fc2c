import { rmSync } from 'node:fs';
import { RESULTS_PART, recordResult } from '../reliability/support/results';
import { auditServiceLogs, LOG_AUDIT_DIR } from './log-audit';

declare global {
  // Set by summary-reporter.js, which Jest runs in this process just before the teardown.
  var wellhubTestSummary: string | undefined;
}

export default async function globalTeardown(): Promise<void> {
  await globalThis.dynamoDbLocal?.stop();
  globalThis.dynamoDbLocal = undefined;

  const dir = process.env[LOG_AUDIT_DIR];
  if (!dir) return;
  const { lines, problems } = auditServiceLogs(dir);
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`log audit: ${lines} service log lines, ${problems.length} problems\n`);
  recordResult({
    suite: process.env[RESULTS_PART] ? `log-audit ${process.env[RESULTS_PART]}` : 'log-audit',
    eventsLost: 0,
    appliedTwice: 0,
    logLinesAudited: lines,
    logLinesLeaking: problems.length,
  });
  if (problems.length > 0) throw new Error(`log audit failed:\n${problems.slice(0, 20).join('\n')}`);
  if (globalThis.wellhubTestSummary) process.stdout.write(`${globalThis.wellhubTestSummary}\n`);
}
