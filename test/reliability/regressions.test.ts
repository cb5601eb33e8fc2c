/**
 * One focused test per defect the reliability suites found, so that each stays fixed even when the
 * generators happen not to produce its input in a given run.
 */
import { createHmac } from 'node:crypto';
import { Unavailable } from '#lib/errors';
import { DynamoDbStore } from '#lib/store/dynamodb-store';
import { verifySignature } from '#lib/wellhub/signature';
import { secretsManagerKeys } from '#lib/wellhub/signing-keys';
import { startCountingProxy } from '../support/counting-proxy';
import { startFakeSecretsManager } from '../support/fake-secrets-manager';
import { bookedCheckin } from '../support/fixtures';
import { gatewayEvent, SECRET } from '../support/harness';
import { captureLogs } from '../support/logs';
import { countItems } from '../support/table-scan';
import { eventBody } from './support/events';
import { type Rig, startRig } from './support/rig';
import { startDelayingProxy } from './support/tcp-proxy';
import { sleep } from './support/wellhub';

const sign = (body: string | Buffer) => createHmac('sha1', SECRET).update(body).digest('hex').toUpperCase();

/** The one request log line a delivery wrote. */
async function logLineOf(send: () => Promise<unknown>): Promise<Record<string, unknown>> {
  const logs = captureLogs();
  try {
    await send();
  } finally {
    logs.stop();
  }
  const [line] = logs.records().filter((record) => record.message === 'webhook request');
  if (!line) throw new Error('no request log line');
  return line;
}

describe('request log lines (CONTRACT §8) for signed bad requests', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });

  it('keeps the body excerpt of an invalid_json answer out of the log line when the error sits next to a name', async () => {
    const body =
      '{"event_type":"booking-requested","event_data":{"user":{"unique_token":"1234567890123","name":"Xanthippe Okonkwo-Vasquez" "email":"x@example.org"}}}';

    let reply: Awaited<ReturnType<Rig['send']>> | undefined;
    const line = await logLineOf(async () => {
      reply = await rig.send('booking-requested', body);
    });

    expect(reply?.status).toBe(400);
    expect(reply?.body?.message).toContain('Vasquez');
    expect(line.error_code).toBe('invalid_json');
    expect(String(line.error)).toMatch(/position \d+/);
    expect(JSON.stringify(line)).not.toMatch(/Xanthippe|Okonkwo|Vasquez|example\.org/);
  });

  it('keeps an unknown event_type out of the log line, which may be anything, an email included', async () => {
    const body = JSON.stringify({ event_type: 'xanthippe.okonkwo@example.org', event_data: {} });

    let reply: Awaited<ReturnType<Rig['send']>> | undefined;
    const line = await logLineOf(async () => {
      reply = await rig.send('booking-requested', body);
    });

    expect(reply?.status).toBe(400);
    expect(reply?.body?.message).toContain('xanthippe.okonkwo@example.org');
    expect(line.error_code).toBe('unknown_event_type');
    expect(JSON.stringify(line)).not.toContain('xanthippe');
  });
});

describe('replays of a captured request without an event id (CONTRACT §2, §4)', () => {
  it.each([
    ['a trailing newline', (body: string) => `${body}\n`],
    [
      'CRLF pretty-printing',
      (body: string) => JSON.stringify(JSON.parse(body), null, 1).replace(/\n/g, '\r\n'),
    ],
    ['\\u escapes', (body: string) => body.replace('"BK_', '"\\u0042K_')],
  ])('answers duplicate to a check-in re-sent with %s under its original signature', async (_name, vary) => {
    const rig = await startRig();
    const body = JSON.stringify(
      eventBody({
        type: 'checkin-booking-occurred',
        bookingNumber: 'BK_REPLAYED',
        wellhubId: '1234567890123',
      }),
    );
    const signature = sign(body);

    const first = await rig.invoke(
      'checkin-booking-occurred',
      gatewayEvent('checkin-booking-occurred', { body, signature }),
    );
    const replay = await rig.invoke(
      'checkin-booking-occurred',
      gatewayEvent('checkin-booking-occurred', { body: vary(body), signature }),
    );

    expect(first.body).toMatchObject({ status: 'accepted' });
    expect(replay.body).toEqual({ status: 'duplicate', event_id: first.body?.event_id });
    await rig.drain();
    expect((await rig.store.getBooking('BK_REPLAYED'))?.history).toHaveLength(1);
  });
});

describe('a body that starts with a byte order mark (CONTRACT §2)', () => {
  const bom = '\ufeff';
  const object = eventBody({
    type: 'booking-canceled',
    bookingNumber: 'BK_BOM',
    wellhubId: '1234567890123',
    eventId: 'evt-bom',
  });
  const pretty = `${bom}${JSON.stringify(object, null, 2)}`;
  const overCompactOfTheRest = sign(JSON.stringify(object));

  it('is not JSON to the signature check, so a signature over the compact form of the rest does not match', () => {
    expect(verifySignature(Buffer.from(pretty, 'utf8'), overCompactOfTheRest, { current: SECRET })).toEqual({
      valid: false,
      reason: 'mismatch',
    });
  });

  it('is refused with 401 and leaves nothing stored, not quarantined as if it were signed', async () => {
    const rig = await startRig();

    const reply = await rig.invoke(
      'booking-canceled',
      gatewayEvent('booking-canceled', { body: pretty, signature: overCompactOfTheRest }),
    );

    expect(reply.status).toBe(401);
    expect(await countItems(rig.tableName)).toBe(0);
  });
});

describe('clients slower than their timeouts', () => {
  it('fails a DynamoDB call with Unavailable once it outlasts the per-attempt timeout, instead of waiting', async () => {
    const endpoint = new URL(process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '');
    const proxy = await startDelayingProxy({ port: Number(endpoint.port) });
    try {
      const { tableName } = await startRig();
      proxy.setDelay(2_000);
      const store = new DynamoDbStore({ tableName, timeoutMs: 200, client: { endpoint: proxy.endpoint } });

      await expect(store.getBooking('BK_SLOW')).rejects.toBeInstanceOf(Unavailable);
    } finally {
      await proxy.stop();
    }
  });

  it('fails the secret fetch with Unavailable when Secrets Manager does not answer in time', async () => {
    const secretsManager = await startFakeSecretsManager({ 'slow/secret': SECRET });
    const proxy = await startDelayingProxy({ port: Number(new URL(secretsManager.endpoint).port) });
    const before = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    try {
      proxy.setDelay(2_000);
      process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = proxy.endpoint;

      await expect(secretsManagerKeys('slow/secret', 300).signingKeys()).rejects.toBeInstanceOf(Unavailable);
    } finally {
      if (before === undefined) delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      else process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = before;
      await proxy.stop();
      await secretsManager.stop();
    }
  });

  it('answers accepted, not duplicate, when the first attempt timed out but its write landed', async () => {
    const proxy = await startCountingProxy(process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '');
    try {
      const rig = await startRig({ endpoint: proxy.endpoint, timeoutMs: 300 });
      const body = JSON.stringify(
        eventBody({
          type: 'booking-requested',
          bookingNumber: 'BK_OWN_WRITE',
          wellhubId: '1234567890124',
          eventId: 'evt-own-write',
        }),
      );
      // The first attempt's write lands at once but its answer comes after the client's timeout; the
      // SDK's second attempt then finds that write, and one read tells whose it is.
      proxy.reset();
      proxy.holdNextAnswer('PutItem', 600);

      const answer = await rig.send('booking-requested', body);

      // The worker's calls go through the proxy too; the request path's are its PutItem and GetItem.
      expect(proxy.operations.filter((op) => op === 'PutItem' || op === 'GetItem')).toEqual([
        'PutItem',
        'PutItem',
        'GetItem',
      ]);
      expect(answer).toMatchObject({ status: 200, body: { status: 'accepted', event_id: 'evt-own-write' } });
      expect(rig.store.received).toEqual({ accepted: 1, duplicate: 0 });
      expect((await rig.send('booking-requested', body)).body).toMatchObject({ status: 'duplicate' });
    } finally {
      await proxy.stop();
    }
  });

  it('answers 503 when the database work outlasts the response budget, and the retry applies the event once', async () => {
    const endpoint = new URL(process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '');
    const proxy = await startDelayingProxy({ port: Number(endpoint.port) });
    try {
      // Each call is slower than the budget yet well inside the client's own timeout.
      const rig = await startRig({ endpoint: proxy.endpoint, timeoutMs: 5_000, responseBudgetMs: 200 });
      const body = JSON.stringify(
        eventBody({
          type: 'booking-requested',
          bookingNumber: 'BK_BUDGET',
          wellhubId: '1234567890123',
          eventId: 'evt-budget',
        }),
      );
      proxy.setDelay(150);

      const late = await rig.send('booking-requested', body);
      proxy.setDelay(0);
      await sleep(1_000);
      const retry = await rig.send('booking-requested', body);

      expect(late).toMatchObject({ status: 503, body: { error: 'unavailable' } });
      expect(retry.status).toBe(200);
      await rig.drain();
      expect((await rig.store.getBooking('BK_BUDGET'))?.history).toHaveLength(1);
    } finally {
      await proxy.stop();
    }
  });
});

describe('valid events whose values DynamoDB cannot hold as numbers (CONTRACT §4)', () => {
  it('accepts and applies a check-in with coordinates beyond the range of a DynamoDB number', async () => {
    const rig = await startRig();
    const checkin = bookedCheckin({ bookingNumber: 'BK_FAR_AWAY', wellhubId: '1234567890125' });
    (checkin.event_data as Record<string, unknown>).location = { lat: 1e300, lon: 5e-324 };

    const reply = await rig.send('checkin-booking-occurred', JSON.stringify(checkin));

    expect(reply).toMatchObject({ status: 200, body: { status: 'accepted' } });
    await rig.drain();
    expect((await rig.store.getBooking('BK_FAR_AWAY'))?.status).toBe('CHECKED_IN');
  });
});
