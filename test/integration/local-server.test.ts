import { once } from 'node:events';
import { Agent, type IncomingHttpHeaders, type OutgoingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createLocalReceiver, type LambdaHttpHandler, MAX_BODY_BYTES } from '#lib/local/server';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

interface Call {
  event: APIGatewayProxyEventV2;
  context: Context;
  remainingAtStart: number;
}

describe('local receiver', () => {
  let server: Server;
  let baseUrl: URL;
  let ready = true;
  let calls: Call[] = [];
  let reply: LambdaHttpHandler = async () => ({ statusCode: 200, body: '{}' });

  const recording =
    (name: string): LambdaHttpHandler =>
    async (event, context) => {
      calls.push({ event, context, remainingAtStart: context.getRemainingTimeInMillis() });
      const result = await reply(event, context);
      return { ...result, headers: { 'x-handled-by': name, ...result.headers } };
    };

  beforeAll(async () => {
    server = createLocalReceiver({
      handlers: new Map([
        ['/booking/requested', recording('booking-requested')],
        ['/checkin', recording('checkin')],
      ]),
      ready: () => ready,
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseUrl = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    ready = true;
    calls = [];
    reply = async () => ({ statusCode: 200, body: '{}' });
  });

  function send(
    path: string,
    options: { method?: string; headers?: OutgoingHttpHeaders; body?: Buffer | string; agent?: Agent } = {},
  ): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, baseUrl), {
        method: options.method ?? 'POST',
        headers: options.headers ?? {},
        agent: options.agent ?? false,
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
        });
      });
      req.on('error', reject);
      req.end(options.body);
    });
  }

  const onlyCall = (): Call => {
    expect(calls).toHaveLength(1);
    return calls[0] as Call;
  };

  it('passes the handler status, headers and body through', async () => {
    reply = async () => ({
      statusCode: 202,
      headers: { 'content-type': 'application/json', 'x-count': 3 },
      body: '{"status":"accepted","event_id":"e-1"}',
    });

    const response = await send('/booking/requested', {
      headers: { 'content-type': 'application/json' },
      body: '{"event_type":"booking-requested"}',
    });

    expect(response.status).toBe(202);
    expect(response.text).toBe('{"status":"accepted","event_id":"e-1"}');
    expect(response.headers).toMatchObject({
      'content-type': 'application/json',
      'x-count': '3',
      'x-handled-by': 'booking-requested',
      'apigw-requestid': onlyCall().event.requestContext.requestId,
    });
  });

  it('gives the handler a payload 2.0 event and a Lambda context for its route', async () => {
    await send('/booking/requested?debug=1', {
      headers: { 'content-type': 'application/json', 'user-agent': 'Wellhub-Webhook/1.0' },
      body: '{"event_type":"booking-requested"}',
    });

    const { event, context, remainingAtStart } = onlyCall();
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /booking/requested',
      rawPath: '/booking/requested',
      rawQueryString: 'debug=1',
      body: '{"event_type":"booking-requested"}',
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST', sourceIp: '127.0.0.1', userAgent: 'Wellhub-Webhook/1.0' } },
    });
    expect(context).toMatchObject({
      functionName: 'booking-requested',
      functionVersion: '$LATEST',
      awsRequestId: event.requestContext.requestId,
      logGroupName: '/aws/lambda/booking-requested',
    });
    expect(context.invokedFunctionArn).toMatch(
      /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:booking-requested$/,
    );
    expect(remainingAtStart).toBeGreaterThan(2_500);
    expect(remainingAtStart).toBeLessThanOrEqual(3_000);
  });

  it('base64-encodes the body for the handler when the content type is not JSON or text', async () => {
    const bytes = Buffer.from([0x00, 0xff, 0x7b, 0x22, 0x0a]);

    await send('/booking/requested', {
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });

    const { event } = onlyCall();
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64')).toEqual(bytes);
  });

  it('base64-encodes the body when there is no content type', async () => {
    await send('/booking/requested', { body: '{"a":1}' });

    const { event } = onlyCall();
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64').toString('utf8')).toBe('{"a":1}');
  });

  it('decodes a result the handler marks as base64', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
    reply = async () => ({ statusCode: 200, body: bytes.toString('base64'), isBase64Encoded: true });

    const response = await send('/booking/requested', { body: '' });

    expect(response.body).toEqual(bytes);
    expect(response.headers['content-length']).toBe(String(bytes.length));
  });

  it('answers 200 when the handler result has no status code', async () => {
    reply = async () => ({ body: 'ok' });

    expect((await send('/checkin')).status).toBe(200);
  });

  it('lower-cases header names and joins repeated headers with commas', async () => {
    await send('/booking/requested', {
      headers: {
        'X-Gympass-Signature': '0xABCDEF',
        'X-Repeated': ['one', 'two'],
        'Content-Type': 'application/json',
      },
      body: '{}',
    });

    const { event } = onlyCall();
    expect(event.headers).toMatchObject({
      'x-gympass-signature': '0xABCDEF',
      'x-repeated': 'one,two',
      'content-type': 'application/json',
    });
    expect(Object.keys(event.headers).filter((name) => name !== name.toLowerCase())).toEqual([]);
  });

  it.each([
    ['/gym-webhook-url/booking/requested', 'booking-requested'],
    ['/any/depth/of/prefix/checkin', 'checkin'],
    ['/checkin', 'checkin'],
  ])('routes %s to the %s handler', async (path, functionName) => {
    const response = await send(path, { body: '{}' });

    expect(response.status).toBe(200);
    expect(onlyCall().context.functionName).toBe(functionName);
    expect(onlyCall().event.rawPath).toBe(path);
  });

  it.each([
    '/',
    '/booking',
    '/booking/requested/',
    '/booking/requestedx',
    '/booking/cancelation',
    '/Checkin',
  ])('answers 404 for %s', async (path) => {
    const response = await send(path, { body: '{}' });

    expect(response.status).toBe(404);
    expect(JSON.parse(response.text)).toEqual({ error: 'not_found' });
    expect(calls).toHaveLength(0);
  });

  it.each(['GET', 'PUT', 'DELETE'])('answers 405 with an Allow header to %s on a route', async (method) => {
    const response = await send('/gym-webhook-url/booking/requested', { method });

    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('POST');
    expect(JSON.parse(response.text)).toEqual({ error: 'method_not_allowed' });
    expect(calls).toHaveLength(0);
  });

  it('answers the health check with ok when ready and starting otherwise', async () => {
    const up = await send('/health', { method: 'GET' });
    ready = false;
    const starting = await send('/health', { method: 'GET' });
    const post = await send('/health', { method: 'POST' });

    expect([up.status, JSON.parse(up.text)]).toEqual([200, { status: 'ok' }]);
    expect([starting.status, JSON.parse(starting.text)]).toEqual([503, { status: 'starting' }]);
    expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD']);
  });

  it('accepts a body of exactly 10 MiB', async () => {
    const body = Buffer.alloc(MAX_BODY_BYTES, 'a');

    const response = await send('/booking/requested', { headers: { 'content-type': 'text/plain' }, body });

    expect(response.status).toBe(200);
    expect(onlyCall().event.body).toHaveLength(MAX_BODY_BYTES);
  });

  it('answers 413 to a declared length over 10 MiB without calling the handler', async () => {
    const response = await send('/booking/requested', { body: Buffer.alloc(MAX_BODY_BYTES + 1) });

    expect(response.status).toBe(413);
    expect(JSON.parse(response.text)).toEqual({ error: 'payload_too_large' });
    expect(response.headers.connection).toBe('close');
    expect(calls).toHaveLength(0);
  });

  it('answers 413 as soon as a chunked body passes 10 MiB, without waiting for the rest', async () => {
    const response = await new Promise<number>((resolve, reject) => {
      const req = request(new URL('/booking/requested', baseUrl), { method: 'POST', agent: false });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      // The server hangs up on the rest of the upload: that is expected once the answer is in.
      req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
      // Keeps sending (far more than the limit) until the server answers or hangs up.
      const chunk = Buffer.alloc(1024 * 1024);
      const pump = () => {
        while (!req.destroyed && req.write(chunk)) {}
        if (!req.destroyed) req.once('drain', pump);
      };
      req.on('response', () => req.destroy());
      pump();
    });

    expect(response).toBe(413);
    expect(calls).toHaveLength(0);
  });

  it('answers 500 and logs one line without the body when a handler throws', async () => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    reply = async () => {
      throw new Error('table not found');
    };
    try {
      const response = await send('/booking/requested', {
        headers: { 'content-type': 'application/json' },
        body: '{"user":{"email":"secret@example.com"}}',
      });

      expect(response.status).toBe(500);
      expect(JSON.parse(response.text)).toEqual({ error: 'internal' });
      expect(stderr).toHaveBeenCalledTimes(1);
      const line = String(stderr.mock.calls[0]?.[0]);
      expect(line.endsWith('\n')).toBe(true);
      expect(JSON.parse(line)).toMatchObject({
        level: 'ERROR',
        route: '/booking/requested',
        requestId: onlyCall().event.requestContext.requestId,
        error: 'Error: table not found',
      });
      expect(line).not.toContain('secret@example.com');
    } finally {
      stderr.mockRestore();
    }
  });

  it('keeps the connection alive between requests', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets: unknown[] = [];
    agent.on('free', (socket) => sockets.push(socket));
    try {
      const first = await send('/booking/requested', { body: '{}', agent });
      const second = await send('/checkin', { body: '{}', agent });

      expect(first.headers.connection).toBe('keep-alive');
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(sockets).toHaveLength(2);
      expect(sockets[0]).toBe(sockets[1]);
    } finally {
      agent.destroy();
    }
  });

  it('refuses a handler map key that is not a route', () => {
    const handler: LambdaHttpHandler = async () => ({ statusCode: 200 });

    expect(() => createLocalReceiver({ handlers: new Map([['/booking/requestd', handler]]) })).toThrow(
      /no route \/booking\/requestd/,
    );
  });
});
