/**
 * The booking answers' figures (CONTRACT §11): webhook answered → the gym's answer received at
 * Wellhub, one member at a time and many at once; check-in webhook answered → the validate call
 * received at Wellhub (CONTRACT §12), for some of the bookings reserved; and decisions per second
 * with their counts on one hot slot and over many slots. Runs bookings/driver.ts in a process of its
 * own (the gym API handler and the local Wellhub; it starts our receiver and the pipeline in two
 * more), on the booking run's own table of the benchmark's DynamoDB Local.
 */
import { join } from 'node:path';
import { runDriver } from '../support/driver';
import type { CheckinsPlan, CheckinsResults } from './checkins';
import type { DecisionsPlan, DecisionsResults } from './decisions';
import type { LatencyPlan, LatencyResults } from './latency';

export interface BookingsPlan {
  readonly latency: LatencyPlan;
  /** After the latency runs, members whose bookings they reserved check in. */
  readonly checkins: CheckinsPlan;
  readonly decisions: DecisionsPlan;
  /** The whole section, processes started and stopped: past it the driver is killed and the run fails. */
  readonly limitMs: number;
}

export interface BookingsResults {
  readonly latency: LatencyResults;
  readonly checkins: CheckinsResults;
  readonly decisions: DecisionsResults;
}

export function measureBookings(
  env: NodeJS.ProcessEnv,
  cwd: string,
  limitMs: number,
  progress: (message: string) => void,
): Promise<BookingsResults> {
  return runDriver('bookings', join(__dirname, 'driver.ts'), env, cwd, limitMs, progress);
}
