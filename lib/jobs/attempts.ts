/**
 * How a job that failed is tried again (CONTRACT §9): it records the attempt and its error on the
 * record it acts on and returns, so the stream moves on; the sweeper picks it up when it is due. After
 * the last attempt the record is `FAILED`, listed by `ops failures`, counted, and alarmed.
 */
export interface FailedAttempt {
  /** Attempts made so far, this one included. */
  readonly attempts: number;
  readonly error: string;
  readonly at: Date;
  /** When to try again; undefined when this was the last attempt. */
  readonly retryAt: Date | undefined;
}

export const MAX_APPLY_ATTEMPTS = 5;
/** The sweeper runs every minute, so shorter waits than this would only wait for it anyway. */
const FIRST_RETRY_MS = 60_000;
const LONGEST_WAIT_MS = 15 * 60_000;

export function failedAttempt(
  previousAttempts: number,
  error: unknown,
  at: Date,
  random: () => number = Math.random,
): FailedAttempt {
  const attempts = previousAttempts + 1;
  const retryAt =
    attempts >= MAX_APPLY_ATTEMPTS ? undefined : new Date(at.getTime() + backoffMs(attempts, random));
  return { attempts, error: describe(error), at, retryAt };
}

/** Exponential from a minute, capped, with jitter so that a burst of failures does not retry in step. */
function backoffMs(attempts: number, random: () => number): number {
  const ceiling = Math.min(LONGEST_WAIT_MS, FIRST_RETRY_MS * 2 ** (attempts - 1));
  return FIRST_RETRY_MS + random() * (ceiling - FIRST_RETRY_MS);
}

/** What the record and `ops failures` show: the error's kind and message, never a stack or a body. */
export function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}
