/**
 * The gym schedule's figures: a change written through the gym API → the call received at Wellhub,
 * and a schedule of 1,000 slots imported → all published, with the calls it took. Runs
 * schedule/driver.ts in a process of its own (the gym API handler and the local Wellhub; it starts
 * the pipeline in a third), on the schedule's own table of the benchmark's DynamoDB Local. Its stdout
 * is discarded (the gym API logs a line per request, as deployed); progress comes back over IPC.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ChangesPlan, ChangesResults } from './changes';
import type { ImportPlan, ImportResults } from './import';

export interface SchedulePlan {
  readonly changes: ChangesPlan;
  readonly import: ImportPlan;
  /** The whole section, processes started and stopped: past it the driver is killed and the run fails. */
  readonly limitMs: number;
}

export interface ScheduleResults {
  readonly changes: ChangesResults;
  readonly import: ImportResults;
}

export type DriverMessage =
  | { readonly type: 'progress'; readonly message: string }
  | { readonly type: 'schedule'; readonly results: ScheduleResults };

export function measureSchedule(
  env: NodeJS.ProcessEnv,
  cwd: string,
  limitMs: number,
  progress: (message: string) => void,
): Promise<ScheduleResults> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'driver.ts')], {
      cwd,
      env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // Structured clone: a figure that could not be taken stays NaN instead of becoming null.
      serialization: 'advanced',
    });
    let stderr = '';
    let results: ScheduleResults | undefined;
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.on('message', (message: DriverMessage) => {
      if (message.type === 'progress') progress(`schedule: ${message.message}`);
      else if (message.type === 'schedule') results = message.results;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && results) resolve(results);
      else
        reject(
          new Error(
            `the schedule run failed (${signal === 'SIGKILL' ? `killed after ${limitMs} ms` : `exit ${code}`}):\n${stderr}`,
          ),
        );
    });
  });
}
