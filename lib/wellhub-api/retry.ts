import type { WellhubOutcome } from './outcome';

/**
 * When to call Wellhub again (CONTRACT §9): exponential backoff with full jitter, never sooner than
 * Wellhub's `Retry-After`, never past the job's deadline. `nextAttemptAt` is pure, so the pipeline
 * can store its answer as `next_attempt_at` and let the sweeper re-drive; `retryUntilDeadline` is
 * the in-process loop for retries short enough to wait for.
 */

export interface Backoff {
  /** The first retry comes within `[0, baseMs]`. */
  readonly baseMs: number;
  /** No wait is drawn from a window wider than this. */
  readonly capMs: number;
}

/** Half a second doubling to a minute: a booking answer has 15 minutes, a validation 20. */
export const WELLHUB_BACKOFF: Backoff = { baseMs: 500, capMs: 60_000 };

export interface NextAttemptOptions {
  /** Epoch ms after which no attempt may start. */
  readonly deadline: number;
  /** From the failed attempt's `Retry-After`. */
  readonly retryAfterMs?: number;
  readonly backoff?: Backoff;
  /** In `[0, 1)`; injected so that tests choose the jitter. */
  readonly random?: () => number;
}

/**
 * Epoch ms of the next attempt after `attempt` attempts have failed (1 after the first), or
 * `undefined` when that would pass the deadline: the job has run out of time.
 * The wait is `random(0, min(cap, base * 2^(attempt - 1)))`, raised to `Retry-After` when that is longer.
 */
export function nextAttemptAt(attempt: number, now: number, options: NextAttemptOptions): number | undefined {
  const { baseMs, capMs } = options.backoff ?? WELLHUB_BACKOFF;
  const random = options.random ?? Math.random;
  // Past 2^30 the window is the cap anyway; this keeps the power finite.
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const window = Math.min(capMs, baseMs * 2 ** exponent);
  const jitter = Math.floor(random() * window);
  const wait = Math.max(jitter, options.retryAfterMs ?? 0);
  const at = now + wait;
  return at > options.deadline ? undefined : at;
}

export type RetryVerdict =
  | { readonly retry: false }
  | { readonly retry: true; readonly retryAfterMs?: number };

/** The classifier for Wellhub outcomes: only `retry` is tried again, honouring its `Retry-After`. */
export function wellhubVerdict(outcome: WellhubOutcome<unknown>): RetryVerdict {
  if (outcome.kind !== 'retry') return { retry: false };
  return outcome.retryAfterMs !== undefined
    ? { retry: true, retryAfterMs: outcome.retryAfterMs }
    : { retry: true };
}

export interface RetryOptions<T> extends Omit<NextAttemptOptions, 'retryAfterMs'> {
  /** Says whether a result is worth another attempt. */
  readonly classify: (result: T) => RetryVerdict;
  /** Stops after this many attempts even with time left. */
  readonly maxAttempts?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface RetryResult<T> {
  /** The last attempt's result. */
  readonly result: T;
  readonly attempts: number;
  /** The last result still asked for a retry, but the deadline or `maxAttempts` came first. */
  readonly exhausted: boolean;
}

/**
 * Calls `call(attempt)` (attempt 1, 2, …) until the classifier says stop, the deadline leaves no room
 * for another attempt, or `maxAttempts` is reached. The first attempt is always made.
 */
export async function retryUntilDeadline<T>(
  call: (attempt: number) => Promise<T>,
  options: RetryOptions<T>,
): Promise<RetryResult<T>> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
  for (let attempt = 1; ; attempt++) {
    const result = await call(attempt);
    const verdict = options.classify(result);
    if (!verdict.retry) return { result, attempts: attempt, exhausted: false };
    const current = now();
    const at =
      attempt >= maxAttempts
        ? undefined
        : nextAttemptAt(attempt, current, {
            ...options,
            ...(verdict.retryAfterMs !== undefined ? { retryAfterMs: verdict.retryAfterMs } : {}),
          });
    if (at === undefined) return { result, attempts: attempt, exhausted: true };
    await sleep(at - current);
  }
}

/** `retryUntilDeadline` with the Wellhub classifier: `call` gets the attempt number for its log line. */
export function retryWellhubCall<T>(
  call: (attempt: number) => Promise<WellhubOutcome<T>>,
  options: Omit<RetryOptions<WellhubOutcome<T>>, 'classify'>,
): Promise<RetryResult<WellhubOutcome<T>>> {
  return retryUntilDeadline(call, { ...options, classify: wellhubVerdict });
}
