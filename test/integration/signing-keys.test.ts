import { readConfig } from '#lib/config';
import { Unavailable } from '#lib/errors';
import { signBody } from '#lib/wellhub/signature';
import { secretsManagerKeys, signingKeysSource } from '#lib/wellhub/signing-keys';
import { type FakeSecretsManager, startFakeSecretsManager } from '../support/fake-secrets-manager';
import { webhookHarness } from '../support/harness';

const SECRET_ID = 'wellhub/webhook-secret';

/** Only Date is faked: the SDK's own timers and sockets run for real against the local endpoint. */
function fakeClock(): void {
  jest.useFakeTimers({
    doNotFake: [
      'nextTick',
      'setImmediate',
      'setTimeout',
      'setInterval',
      'clearTimeout',
      'clearInterval',
      'queueMicrotask',
      'performance',
      'hrtime',
    ],
  });
}

describe('webhook secret from Secrets Manager (the real SDK against a local endpoint)', () => {
  let secretsManager: FakeSecretsManager;
  beforeEach(async () => {
    secretsManager = await startFakeSecretsManager({ [SECRET_ID]: 'first-secret' });
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secretsManager.endpoint;
  });
  afterEach(async () => {
    jest.useRealTimers();
    delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    await secretsManager.stop();
  });

  it('reads a plain secret once and serves it from cache within the max age', async () => {
    const source = secretsManagerKeys(SECRET_ID, 300);

    const first = await source.signingKeys();
    const again = await source.signingKeys();

    expect(first).toEqual({ current: 'first-secret' });
    expect(again).toBe(first);
    expect(secretsManager.calls).toBe(1);
  });

  it('picks up a rotation to {current, previous} once the max age has passed, without a cold start', async () => {
    fakeClock();
    const source = secretsManagerKeys(SECRET_ID, 300);
    await source.signingKeys();
    secretsManager.set(SECRET_ID, JSON.stringify({ current: 'second-secret', previous: 'first-secret' }));

    const stillCached = await source.signingKeys();
    jest.setSystemTime(Date.now() + 301_000);
    const refreshed = await source.signingKeys();

    expect(stillCached).toEqual({ current: 'first-secret' });
    expect(refreshed).toEqual({ current: 'second-secret', previous: 'first-secret' });
    expect(secretsManager.calls).toBe(2);
  });

  it('never fetches because of a bad signature: only the clock drives a fetch', async () => {
    const harness = await webhookHarness({ source: secretsManagerKeys(SECRET_ID, 300) });
    const body = JSON.stringify({ event_type: 'booking-requested' });

    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        harness.deliver('booking-requested', { body, signature: `0X${'0'.repeat(39)}${index}` }),
      ),
    );

    expect(answers.every((answer) => answer.status === 401)).toBe(true);
    expect(secretsManager.calls).toBe(1);
  });

  it('fails closed: a webhook gets 503 when Secrets Manager cannot be reached', async () => {
    secretsManager.fail(true);
    const harness = await webhookHarness({ source: secretsManagerKeys(SECRET_ID, 300) });

    const answer = await harness.deliver('booking-requested', {
      body: '{}',
      signature: signBody('{}', 'first-secret'),
    });

    expect(answer).toEqual({ status: 503, body: { error: 'unavailable' } });
  });

  it('fails closed with Unavailable when Secrets Manager cannot be reached', async () => {
    secretsManager.fail(true);

    await expect(secretsManagerKeys(SECRET_ID, 300).signingKeys()).rejects.toBeInstanceOf(Unavailable);
  });

  it('fails closed with Unavailable when the stored value is not a usable secret', async () => {
    secretsManager.set(SECRET_ID, 'x'.repeat(101));

    await expect(secretsManagerKeys(SECRET_ID, 300).signingKeys()).rejects.toThrow(/not usable/);
  });
});

describe('signingKeysSource', () => {
  it('uses the secret from the environment on one machine', async () => {
    const source = signingKeysSource(
      readConfig({ TABLE_NAME: 't', WELLHUB_WEBHOOK_SECRET: 'local-dev-secret' }),
    );

    expect(await source.signingKeys()).toEqual({ current: 'local-dev-secret' });
  });

  it('refuses every request when no secret is configured', async () => {
    const config = readConfig({ TABLE_NAME: 't' });

    expect(config.problems).toEqual([expect.stringContaining('WEBHOOK_SECRET_ID')]);
    await expect(signingKeysSource(config).signingKeys()).rejects.toBeInstanceOf(Unavailable);
  });
});

describe('readConfig', () => {
  it('reads the defaults the contract names', () => {
    const config = readConfig({ TABLE_NAME: 't', WEBHOOK_SECRET_ID: 'arn:secret' });

    expect(config).toMatchObject({
      retentionDays: 35,
      secretMaxAgeSeconds: 300,
      dynamoDbTimeoutMs: 350,
      problems: [],
    });
  });

  it('reports a missing table and a malformed number as problems instead of crashing', () => {
    const config = readConfig({ WEBHOOK_SECRET_ID: 'arn:secret', RETENTION_DAYS: 'thirty' });

    expect(config.problems).toEqual([
      'TABLE_NAME is not set',
      'RETENTION_DAYS must be a positive number, got "thirty"',
    ]);
  });
});
