import type { WellhubOutcome } from '#lib/wellhub-api/outcome';
import { hasErrorKey } from '#lib/wellhub-api/outcome';
import type { BookingRecord, CallAttempt } from './records';

/**
 * Validating a check-in (CONTRACT §12) as pure functions: whether a booked check-in is the gym's to
 * validate, what each of Wellhub's answers means, and when to try again. Wellhub pays for a visit
 * only when the gym validates it within 20 minutes of the check-in in the app.
 */

export const VALIDATION_WINDOW_MS = 20 * 60_000;
/** `checkin.validation.notfound` often means Wellhub has not caught up yet: asked again this long. */
export const NOT_FOUND_PATIENCE_MS = 2 * 60_000;
const MAX_ATTEMPTS_KEPT = 50;

export const VALIDATION_STATES = ['pending', 'validated', 'failed', 'not_needed'] as const;
export type ValidationState = (typeof VALIDATION_STATES)[number];

export interface CheckinValidation {
  readonly state: ValidationState;
  /** When the member checked in in the app: the 20 minutes count from here. */
  readonly checked_in_at: string;
  readonly deadline: string;
  readonly validated_at?: string;
  /** Why it failed, or why nothing was sent. */
  readonly error?: string;
  /** First `notfound` answer: from then on Wellhub gets two minutes to find the check-in. */
  readonly not_found_since?: string;
  /** Set for a walk-in left to the front desk (`WALKIN_VALIDATION=manual`). */
  readonly manual?: true;
  readonly attempts: readonly CallAttempt[];
}

export function newValidation(checkedInAt: string, manual = false): CheckinValidation {
  return {
    state: 'pending',
    checked_in_at: checkedInAt,
    deadline: new Date(Date.parse(checkedInAt) + VALIDATION_WINDOW_MS).toISOString(),
    ...(manual ? { manual: true as const } : {}),
    attempts: [],
  };
}

/**
 * Whether a booked check-in is the gym's to validate: eligibility follows the gym's answer, not the
 * booking's lifecycle status. `wait`: the request has not been decided (or has not arrived) yet.
 */
export function validationEligibility(
  booking: BookingRecord,
): 'validate' | 'wait' | { readonly notNeeded: string } {
  const answer = booking.answer;
  if (answer === undefined) return 'wait';
  if (answer.status === 'RESERVED' && ['pending', 'delivered', 'possibly_delivered'].includes(answer.state))
    return 'validate';
  if (answer.status === 'RESERVED')
    return { notNeeded: `the reservation ended ${answer.state}: Wellhub does not hold it` };
  if (answer.status === 'NONE') return { notNeeded: 'the member canceled before the gym answered' };
  return { notNeeded: `the gym answered REJECTED (${answer.reason_category ?? 'no category'})` };
}

/** One of Wellhub's answers to `POST /access/v1/validate`, as it means it (CONTRACT §12). */
export type ValidationResult =
  | { readonly kind: 'validated'; readonly httpStatus: number; readonly already: boolean }
  | { readonly kind: 'failed'; readonly httpStatus: number; readonly error: string }
  | { readonly kind: 'not_found'; readonly httpStatus: number; readonly error: string }
  | {
      readonly kind: 'retry';
      readonly httpStatus?: number;
      readonly error: string;
      readonly retryAfterMs?: number;
      /** Our token is missing or refused: on-call must act. */
      readonly auth?: boolean;
    };

export function classifyValidation(
  outcome: WellhubOutcome<unknown>,
  explain: (o: WellhubOutcome<unknown>) => string,
): ValidationResult {
  if (outcome.kind === 'done') return { kind: 'validated', httpStatus: outcome.status, already: false };
  if (hasErrorKey(outcome, 'checkin.already.validated'))
    return { kind: 'validated', httpStatus: outcome.status ?? 400, already: true };
  if (outcome.kind === 'retry')
    return {
      kind: 'retry',
      ...(outcome.status !== undefined ? { httpStatus: outcome.status } : {}),
      error: explain(outcome),
      ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}),
      ...(outcome.auth === true ||
      outcome.reason === 'not_configured' ||
      outcome.reason === 'token_unavailable'
        ? { auth: true }
        : {}),
    };
  if (hasErrorKey(outcome, 'checkin.validation.notfound'))
    return { kind: 'not_found', httpStatus: outcome.status, error: explain(outcome) };
  return { kind: 'failed', httpStatus: outcome.status, error: explain(outcome) };
}

/** Records one call; a `notfound` past its two minutes, and any refusal, fail it. */
export function withValidationCall(
  v: CheckinValidation,
  result: ValidationResult,
  at: Date,
): CheckinValidation {
  if (v.state !== 'pending') return v;
  const iso = at.toISOString();
  const attempt: CallAttempt = {
    at: iso,
    ...(result.httpStatus !== undefined ? { http_status: result.httpStatus } : {}),
    ...(result.kind !== 'validated'
      ? { error: result.error }
      : result.already
        ? { error: 'checkin.already.validated' }
        : {}),
  };
  const attempts = [...v.attempts, attempt].slice(-MAX_ATTEMPTS_KEPT);
  switch (result.kind) {
    case 'validated':
      return { ...v, attempts, state: 'validated', validated_at: iso };
    case 'failed':
      return { ...v, attempts, state: 'failed', error: result.error };
    case 'not_found': {
      const since = v.not_found_since ?? iso;
      const gaveUp = at.getTime() >= Date.parse(since) + NOT_FOUND_PATIENCE_MS;
      return gaveUp
        ? { ...v, attempts, not_found_since: since, state: 'failed', error: `${result.error} for 2 minutes` }
        : { ...v, attempts, not_found_since: since };
    }
    default:
      return { ...v, attempts };
  }
}

/** When the validation must be done by: its 20 minutes, or two minutes after Wellhub first said notfound. */
export function validationDeadline(v: CheckinValidation): number {
  const deadline = Date.parse(v.deadline);
  return v.not_found_since === undefined
    ? deadline
    : Math.min(deadline, Date.parse(v.not_found_since) + NOT_FOUND_PATIENCE_MS);
}

/**
 * On-call asks again (`ops retry`) for a validation that failed: owed again only while its 20 minutes
 * last, since Wellhub pays for nothing validated later. Its calls are kept; a `notfound` from Wellhub
 * gets its two minutes afresh.
 */
export function reopenedValidation(v: CheckinValidation, at: Date): CheckinValidation | undefined {
  if (v.state !== 'failed' || at.getTime() >= Date.parse(v.deadline)) return undefined;
  const { error: _error, not_found_since: _since, ...rest } = v;
  return { ...rest, state: 'pending' };
}

/** Its time ran out undelivered, or nothing was to be sent: the reason is kept for on-call. */
export function settledValidation(
  v: CheckinValidation,
  state: 'failed' | 'not_needed',
  error: string,
): CheckinValidation {
  return v.state === 'pending' ? { ...v, state, error } : v;
}
