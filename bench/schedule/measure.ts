/**
 * The gym schedule's figures: a change written through the gym API → the call received at Wellhub,
 * and a schedule of 1,000 slots imported → all published, with the calls it took. Runs
 * schedule/driver.ts in a process of its own (the gym API handler and the local Wellhub; it starts
 * the pipeline in a third), on the schedule's own table of the benchmark's DynamoDB Local. Its stdout
 * is discarded (the gym API logs a line per request, as deployed); progress comes back over IPC.
 */
import { join } from 'node:path';
import { runDriver } from '../support/driver';
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

export function measureSchedule(
  env: NodeJS.ProcessEnv,
  cwd: string,
  limitMs: number,
  progress: (message: string) => void,
): Promise<ScheduleResults> {
  return runDriver('schedule', join(__dirname, 'driver.ts'), env, cwd, limitMs, progress);
}
