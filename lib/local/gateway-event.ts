/**
 * Builds the event API Gateway HTTP API (payload format 2.0) hands a Lambda, so that the local receiver
 * runs the handlers exactly as deployed: lower-cased headers, cookies split out, and the body base64
 * encoded unless it is JSON or text (the signature is computed over the decoded bytes, CONTRACT §2).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export interface GatewayRequest {
  method: string;
  /** Path and query string as sent on the request line, e.g. `/booking/requested?x=1`. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  sourceIp: string;
  /** The route that matched, e.g. `/booking/requested`. */
  routePath: string;
}

export function toGatewayEvent(request: GatewayRequest): APIGatewayProxyEventV2 {
  const now = new Date();
  const { path, query } = splitUrl(request.url);
  const method = request.method.toUpperCase();
  // The deployed routes are POST only: the key names the route that matched, not the request's method.
  const routeKey = `POST ${request.routePath}`;
  const { headers, cookies } = gatewayHeaders(request.headers);
  const domainName = hostName(headers.host);
  const queryStringParameters = parseQuery(query);

  // The gateway adds these before invoking the function; code that logs the caller's IP reads them.
  headers['x-forwarded-for'] = headers['x-forwarded-for']
    ? `${headers['x-forwarded-for']}, ${request.sourceIp}`
    : request.sourceIp;
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-port'] = hostPort(headers.host) ?? '80';
  headers['x-amzn-trace-id'] ??= traceId(now);

  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: query,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method,
        path,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: gatewayTime(now),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
  if (request.body.length > 0) {
    const textual = isTextual(headers['content-type']);
    event.body = request.body.toString(textual ? 'utf8' : 'base64');
    event.isBase64Encoded = !textual;
  }
  return event;
}

function splitUrl(url: string): { path: string; query: string } {
  const at = url.indexOf('?');
  if (at === -1) return { path: url, query: '' };
  return { path: url.slice(0, at), query: url.slice(at + 1) };
}

/** Repeated keys are joined with commas, as the gateway does; the values are decoded. */
function parseQuery(query: string): Record<string, string> | undefined {
  if (query === '') return undefined;
  const parameters: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(query)) {
    const previous = parameters[key];
    parameters[key] = previous === undefined ? value : `${previous},${value}`;
  }
  return Object.keys(parameters).length > 0 ? parameters : undefined;
}

/**
 * Lower-cases names and joins repeated headers with ','. Cookies leave the headers for their own
 * field, one entry per cookie, which is what format 2.0 does.
 */
function gatewayHeaders(incoming: IncomingHttpHeaders): {
  headers: Record<string, string>;
  cookies: string[];
} {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const values = Array.isArray(value) ? value : [value];
    if (key === 'cookie') {
      for (const cookie of values.flatMap((v) => v.split(';'))) {
        if (cookie.trim() !== '') cookies.push(cookie.trim());
      }
      continue;
    }
    if (values.length === 0) continue;
    const previous = headers[key];
    const joined = values.join(',');
    headers[key] = previous === undefined ? joined : `${previous},${joined}`;
  }
  return { headers, cookies };
}

/** `localhost:8080` → `localhost`; `[::1]:8080` → `[::1]`. The gateway's domainName has no port. */
function hostName(host: string | undefined): string {
  if (host === undefined || host === '') return 'localhost';
  const match = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(host);
  return match?.[1] || host;
}

function hostPort(host: string | undefined): string | undefined {
  return host === undefined ? undefined : /:(\d+)$/.exec(host)?.[1];
}

/** JSON and text arrive as strings; everything else, including no content type, base64 encoded. */
function isTextual(contentType: string | undefined): boolean {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    mediaType === 'application/json' ||
    /^application\/[^/]+\+json$/.test(mediaType) ||
    /^text\/[^/]+$/.test(mediaType)
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** API Gateway's access-log time, e.g. `12/Mar/2020:19:03:58 +0000`. */
function gatewayTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const day = two(date.getUTCDate());
  const month = MONTHS[date.getUTCMonth()] ?? 'Jan';
  const time = `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
  return `${day}/${month}/${date.getUTCFullYear()}:${time} +0000`;
}

/** X-Ray's format: `Root=1-<epoch seconds, hex>-<96 random bits, hex>`. */
function traceId(now: Date): string {
  const epoch = Math.floor(now.getTime() / 1000).toString(16);
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')}`;
}
