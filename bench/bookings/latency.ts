/**
 * Webhook answered → the gym's answer received at Wellhub, for slots with free seats (every request is
 * `RESERVED`): one member booking at a time, then rounds of many members booking at the same moment,
 * each on a slot of their own. The path timed is the whole loop of CONTRACT §11 as deployed: the
 * receiver stores the event, the worker (fed by the stream) applies it into a `REQUESTED` booking,
 * then answers it from the booking's own stream record, deciding and taking the seat in one
 * transaction before it PATCHes Wellhub. Each request, or round, waits for its answers and for the
 * slots' `total_booked` at Wellhub to catch up, then a short random pause, so that the requests do
 * not fall into step with the stream poller's interval.
 */
import type { LocalWellhub } from '#lib/local-wellhub/server';
import { sleep } from '../schedule/gym';
import type { ReceiverProcess } from '../support/receiver-process';
import type { PublishedSlot } from './gym';
import {
  answerAt,
  answered,
  type Booked,
  book,
  countsCaughtUp,
  extraAnswers,
  type LagFigures,
  lagFigures,
} from './members';

export interface LatencyPlan {
  /** One-at-a-time requests answered before anything is measured: JIT, connections, the token. */
  readonly warmUp: number;
  readonly oneAtATime: number;
  /** `size` members booking at once (each on a slot of their own), `count` times. */
  readonly rounds: { readonly size: number; readonly count: number; readonly warmUpRounds: number };
  /** Drawn at random between the two after each request or round. */
  readonly pauseMs: readonly [number, number];
  /** How long a request (or round) has to be answered at Wellhub, and then its counts to catch up. */
  readonly answerLimitMs: number;
  /** No measured request or round starts after this, per run. */
  readonly runLimitMs: number;
}

export interface LatencyRun {
  readonly kind: 'one at a time' | 'rounds';
  /** Members booking at the same moment. */
  readonly connections: number;
  readonly planned: number;
  /** Requests made (the local Wellhub took the booking and sent its webhook). */
  readonly requests: number;
  readonly rounds?: number;
  /** Webhook answered → the answer's PATCH received at Wellhub. */
  readonly lag: LagFigures;
  /** Every sample of it, in the order taken. */
  readonly lagsMs: readonly number[];
  /** The local Wellhub refused the booking itself (the slot full or closed at Wellhub). */
  readonly refused: number;
  /** The webhook was never answered 2xx, retries included. */
  readonly undelivered: number;
  /** Its first attempt was not answered 2xx within Wellhub's second: the 200 is that of a retry. */
  readonly retried: number;
  readonly notAnswered: number;
  /** Answered other than `RESERVED`, though every slot had free seats. */
  readonly notReserved: number;
  /** Answers beyond the first that the local Wellhub received for a booking. */
  readonly extraAnswers: number;
  /** Requests (or rounds) after which `total_booked` at Wellhub had not caught up within the limit. */
  readonly countsBehind: number;
  /** CPU time of the pipeline process per request: apply, answer and the slot's count. */
  readonly workerCpuPerBookingUs: number;
  readonly cutShort: boolean;
}

export interface LatencyResults {
  readonly warmUp: number;
  readonly warmUpRounds: number;
  readonly runs: readonly LatencyRun[];
}

export interface BookingRun {
  readonly wellhub: LocalWellhub;
  readonly receiverUrl: string;
  readonly pipeline: ReceiverProcess;
  readonly member: () => string;
}

class Tally {
  readonly lags: number[] = [];
  requests = 0;
  refused = 0;
  undelivered = 0;
  retried = 0;
  notAnswered = 0;
  notReserved = 0;
  extraAnswers = 0;
  countsBehind = 0;
}

export async function measureLatency(
  run: BookingRun,
  slots: readonly PublishedSlot[],
  plan: LatencyPlan,
  progress: (message: string) => void,
): Promise<LatencyResults> {
  if (slots.length < plan.rounds.size)
    throw new Error(`a round of ${plan.rounds.size} needs as many slots, not ${slots.length}`);
  const { wellhub } = run;
  let next = 0;
  const pause = () => {
    const [least, most] = plan.pauseMs;
    return sleep(least + Math.random() * (most - least));
  };

  /** `size` members at once, each on the next slot; every answer awaited, then the slots' counts. */
  const together = async (size: number, tally: Tally): Promise<void> => {
    const chosen = Array.from({ length: size }, () => slots[next++ % slots.length] as PublishedSlot);
    const booked = await Promise.all(
      chosen.map((slot) => book(wellhub, slot.wellhubId, run.member(), run.receiverUrl)),
    );
    const made = booked.filter((b): b is Extract<Booked, { ok: true }> => b.ok);
    tally.requests += made.length;
    tally.refused += booked.length - made.length;
    for (const refused of booked) if (!refused.ok) progress(`WARNING: booking refused: ${refused.error}`);
    tally.notAnswered += await answered(
      wellhub,
      made.map((b) => b.bookingNumber),
      plan.answerLimitMs,
    );
    for (const b of made) {
      if (!b.delivered) tally.undelivered++;
      if (b.retried) tally.retried++;
      tally.extraAnswers += extraAnswers(wellhub, b.bookingNumber);
      const answer = answerAt(wellhub, b.bookingNumber);
      if (answer === undefined) continue;
      tally.lags.push(answer.at - b.answeredAt);
      if (answer.status !== 'RESERVED') tally.notReserved++;
    }
    const behind = await countsCaughtUp(
      wellhub,
      chosen.map((slot) => slot.wellhubId),
      plan.answerLimitMs,
    );
    if (behind > 0) tally.countsBehind++;
  };

  const measured = async (kind: LatencyRun['kind'], size: number, planned: number): Promise<LatencyRun> => {
    const tally = new Tally();
    const cpuBefore = (await run.pipeline.usage()).cpuMicrosAfterGc;
    const started = Date.now();
    let made = 0;
    while (made < planned && Date.now() - started <= plan.runLimitMs) {
      await together(size, tally);
      made++;
      await pause();
    }
    const cpuAfter = (await run.pipeline.usage()).cpuMicros;
    return {
      kind,
      connections: size,
      planned: planned * size,
      requests: tally.requests,
      ...(kind === 'rounds' ? { rounds: made } : {}),
      lag: lagFigures(tally.lags),
      lagsMs: tally.lags,
      refused: tally.refused,
      undelivered: tally.undelivered,
      retried: tally.retried,
      notAnswered: tally.notAnswered,
      notReserved: tally.notReserved,
      extraAnswers: tally.extraAnswers,
      countsBehind: tally.countsBehind,
      workerCpuPerBookingUs: (cpuAfter - cpuBefore) / Math.max(1, tally.requests),
      cutShort: made < planned,
    };
  };

  progress(`${plan.warmUp} requests of warm-up, one at a time`);
  const warm = new Tally();
  for (let i = 0; i < plan.warmUp; i++) {
    await together(1, warm);
    await pause();
  }
  progress(`${plan.oneAtATime} requests one at a time`);
  const oneAtATime = await measured('one at a time', 1, plan.oneAtATime);
  progress(
    `${plan.rounds.warmUpRounds} rounds of warm-up, then ${plan.rounds.count} rounds of ${plan.rounds.size}`,
  );
  for (let i = 0; i < plan.rounds.warmUpRounds; i++) {
    await together(plan.rounds.size, warm);
    await pause();
  }
  const rounds = await measured('rounds', plan.rounds.size, plan.rounds.count);
  if (warm.notAnswered + warm.refused > 0)
    progress(`WARNING: warm-up: ${warm.notAnswered} not answered, ${warm.refused} refused by Wellhub`);
  return { warmUp: plan.warmUp, warmUpRounds: plan.rounds.warmUpRounds, runs: [oneAtATime, rounds] };
}
