import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { z } from 'zod';
import { logger, metrics } from '#lib/log';
import {
  errorCodes,
  kindOfStatus,
  parseErrorBody,
  parseRetryAfter,
  type Retry,
  retryReasonOfStatus,
  type WellhubOutcome,
} from './outcome';
import type { WellhubTokenSource } from './token';

/** Which host a call goes to: the partner APIs, or the Integration Setup API (webhook registration). */
export type WellhubApi = 'partners' | 'setup';

export interface WellhubCallDeps {
  /** Unset: every call fails closed (`not_configured`) and no request is made. */
  readonly baseUrl?: string;
  readonly setupBaseUrl?: string;
  readonly tokens: WellhubTokenSource;
  /** Per call, the answer's body included. */
  readonly timeoutMs: number;
  readonly now?: () => number;
}

export interface WellhubRequest<S extends z.ZodType = z.ZodUndefined> {
  readonly api?: WellhubApi;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The path as Wellhub documents it, `{name}` for each parameter: also what the log line shows. */
  readonly template: string;
  readonly params?: Readonly<Record<string, string | number>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** A create: a 409 means it exists already (`adopt`). */
  readonly create?: boolean;
  /** Health is public: it is called without the token. */
  readonly anonymous?: boolean;
  /** Checks a 2xx body; absent for answers that carry none (204). */
  readonly schema?: S;
}

/** What the caller knows about the call, for its log line. */
export interface CallContext {
  /** Which attempt this is (1 for the first), as the job counts them. */
  readonly attempt?: number;
  readonly bookingNumber?: string;
  readonly slotReference?: string;
}

type Body<S extends z.ZodType> = z.output<S>;

/**
 * One call to Wellhub: the token, a timeout that covers the answer's body, and the answer classified
 * (outcome.ts). Never throws. Exactly one log line per call, with no token and no body: bodies carry
 * members' personal data.
 */
export async function callWellhub<S extends z.ZodType = z.ZodUndefined>(
  deps: WellhubCallDeps,
  request: WellhubRequest<S>,
  context: CallContext = {},
): Promise<WellhubOutcome<Body<S>>> {
  const now = deps.now ?? Date.now;
  const started = now();
  const outcome = await attempt(deps, request, now);
  record(request, context, outcome, now() - started);
  return outcome;
}

async function attempt<S extends z.ZodType = z.ZodUndefined>(
  deps: WellhubCallDeps,
  request: WellhubRequest<S>,
  now: () => number,
): Promise<WellhubOutcome<Body<S>>> {
  const base = request.api === 'setup' ? deps.setupBaseUrl : deps.baseUrl;
  if (base === undefined) return { kind: 'retry', reason: 'not_configured', auth: true };
  let token: string | undefined;
  if (!request.anonymous) {
    try {
      token = await deps.tokens.token();
    } catch {
      return { kind: 'retry', reason: 'token_unavailable', auth: true };
    }
    if (token === undefined) return { kind: 'retry', reason: 'not_configured', auth: true };
  }

  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (request.body !== undefined) headers['content-type'] = 'application/json';

  let status: number;
  let text: string;
  let retryAfter: string | null;
  try {
    // One signal for the whole exchange: a server that sends its headers and then stalls the body
    // times out like one that never answers.
    const response = await fetch(urlOf(base, request), {
      method: request.method,
      headers,
      ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
      signal: AbortSignal.timeout(deps.timeoutMs),
    });
    status = response.status;
    retryAfter = response.headers.get('retry-after');
    text = await response.text();
  } catch (error) {
    // By name, not instanceof: fetch's errors may come from another realm (a test runner's VM).
    const name = typeof error === 'object' && error !== null ? Reflect.get(error, 'name') : undefined;
    const timedOut = name === 'TimeoutError' || name === 'AbortError';
    return { kind: 'retry', reason: timedOut ? 'timeout' : 'connection' };
  }
  return classify(request, status, text, parseRetryAfter(retryAfter, now()));
}

function classify<S extends z.ZodType = z.ZodUndefined>(
  request: WellhubRequest<S>,
  status: number,
  text: string,
  retryAfterMs: number | undefined,
): WellhubOutcome<Body<S>> {
  const kind = kindOfStatus(status, request.create === true);
  if (kind === 'done') {
    if (request.schema === undefined) return { kind, status, body: undefined as Body<S> };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { kind: 'retry', reason: 'invalid_response', status };
    }
    const parsed = request.schema.safeParse(json);
    if (!parsed.success) return { kind: 'retry', reason: 'invalid_response', status };
    return { kind, status, body: parsed.data as Body<S> };
  }
  const error = parseErrorBody(text);
  if (kind === 'adopt') return { kind, status: 409, error };
  if (kind === 'refused') return { kind, status, error };
  const retry: Retry = {
    kind,
    reason: retryReasonOfStatus(status),
    status,
    error,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(status === 401 || status === 403 ? { auth: true as const } : {}),
  };
  return retry;
}

function urlOf(base: string, request: WellhubRequest<z.ZodType>): string {
  const path = request.template.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = request.params?.[name];
    if (value === undefined) throw new Error(`no value for {${name}} in ${request.template}`);
    return encodeURIComponent(String(value));
  });
  // URLSearchParams encodes `+` and `:`: an offset such as +01:00 reaches Wellhub intact.
  const query = request.query ? `?${new URLSearchParams(request.query).toString()}` : '';
  return `${base}${path}${query}`;
}

function record(
  request: WellhubRequest<z.ZodType>,
  context: CallContext,
  outcome: WellhubOutcome<unknown>,
  latencyMs: number,
): void {
  const codes = errorCodes(outcome);
  const fields = {
    method: request.method,
    path: request.template,
    api: request.api ?? 'partners',
    status: 'status' in outcome ? outcome.status : undefined,
    outcome: outcome.kind,
    reason: outcome.kind === 'retry' ? outcome.reason : undefined,
    auth: outcome.kind === 'retry' ? outcome.auth : undefined,
    retry_after_ms: outcome.kind === 'retry' ? outcome.retryAfterMs : undefined,
    latency_ms: latencyMs,
    attempt: context.attempt ?? 1,
    gym_id: request.params?.gym_id ?? request.headers?.['x-gym-id'],
    booking_number: context.bookingNumber,
    slot_reference: context.slotReference,
    wellhub_errors: codes.length > 0 ? codes : undefined,
  };
  if (outcome.kind === 'done' || outcome.kind === 'adopt') logger.info('wellhub call', fields);
  else if (outcome.kind === 'retry' && outcome.auth) logger.error('wellhub call', fields);
  else logger.warn('wellhub call', fields);

  if (outcome.kind !== 'retry' || !outcome.auth) return;
  // Two metrics, two alarms: a token never configured is fixed differently from one Wellhub refuses.
  const name = outcome.reason === 'auth_refused' ? 'WellhubAuthRefused' : 'WellhubTokenMissing';
  metrics.singleMetric().addMetric(name, MetricUnit.Count, 1);
}
