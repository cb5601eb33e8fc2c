/**
 * The local Wellhub's clock. Its rules are about time (15 minutes to answer a booking, 20 to validate
 * a check-in), so tests move this clock instead of waiting; it keeps running between moves, so a
 * person trying things by hand sees time pass normally.
 */
export interface SimClock {
  now(): number;
  /** Jumps to an absolute time (epoch ms). */
  set(epochMs: number): void;
  advance(ms: number): void;
}

export function simClock(base: () => number = Date.now): SimClock {
  let offset = 0;
  return {
    now: () => base() + offset,
    set: (epochMs) => {
      offset = epochMs - base();
    },
    advance: (ms) => {
      offset += ms;
    },
  };
}

export const MINUTE_MS = 60_000;
