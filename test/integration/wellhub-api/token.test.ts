import { readConfig } from '#lib/config';
import { wellhubClient } from '#lib/wellhub-api/client';
import {
  parseWellhubToken,
  secretsManagerToken,
  WELLHUB_TOKEN_PLACEHOLDER,
  wellhubTokenSource,
} from '#lib/wellhub-api/token';
import { type FakeSecretsManager, startFakeSecretsManager } from '../../support/fake-secrets-manager';
import { GYM, localWellhub } from '../../support/local-wellhub';

const SECRET_ID = 'wellhub-webhooks/dev/wellhub-api-token';
const TOKEN = 'wellhub-token-from-secrets-manager';

describe('the Wellhub API token (the real SDK against a local Secrets Manager)', () => {
  let secretsManager: FakeSecretsManager;
  beforeEach(async () => {
    secretsManager = await startFakeSecretsManager({ [SECRET_ID]: TOKEN });
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secretsManager.endpoint;
  });
  afterEach(async () => {
    jest.useRealTimers();
    delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    await secretsManager.stop();
  });

  it('reads the token once and serves it from the shared cache within the max age', async () => {
    const source = secretsManagerToken(SECRET_ID, 300);

    const tokens = await Promise.all([source.token(), source.token(), source.token()]);

    expect(tokens).toEqual([TOKEN, TOKEN, TOKEN]);
    expect(secretsManager.calls).toBe(1);
  });

  it('picks up a new token once the max age has passed, without a cold start', async () => {
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
    const source = secretsManagerToken(SECRET_ID, 300);
    await source.token();
    secretsManager.set(SECRET_ID, 'wellhub-token-rotated');

    const cached = await source.token();
    jest.setSystemTime(Date.now() + 301_000);
    const refreshed = await source.token();

    expect([cached, refreshed]).toEqual([TOKEN, 'wellhub-token-rotated']);
    expect(secretsManager.calls).toBe(2);
  });

  it('reads the placeholder the stack stores as "no token": the client fails closed without a request', async () => {
    secretsManager.set(SECRET_ID, WELLHUB_TOKEN_PLACEHOLDER);
    const sim = await localWellhub();
    try {
      const config = readConfig({ WELLHUB_API_URL: sim.wellhub.url, WELLHUB_API_TOKEN_SECRET_ID: SECRET_ID });
      const outcome = await wellhubClient(config).listClasses(GYM);

      expect(outcome).toEqual({ kind: 'retry', reason: 'not_configured', auth: true });
      expect(sim.wellhub.calls).toHaveLength(0);
    } finally {
      await sim.wellhub.close();
    }
  });

  it('calls Wellhub with the token from Secrets Manager when configured so', async () => {
    const sim = await localWellhub({ token: TOKEN });
    try {
      const config = readConfig({ WELLHUB_API_URL: sim.wellhub.url, WELLHUB_API_TOKEN_SECRET_ID: SECRET_ID });
      expect(await wellhubClient(config).listClasses(GYM)).toMatchObject({ kind: 'done', status: 200 });
    } finally {
      await sim.wellhub.close();
    }
  });

  it('answers token_unavailable, without a request, when Secrets Manager cannot be read', async () => {
    secretsManager.fail(true);
    const sim = await localWellhub();
    try {
      const config = readConfig({ WELLHUB_API_URL: sim.wellhub.url, WELLHUB_API_TOKEN_SECRET_ID: SECRET_ID });
      expect(await wellhubClient(config).listClasses(GYM)).toEqual({
        kind: 'retry',
        reason: 'token_unavailable',
        auth: true,
      });
      expect(sim.wellhub.calls).toHaveLength(0);
    } finally {
      await sim.wellhub.close();
    }
  });
});

describe('Wellhub settings (lib/config.ts)', () => {
  it('prefers the token from the environment and defaults the setup URL and timeout', async () => {
    const config = readConfig({
      WELLHUB_API_URL: 'https://apitesting.partners.gympass.com/',
      WELLHUB_API_TOKEN: ' abc ',
    });

    expect(config.wellhub).toEqual({
      apiUrl: 'https://apitesting.partners.gympass.com',
      setupApiUrl: 'https://api.partners-integrations.gympass.com',
      token: ' abc ',
      timeoutMs: 5000,
      problems: [],
    });
    expect(await wellhubTokenSource(config).token()).toBe('abc');
  });

  it('reports a missing token or URL as a Wellhub problem, never as one that blocks webhooks', () => {
    const config = readConfig({ TABLE_NAME: 't', WELLHUB_WEBHOOK_SECRET: 's', WELLHUB_TIMEOUT_MS: 'soon' });

    expect(config.problems).toEqual([]);
    expect(config.wellhub.problems).toEqual([
      'WELLHUB_API_URL is not set',
      'neither WELLHUB_API_TOKEN_SECRET_ID nor WELLHUB_API_TOKEN is set',
      'WELLHUB_TIMEOUT_MS must be a positive number, got "soon"',
    ]);
    expect(config.wellhub.timeoutMs).toBe(5000);
  });

  it('refuses a URL that is not http(s)', () => {
    expect(readConfig({ WELLHUB_API_URL: 'ftp://wellhub' }).wellhub).toMatchObject({
      problems: expect.arrayContaining(['WELLHUB_API_URL must be an http(s) URL, got "ftp://wellhub"']),
    });
    expect(readConfig({ WELLHUB_API_URL: 'ftp://wellhub' }).wellhub.apiUrl).toBeUndefined();
  });

  it('reads a stored token as plain text or {"token": …}; the placeholder and blanks are no token', () => {
    expect(parseWellhubToken('abc\n')).toBe('abc');
    expect(parseWellhubToken('{"token":"abc"}')).toBe('abc');
    expect(parseWellhubToken('{not json')).toBe('{not json');
    expect(parseWellhubToken('   ')).toBeUndefined();
    expect(parseWellhubToken(WELLHUB_TOKEN_PLACEHOLDER)).toBeUndefined();
  });
});
