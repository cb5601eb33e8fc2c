/**
 * The local Wellhub: an HTTP server that answers as WELLHUB-API.md says Wellhub does, strictly, so
 * the service can be developed and tested without Wellhub's sandbox. Booking API, Access Control,
 * products, health, Integration Setup, the sandbox helpers, and a control API (`/_sim/*`) for the
 * clock, injected faults, the calls received and everything kept.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { accessRoutes } from './access-api';
import { type Acting, acting } from './acting';
import { bookingRoutes } from './booking-api';
import { type SimClock, simClock } from './clock';
import { controlRoutes, type RecordedCall } from './control';
import { type FaultSpec, Faults } from './faults';
import {
  apiError,
  FORBIDDEN,
  intParam,
  matchRoute,
  NOT_FOUND,
  type SimApi,
  type SimResponse,
  type SimRoute,
  UNAUTHORIZED,
} from './http';
import { applyTimeRules } from './rules';
import { setupRoutes } from './setup-api';
import { type SimProduct, SimState } from './state';

export interface LocalWellhubOptions {
  /** The one bearer token it accepts. */
  readonly token: string;
  readonly port?: number;
  readonly host?: string;
  /** The clock's source; the control API moves the clock from there. */
  readonly now?: () => number;
  /** Where webhooks go when the gym registered none (default http://127.0.0.1:8080). */
  readonly receiverUrl?: string;
  readonly webhookSecret?: string;
  /** Wellhub waits 1 s; tests may wait less. */
  readonly webhookTimeoutMs?: number;
  /** When given, the token is enabled for these gyms only: others answer 403. */
  readonly gyms?: readonly number[];
  readonly products?: readonly SimProduct[];
}

export interface LocalWellhub {
  readonly url: string;
  readonly state: SimState;
  readonly clock: SimClock;
  readonly faults: Faults;
  readonly calls: RecordedCall[];
  readonly acting: Acting;
  /** Wellhub revoking the gym's token: every authorized call answers 401 until restoreToken(). */
  revokeToken(): void;
  restoreToken(): void;
  close(): Promise<void>;
}

export const DEFAULT_PRODUCTS: readonly SimProduct[] = [
  { product_id: 100001, name: 'Classes - Unlimited' },
  { product_id: 100003, name: 'Virtual Class' },
];
export const DEFAULT_GYM_ID = 100001;
const MAX_BODY_BYTES = 1024 * 1024;

export async function startLocalWellhub(options: LocalWellhubOptions): Promise<LocalWellhub> {
  const state = new SimState(options.products ?? DEFAULT_PRODUCTS);
  const clock = simClock(options.now);
  const faults = new Faults();
  const calls: RecordedCall[] = [];
  let revoked = false;
  const actor = acting({
    state,
    clock,
    receiverUrl: options.receiverUrl ?? 'http://127.0.0.1:8080',
    webhookSecret: options.webhookSecret ?? 'local-dev-secret',
    ...(options.webhookTimeoutMs !== undefined ? { webhookTimeoutMs: options.webhookTimeoutMs } : {}),
  });
  const knownGyms = () => {
    const used = [...state.classes.values()].map((c) => c.gym_id);
    return [...new Set([...(options.gyms ?? [DEFAULT_GYM_ID]), ...used, ...state.webhooks.keys()])].sort();
  };
  const routes: SimRoute[] = [
    ...bookingRoutes(state),
    ...accessRoutes(state),
    ...setupRoutes(state, knownGyms),
    ...controlRoutes({ state, clock, faults, calls, acting: actor }),
  ];
  const timers = new Set<NodeJS.Timeout>();
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const { route, params, pathMatched } = matchRoute(routes, method, url.pathname);
    const api: SimApi = route?.api ?? (url.pathname.startsWith('/access') ? 'access' : 'booking');
    const control = api === 'control';
    const call: RecordedCall | undefined = control ? undefined : recordCall(req, url, raw, clock.now());
    if (call) calls.push(call);
    const fault = control ? undefined : faults.take(method, url.pathname);
    if (call && fault) call.fault = describe(fault);
    if (fault?.drop) {
      req.socket.destroy();
      return;
    }
    if (fault?.delay_ms) await wait(fault.delay_ms);

    let response: SimResponse;
    if (fault?.status !== undefined) {
      response = {
        status: fault.status,
        body: fault.body ?? apiError(api, fault.status, 'request', 'injected fault').body,
        ...(fault.retry_after !== undefined ? { headers: { 'retry-after': String(fault.retry_after) } } : {}),
      };
    } else if (!route) {
      response = pathMatched ? { status: 405, body: { message: 'Method Not Allowed' } } : NOT_FOUND;
    } else {
      response = await answer(route, params, req, url, raw);
    }
    if (call) call.status = response.status;
    await send(res, response, fault?.body_delay_ms, wait);
  };

  const answer = async (
    route: SimRoute,
    params: Record<string, string>,
    req: IncomingMessage,
    url: URL,
    raw: Buffer,
  ): Promise<SimResponse> => {
    if (!route.public && (revoked || !authorized(req.headers.authorization, options.token)))
      return UNAUTHORIZED;
    const gymId = intParam(params.gym_id ?? headerOf(req, 'x-gym-id'));
    if (!route.public && options.gyms && gymId !== undefined && !options.gyms.includes(gymId))
      return FORBIDDEN;
    let body: unknown;
    if (raw.length > 0) {
      if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json'))
        return apiError(route.api, 415, 'content-type', 'must be application/json');
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return apiError(route.api, 400, 'body', 'malformed JSON');
      }
    }
    const now = clock.now();
    applyTimeRules(state, now);
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]),
    );
    return route.handler({
      method: route.method,
      path: url.pathname,
      params,
      query: url.searchParams,
      headers,
      body,
      now,
    });
  };

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: error instanceof Error ? error.message : 'internal error' }));
      } else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    state,
    clock,
    faults,
    calls,
    acting: actor,
    revokeToken: () => {
      revoked = true;
    },
    restoreToken: () => {
      revoked = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function authorized(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match?.[1] === token;
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function recordCall(req: IncomingMessage, url: URL, raw: Buffer, now: number): RecordedCall {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = name === 'authorization' ? 'Bearer ***' : Array.isArray(value) ? value.join(',') : value;
  }
  const text = raw.toString('utf8');
  let body: unknown = text === '' ? undefined : text;
  try {
    if (text !== '') body = JSON.parse(text);
  } catch {
    // Kept as text: the call is recorded as sent.
  }
  return {
    at: new Date(now).toISOString(),
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    body,
  };
}

function describe(fault: FaultSpec): string {
  if (fault.drop) return 'drop';
  return [
    fault.status !== undefined ? `status ${fault.status}` : '',
    fault.delay_ms ? `delay ${fault.delay_ms} ms` : '',
    fault.body_delay_ms ? `body delay ${fault.body_delay_ms} ms` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function send(
  res: ServerResponse,
  response: SimResponse,
  bodyDelayMs: number | undefined,
  wait: (ms: number) => Promise<void>,
): Promise<void> {
  const text = response.body === undefined || response.status === 204 ? '' : JSON.stringify(response.body);
  res.writeHead(response.status, {
    ...(text ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } : {}),
    ...response.headers,
  });
  if (bodyDelayMs) {
    res.flushHeaders();
    await wait(bodyDelayMs);
  }
  res.end(text);
}
