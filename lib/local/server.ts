/**
 * A local stand-in for API Gateway HTTP API in front of the webhook Lambdas: it turns each HTTP request
 * into the payload-2.0 event and Lambda context the deployed function would get, so the same handler
 * code answers `curl` and Wellhub's test calls on a laptop.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { toGatewayEvent } from '#lib/local/gateway-event';
import { lambdaContext } from '#lib/local/lambda-context';
import { ROUTES } from '#lib/wellhub/routes';

export type LambdaHttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface LocalReceiverOptions {
  /** Keyed by route path from `lib/wellhub/routes.ts`, e.g. `/booking/requested`. */
  readonly handlers: ReadonlyMap<string, LambdaHttpHandler>;
  /** Answers `GET /health`; defaults to always ready. */
  readonly ready?: () => boolean;
  /**
   * The gym API under `/gym/`, as the deployed `gym-api` function behind IAM-authorized routes; here
   * a bearer token stands in for IAM, checked before the handler runs.
   */
  readonly gymApi?: { readonly handler: LambdaHttpHandler; readonly token: string };
}

/** API Gateway's own payload limit; the contract's tighter 64 KiB limit is the handler's to enforce. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** The deployed functions' timeout, for `getRemainingTimeInMillis`. */
const FUNCTION_TIMEOUT_MS = 3_000;
const MEMORY_MB = '256';
/** How long an oversized upload may keep sending after its 413 before the connection is dropped. */
const DRAIN_LIMIT_MS = 2_000;

interface BoundRoute {
  readonly path: string;
  readonly functionName: string;
  readonly handler: LambdaHttpHandler;
  readonly logStreamName: string;
}

export function createLocalReceiver(options: LocalReceiverOptions): Server {
  const routes = bindRoutes(options.handlers);
  const ready = options.ready ?? (() => true);
  const gymApi = options.gymApi && {
    ...options.gymApi,
    logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${randomBytes(16).toString('hex')}`,
  };

  const server = createServer({ keepAlive: true }, (req, res) => {
    handle(req, res, routes, ready, gymApi).catch((error: unknown) => {
      if (error instanceof ClientGone) return;
      logError({ message: 'local receiver failed', error: errorMessage(error) });
      if (!res.headersSent) sendJson(res, 500, { error: 'internal' });
      else res.destroy();
    });
  });
  // curl sends `Expect: 100-continue` before large bodies: refusing here spares sending the body at all.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (declaredLength(req) > MAX_BODY_BYTES) return refuseTooLarge(req, res);
    res.writeContinue();
    server.emit('request', req, res);
  });
  return server;
}

function bindRoutes(handlers: ReadonlyMap<string, LambdaHttpHandler>): BoundRoute[] {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const bound = [...handlers].map(([path, handler]) => {
    const route = ROUTES.find((r) => r.path === path);
    // A misspelt key would otherwise only show up as a puzzling 404.
    if (!route) throw new Error(`no route ${path} in lib/wellhub/routes.ts`);
    const logStreamName = `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
    return { path, functionName: route.functionName, handler, logStreamName };
  });
  // Longest first, so a path ending in two route paths goes to the more specific one.
  return bound.sort((a, b) => b.path.length - a.path.length);
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  routes: readonly BoundRoute[],
  ready: () => boolean,
  gymApi?: LocalReceiverOptions['gymApi'] & { logStreamName: string },
): Promise<void> {
  const url = req.url ?? '/';
  const path = pathOf(url);

  if (gymApi && /(^|\/)gym(\/|$)/.test(path)) return handleGymApi(req, res, url, gymApi);

  if (path === '/health') {
    if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
    return isReady(ready) ? sendJson(res, 200, { status: 'ok' }) : sendJson(res, 503, { status: 'starting' });
  }

  // Wellhub is configured with a full URL such as `https://gym.example/gym-webhook-url/booking/requested`:
  // accept any prefix so such URLs work against localhost verbatim.
  const route = routes.find((r) => path === r.path || path.endsWith(r.path));
  if (!route) return sendJson(res, 404, { error: 'not_found' });
  if (req.method !== 'POST') return methodNotAllowed(res, 'POST');

  if (declaredLength(req) > MAX_BODY_BYTES) return refuseTooLarge(req, res);
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body === undefined) return refuseTooLarge(req, res);

  const event = toGatewayEvent({
    method: req.method,
    url,
    headers: requestHeaders(req.rawHeaders),
    body,
    sourceIp: sourceIp(req),
    routePath: route.path,
  });
  const requestId = event.requestContext.requestId;

  let result: APIGatewayProxyStructuredResultV2;
  try {
    result = await route.handler(
      event,
      lambdaContext(route.functionName, requestId, {
        timeoutMs: FUNCTION_TIMEOUT_MS,
        memoryMb: MEMORY_MB,
        logStreamName: route.logStreamName,
      }),
    );
    validateResult(result);
  } catch (error) {
    // Never the body: it carries customers' personal data and is what the signature covers.
    logError({
      message: 'handler failed',
      route: route.path,
      function: route.functionName,
      requestId,
      error: errorMessage(error),
    });
    return sendJson(res, 500, { error: 'internal' }, { 'apigw-requestid': requestId });
  }
  sendResult(res, result, requestId);
}

/** The gym API: the bearer token first (IAM's part when deployed), then the handler. */
async function handleGymApi(
  req: IncomingMessage,
  res: ServerResponse,
  url: string,
  gymApi: NonNullable<LocalReceiverOptions['gymApi']> & { logStreamName: string },
): Promise<void> {
  if (!bearerMatches(req.headers.authorization, gymApi.token)) {
    req.resume();
    return sendJson(
      res,
      401,
      { error: 'unauthorized', message: 'send Authorization: Bearer <GYM_API_TOKEN>' },
      { 'www-authenticate': 'Bearer' },
    );
  }
  if (declaredLength(req) > MAX_BODY_BYTES) return refuseTooLarge(req, res);
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body === undefined) return refuseTooLarge(req, res);
  const event = toGatewayEvent({
    method: req.method ?? 'GET',
    url,
    headers: requestHeaders(req.rawHeaders),
    body,
    sourceIp: sourceIp(req),
    routePath: '/gym/{proxy+}',
  });
  const requestId = event.requestContext.requestId;
  const result = await gymApi.handler(
    event,
    lambdaContext('gym-api', requestId, {
      timeoutMs: FUNCTION_TIMEOUT_MS,
      memoryMb: MEMORY_MB,
      logStreamName: gymApi.logStreamName,
    }),
  );
  validateResult(result);
  sendResult(res, result, requestId);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  const given = Buffer.from(match?.[1]?.trim() ?? '');
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** The path as sent, without the query string; absolute-form request targets lose their origin. */
function pathOf(url: string): string {
  const path = url.replace(/^[a-z]+:\/\/[^/]*/i, '').split('?')[0] ?? '';
  return path === '' ? '/' : path;
}

function isReady(ready: () => boolean): boolean {
  try {
    return ready();
  } catch {
    return false;
  }
}

function declaredLength(req: IncomingMessage): number {
  const header = req.headers['content-length'];
  return header === undefined ? 0 : Number(header);
}

/** The client hung up before its body was complete: nobody is left to answer. */
class ClientGone extends Error {
  override readonly name = 'ClientGone';
}

/** Resolves undefined as soon as the body exceeds the limit, keeping nothing beyond it. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onGone = () => {
      cleanup();
      reject(new ClientGone('client closed the connection before the body was complete'));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    // 'aborted' arrives as an error; a close without an end means the same.
    req.on('error', onGone);
    req.on('close', onGone);
  });
}

/**
 * Sends the 413 at once but ends the exchange (and closes the connection) only when the upload is
 * over: closing a socket with unread bytes resets it, and a client still sending would then often
 * lose the answer. Meanwhile the rest of the body is discarded unread, and a client that keeps sending
 * is cut off.
 */
function refuseTooLarge(req: IncomingMessage, res: ServerResponse): void {
  const body = JSON.stringify({ error: 'payload_too_large' });
  res.writeHead(413, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.write(body);
  const cutOff = setTimeout(() => req.socket.destroy(), DRAIN_LIMIT_MS).unref();
  const finish = () => {
    clearTimeout(cutOff);
    res.end();
  };
  if (req.readableEnded) {
    finish();
    return;
  }
  req.once('end', finish);
  req.once('close', () => clearTimeout(cutOff));
  req.resume();
}

/** Repeated headers stay separate (Node would join them with ', '), so the event can join them with ','. */
function requestHeaders(raw: readonly string[]): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    const value = raw[i + 1] ?? '';
    const previous = headers[name];
    if (previous === undefined) headers[name] = value;
    else headers[name] = [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return headers;
}

function sourceIp(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

/** API Gateway answers 500 when a function returns something it cannot map; so do we. */
function validateResult(result: APIGatewayProxyStructuredResultV2): void {
  if (typeof result !== 'object' || result === null) throw new Error('handler returned no result object');
  const status = result.statusCode;
  if (status !== undefined && !(Number.isInteger(status) && status >= 100 && status <= 599)) {
    throw new Error(`handler returned an invalid statusCode: ${String(status)}`);
  }
}

function sendResult(res: ServerResponse, result: APIGatewayProxyStructuredResultV2, requestId: string): void {
  const body =
    result.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, String(value));
  if (result.cookies && result.cookies.length > 0) res.setHeader('set-cookie', result.cookies);
  res.setHeader('apigw-requestid', requestId);
  res.setHeader('content-length', body.length);
  res.writeHead(result.statusCode ?? 200);
  res.end(body);
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  sendJson(res, 405, { error: 'method_not_allowed' }, { allow });
}

function sendJson(
  res: ServerResponse,
  status: number,
  payload: object,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function logError(fields: Record<string, string>): void {
  process.stderr.write(
    `${JSON.stringify({ level: 'ERROR', timestamp: new Date().toISOString(), ...fields })}\n`,
  );
}
