import { createHmac } from 'node:crypto';
import { bookingEvent } from '../support/fixtures';
import { bodyBytes, type Harness, PREVIOUS_SECRET, SECRET, webhookHarness } from '../support/harness';
import { countItems } from '../support/table-scan';

const hmac = (secret: string, body: string | Buffer) => createHmac('sha1', secret).update(body).digest('hex');

describe('signature check (X-Gympass-Signature)', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await webhookHarness();
  });

  it.each([
    ['upper-case hex', (body: string) => hmac(SECRET, body).toUpperCase()],
    ['lower-case hex', (body: string) => hmac(SECRET, body)],
    ['0X prefix, as in the seed', (body: string) => `0X${hmac(SECRET, body).toUpperCase()}`],
    ['0x prefix', (body: string) => `0x${hmac(SECRET, body)}`],
    ['the previous secret during a rotation', (body: string) => hmac(PREVIOUS_SECRET, body).toUpperCase()],
  ])('accepts %s', async (name, sign) => {
    const text = JSON.stringify(
      bookingEvent('booking-requested', { bookingNumber: `BK_SIG_${name.replace(/\W/g, '')}` }),
    );

    const answer = await harness.deliver('booking-requested', { body: text, signature: sign(text) });

    expect(answer).toMatchObject({ status: 200, body: { status: 'accepted' } });
  });

  it('accepts a pretty-printed body signed over its compact form (the seed says "stringified")', async () => {
    const body = bookingEvent('booking-requested', { bookingNumber: 'BK_SIG_COMPACT' });
    const pretty = JSON.stringify(body, null, 2);

    const answer = await harness.deliver('booking-requested', {
      body: pretty,
      signature: hmac(SECRET, JSON.stringify(body)),
    });

    expect(answer).toMatchObject({ status: 200, body: { status: 'accepted' } });
    const [stored] = await harness.store.getEvents('evt-BK_SIG_COMPACT');
    expect(stored?.raw_body).toBe(pretty);
  });

  describe('refusals store nothing', () => {
    let refused: Harness;
    beforeAll(async () => {
      refused = await webhookHarness();
    });

    const body = JSON.stringify(bookingEvent('booking-requested', { bookingNumber: 'BK_SIG_REFUSED' }));
    it.each([
      ['a wrong secret', hmac('not-the-secret', body)],
      ['no header', null],
      ['an empty header', ''],
      ['39 hex digits', hmac(SECRET, body).slice(1)],
      ['41 hex digits', `${hmac(SECRET, body)}0`],
      ['non-hex characters', `${hmac(SECRET, body).slice(0, 39)}g`],
      ['a SHA-256 signature', createHmac('sha256', SECRET).update(body).digest('hex')],
      ['a signature of another body', hmac(SECRET, `${body} `)],
    ])('answers 401 to %s', async (_name, signature) => {
      const answer = await refused.deliver('booking-requested', { body, signature });

      expect(answer).toEqual({ status: 401, body: { error: 'invalid_signature' } });
      expect(await countItems(refused.tableName)).toBe(0);
    });

    it('answers 401 before looking at the body, even when it is not JSON', async () => {
      const answer = await refused.deliver('booking-requested', {
        body: '{"id": 01234567}',
        signature: hmac('x', 'y'),
      });

      expect(answer.status).toBe(401);
      expect(await countItems(refused.tableName)).toBe(0);
    });
  });

  it('verifies the bytes as received when the gateway base64-encodes the body', async () => {
    const text = JSON.stringify(bookingEvent('booking-requested', { bookingNumber: 'BK_SIG_BASE64' }));

    const answer = await harness.deliver('booking-requested', {
      body: bodyBytes(text),
      headers: { 'Content-Type': 'text/plain' },
    });

    expect(answer).toMatchObject({ status: 200, body: { status: 'accepted' } });
  });
});

describe('secret unavailable', () => {
  it('fails closed with 503 and stores nothing', async () => {
    const harness = await webhookHarness();
    harness.deps.keys.signingKeys = () => Promise.reject(new Error('Secrets Manager unreachable'));
    const body = JSON.stringify(bookingEvent('booking-requested', { bookingNumber: 'BK_NO_SECRET' }));

    const answer = await harness.deliver('booking-requested', { body });

    expect(answer).toEqual({ status: 503, body: { error: 'unavailable' } });
    expect(await countItems(harness.tableName)).toBe(0);
  });
});
