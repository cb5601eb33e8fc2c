/**
 * Every answer from Wellhub, classified once for the caller (CONTRACT §13), so that jobs branch on
 * four kinds instead of reading status codes:
 * - `done`: delivered, with the parsed body;
 * - `adopt`: a create answered 409, the thing exists already: adopt it;
 * - `retry`: worth trying again later (timeouts, connection errors, 408, 429, 5xx; and 401/403 and a
 *   missing token, flagged `auth`, because the job waits for on-call rather than give up);
 * - `refused`: Wellhub said no (any other 4xx), with its error body parsed.
 */

/** Wellhub's error bodies, whichever API answered, in one shape. */
export interface WellhubErrorBody {
  /** Booking API 400: `[{"field":"reference","error":"length must be between 1 and 20 characters"}]`. */
  readonly fields: readonly { readonly field: string; readonly error: string }[];
  /** Access Control: `{"errors":[{"key":"checkin.validation.expired","message":"..."}]}`. */
  readonly keys: readonly { readonly key: string; readonly message: string }[];
  /** IAM-style `{"Message": "..."}`, or any other `message`. */
  readonly message?: string;
}

export type RetryReason =
  | 'timeout'
  | 'connection'
  | 'throttled'
  | 'server_error'
  | 'auth_refused'
  | 'not_configured'
  | 'token_unavailable'
  | 'invalid_response';

export interface Done<T> {
  readonly kind: 'done';
  readonly status: number;
  readonly body: T;
}

export interface Adopt {
  readonly kind: 'adopt';
  readonly status: 409;
  readonly error: WellhubErrorBody;
}

export interface Retry {
  readonly kind: 'retry';
  readonly reason: RetryReason;
  /** Absent when no answer came (timeout, connection, or no request made at all). */
  readonly status?: number;
  /** From `Retry-After`: the next attempt must not come sooner. */
  readonly retryAfterMs?: number;
  /** Our token is missing, wrong, revoked or not enabled for the gym: on-call must act. */
  readonly auth?: true;
  readonly error?: WellhubErrorBody;
}

export interface Refused {
  readonly kind: 'refused';
  readonly status: number;
  readonly error: WellhubErrorBody;
}

export type WellhubOutcome<T> = Done<T> | Adopt | Retry | Refused;

/** The kind an HTTP status maps to; `create` says whether a 409 means "it exists: adopt it". */
export function kindOfStatus(status: number, create: boolean): WellhubOutcome<unknown>['kind'] {
  if (status >= 200 && status < 300) return 'done';
  if (status === 409 && create) return 'adopt';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  if (status === 401 || status === 403) return 'retry';
  return 'refused';
}

export function retryReasonOfStatus(status: number): RetryReason {
  if (status === 401 || status === 403) return 'auth_refused';
  if (status === 429) return 'throttled';
  if (status === 408) return 'timeout';
  return 'server_error';
}

/**
 * `Retry-After` in milliseconds from `now`: delta-seconds or an HTTP date. Undefined when absent or
 * unreadable; a date in the past is 0.
 */
export function parseRetryAfter(header: string | null | undefined, now: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (!/[a-z]/i.test(text) || Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

const NO_ERROR: WellhubErrorBody = { fields: [], keys: [] };

/** Reads whichever error shape Wellhub answered with; anything else gives empty lists. */
export function parseErrorBody(text: string): WellhubErrorBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return NO_ERROR;
  }
  if (Array.isArray(parsed)) return { fields: parsed.flatMap(fieldError), keys: [] };
  if (!isRecord(parsed)) return NO_ERROR;
  const keys = Array.isArray(parsed.errors) ? parsed.errors.flatMap(keyedError) : [];
  const fields = Array.isArray(parsed.errors) ? parsed.errors.flatMap(fieldError) : [];
  const message = [parsed.Message, parsed.message, parsed.error].find((m) => typeof m === 'string');
  return { fields, keys, ...(typeof message === 'string' ? { message } : {}) };
}

function fieldError(item: unknown): WellhubErrorBody['fields'] {
  return isRecord(item) && typeof item.field === 'string'
    ? [{ field: item.field, error: typeof item.error === 'string' ? item.error : '' }]
    : [];
}

function keyedError(item: unknown): WellhubErrorBody['keys'] {
  return isRecord(item) && typeof item.key === 'string'
    ? [{ key: item.key, message: typeof item.message === 'string' ? item.message : '' }]
    : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The error keys and field names of an outcome: what a log line may show of Wellhub's error. */
export function errorCodes(outcome: WellhubOutcome<unknown>): string[] {
  const error = outcome.kind === 'done' ? undefined : outcome.error;
  if (!error) return [];
  return [...error.keys.map((k) => k.key), ...error.fields.map((f) => f.field)];
}

/** Whether Access Control answered with this error key (`checkin.already.validated`, …). */
export function hasErrorKey(outcome: WellhubOutcome<unknown>, key: string): boolean {
  return outcome.kind !== 'done' && (outcome.error?.keys.some((k) => k.key === key) ?? false);
}
