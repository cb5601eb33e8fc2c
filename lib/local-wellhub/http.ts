/** The local Wellhub's request and answer shapes, and Wellhub's error bodies per API. */
import type { FieldError } from './validation';

export interface SimRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Parsed JSON; undefined when there was no body. */
  readonly body: unknown;
  readonly now: number;
}

export interface SimResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Which of Wellhub's APIs a route belongs to: each has its own error shape. */
export type SimApi = 'booking' | 'access' | 'setup' | 'helper' | 'control';

export type SimHandler = (request: SimRequest) => SimResponse | Promise<SimResponse>;

export interface SimRoute {
  readonly method: string;
  readonly pattern: string;
  readonly api: SimApi;
  /** Health and the control API answer without the token. */
  readonly public?: boolean;
  readonly handler: SimHandler;
}

export function matchRoute(routes: readonly SimRoute[], method: string, path: string) {
  const got = path.split('/');
  let pathMatched = false;
  for (const route of routes) {
    const want = route.pattern.split('/');
    if (want.length !== got.length) continue;
    const params: Record<string, string> = {};
    const matches = want.every((segment, i) => {
      const value = got[i] ?? '';
      const name = /^\{(\w+)\}$/.exec(segment)?.[1];
      if (name === undefined) return segment === value;
      params[name] = decodeURIComponent(value);
      return value !== '';
    });
    if (!matches) continue;
    pathMatched = true;
    if (route.method === method) return { route, params, pathMatched };
  }
  return { route: undefined, params: {}, pathMatched };
}

/** Booking API: a list `[{"field":...,"error":...}]` (seen). */
export function fieldErrors(status: number, errors: readonly FieldError[]): SimResponse {
  return { status, body: errors };
}

/** Access Control: `{"metadata":{"total":0,"errors":n},"errors":[{"key":...,"message":...}]}` (doc). */
export function accessError(status: number, key: string, message: string): SimResponse {
  return { status, body: { metadata: { total: 0, errors: 1 }, errors: [{ key, message }] } };
}

/** An error in the shape of the API the route belongs to. */
export function apiError(api: SimApi, status: number, field: string, error: string): SimResponse {
  if (api === 'booking') return fieldErrors(status, [{ field, error }]);
  if (api === 'access') return accessError(status, `request.${field}.invalid`, error);
  return { status, body: { errors: [{ field, error }] } };
}

/** A gateway in front of Wellhub answers these, whatever the API. */
export const UNAUTHORIZED: SimResponse = { status: 401, body: { message: 'Unauthorized' } };
export const FORBIDDEN: SimResponse = {
  status: 403,
  body: { Message: 'User is not authorized to access this resource with an explicit deny' },
};
export const NOT_FOUND: SimResponse = { status: 404, body: { message: 'Not Found' } };

export function intParam(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}
