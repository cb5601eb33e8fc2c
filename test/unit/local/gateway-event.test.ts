import { toGatewayEvent } from '#lib/local/gateway-event';

function request(overrides: Partial<Parameters<typeof toGatewayEvent>[0]> = {}) {
  return {
    method: 'POST',
    url: '/booking/requested',
    headers: { host: 'localhost:8080', 'content-type': 'application/json', 'user-agent': 'curl/8.5.0' },
    body: Buffer.from('{"event_type":"booking-requested"}'),
    sourceIp: '127.0.0.1',
    routePath: '/booking/requested',
    ...overrides,
  };
}

describe('toGatewayEvent', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('describes the request the way API Gateway HTTP API payload 2.0 does', () => {
    jest.useFakeTimers({ now: new Date('2020-03-12T19:03:58.123Z') });

    const event = toGatewayEvent(request({ url: '/gym-webhook-url/booking/requested' }));

    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /booking/requested',
      rawPath: '/gym-webhook-url/booking/requested',
      rawQueryString: '',
      requestContext: {
        accountId: 'local',
        apiId: 'local',
        domainName: 'localhost',
        domainPrefix: 'localhost',
        http: {
          method: 'POST',
          path: '/gym-webhook-url/booking/requested',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'curl/8.5.0',
        },
        routeKey: 'POST /booking/requested',
        stage: '$default',
        time: '12/Mar/2020:19:03:58 +0000',
        timeEpoch: 1584039838123,
      },
    });
    expect(event.requestContext.requestId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(event).not.toHaveProperty('queryStringParameters');
    expect(event).not.toHaveProperty('cookies');
    expect(event).not.toHaveProperty('pathParameters');
  });

  it('gives each request its own request id', () => {
    const first = toGatewayEvent(request());
    const second = toGatewayEvent(request());

    expect(first.requestContext.requestId).not.toBe(second.requestContext.requestId);
  });

  it('pads single-digit days and times in the gateway time format', () => {
    jest.useFakeTimers({ now: new Date('2024-01-02T03:04:05Z') });

    expect(toGatewayEvent(request()).requestContext.time).toBe('02/Jan/2024:03:04:05 +0000');
  });

  it('passes a JSON body as the UTF-8 string when the content type is JSON', () => {
    const body = '{"user":{"name":"José Ñúñez"}}';

    const event = toGatewayEvent(request({ body: Buffer.from(body, 'utf8') }));

    expect(event.body).toBe(body);
    expect(event.isBase64Encoded).toBe(false);
  });

  it.each([
    'application/json; charset=utf-8',
    'Application/JSON',
    'application/vnd.api+json',
    'text/plain',
    'text/csv; charset=utf-8',
  ])('passes the body as text when the content type is %s', (contentType) => {
    const event = toGatewayEvent(
      request({ headers: { 'content-type': contentType }, body: Buffer.from('héllo') }),
    );

    expect(event.body).toBe('héllo');
    expect(event.isBase64Encoded).toBe(false);
  });

  it.each([
    ['application/x-www-form-urlencoded'],
    ['application/octet-stream'],
    ['application/jsonp'],
    [undefined],
  ])('base64-encodes the body when the content type is %s', (contentType) => {
    const bytes = Buffer.from([0x7b, 0x22, 0xff, 0x00, 0x7d]);
    const headers = contentType === undefined ? {} : { 'content-type': contentType };

    const event = toGatewayEvent(request({ headers, body: bytes }));

    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64')).toEqual(bytes);
  });

  it('leaves out the body when the request has none', () => {
    const event = toGatewayEvent(request({ body: Buffer.alloc(0) }));

    expect(event).not.toHaveProperty('body');
    expect(event.isBase64Encoded).toBe(false);
  });

  it('lower-cases header names and joins repeated headers with commas', () => {
    const event = toGatewayEvent(
      request({
        headers: {
          Host: 'localhost:8080',
          'X-Gympass-Signature': 'ABC',
          'x-repeated': ['one', 'two'],
          'X-Repeated': 'three',
        },
      }),
    );

    expect(event.headers).toMatchObject({
      host: 'localhost:8080',
      'x-gympass-signature': 'ABC',
      'x-repeated': 'one,two,three',
    });
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
  });

  it('adds the forwarding headers the gateway adds', () => {
    const event = toGatewayEvent(
      request({ headers: { host: 'localhost:8080', 'x-forwarded-for': '10.0.0.1' }, sourceIp: '192.0.2.7' }),
    );

    expect(event.headers).toMatchObject({
      'x-forwarded-for': '10.0.0.1, 192.0.2.7',
      'x-forwarded-proto': 'http',
      'x-forwarded-port': '8080',
    });
    expect(event.headers['x-amzn-trace-id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  });

  it('moves cookies out of the headers into their own list', () => {
    const event = toGatewayEvent(request({ headers: { Cookie: ['a=1; b=2', 'c=3'] } }));

    expect(event.cookies).toEqual(['a=1', 'b=2', 'c=3']);
    expect(event.headers).not.toHaveProperty('cookie');
  });

  it('splits the query string and decodes its parameters, joining repeated keys with commas', () => {
    const event = toGatewayEvent(request({ url: '/booking/requested?debug=1&tag=a&tag=b%20c' }));

    expect(event.rawPath).toBe('/booking/requested');
    expect(event.rawQueryString).toBe('debug=1&tag=a&tag=b%20c');
    expect(event.queryStringParameters).toEqual({ debug: '1', tag: 'a,b c' });
  });

  it('takes the domain name from the host header without its port', () => {
    const plain = toGatewayEvent(
      request({ headers: { host: 'abc123.execute-api.us-east-1.amazonaws.com' } }),
    );
    const ipv6 = toGatewayEvent(request({ headers: { host: '[::1]:8080' } }));
    const missing = toGatewayEvent(request({ headers: {} }));

    expect(plain.requestContext.domainName).toBe('abc123.execute-api.us-east-1.amazonaws.com');
    expect(plain.requestContext.domainPrefix).toBe('abc123');
    expect(ipv6.requestContext.domainName).toBe('[::1]');
    expect(missing.requestContext.domainName).toBe('localhost');
  });
});
