import { nextAttemptAt } from '#lib/wellhub-api/retry';

/**
 * When a job that called Wellhub tries again (CONTRACT §9, §13). Short waits happen inside the job,
 * so that a blip costs a second rather than the sweeper's minute; but the stream's batch waits with
 * the job, so the waits are capped: a Wellhub outage must not stall the webhooks behind it.
 */
export const WAIT_IN_JOB_MS = 2_000;
export const JOB_BUDGET_MS = 5_000;
/** Our token is missing or refused: on-call must act, and asking again sooner changes nothing. */
export const AUTH_RETRY_MS = 60_000;

export interface RetryPlan {
  /** Epoch ms of the next attempt (never past the deadline: then it is the deadline itself). */
  readonly at: number;
  /** Wait for it in the job, rather than leave it to the sweeper. */
  readonly inJob: boolean;
}

export function planRetry(
  attempts: number,
  calledAt: number,
  deadline: number,
  failure: { readonly retryAfterMs?: number; readonly auth?: boolean },
  spentMs: number,
): RetryPlan {
  const at =
    nextAttemptAt(attempts, calledAt, {
      deadline,
      ...(failure.retryAfterMs !== undefined || failure.auth
        ? { retryAfterMs: Math.max(failure.retryAfterMs ?? 0, failure.auth ? AUTH_RETRY_MS : 0) }
        : {}),
    }) ?? deadline;
  const wait = at - calledAt;
  return { at, inJob: wait <= WAIT_IN_JOB_MS && spentMs + wait < JOB_BUDGET_MS };
}

/** The wait of a retry inside a job (jobs take an injected one in tests). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
