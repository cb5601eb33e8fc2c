import { startLocalWellhubUnlessConfigured } from '#lib/local-wellhub/start';
import { registerWebhooks, type WellhubOpsContext, wellhubCheck, wellhubCommand } from '#lib/ops/wellhub';
import { GYM, localWellhub } from '../support/local-wellhub';

describe('ops wellhub (against the local Wellhub)', () => {
  let sim: Awaited<ReturnType<typeof localWellhub>>;
  let context: WellhubOpsContext;
  beforeAll(async () => {
    sim = await localWellhub();
    context = {
      client: sim.client(),
      apiUrl: sim.wellhub.url,
      setupApiUrl: sim.wellhub.url,
      webhookSecret: async () => 'ops-webhook-secret',
    };
  });
  afterAll(() => sim.wellhub.close());
  afterEach(() => sim.wellhub.faults.clear());

  it('check: says the token works when Wellhub answers the class listing', async () => {
    expect(await wellhubCheck(context, String(GYM))).toEqual({
      api_url: sim.wellhub.url,
      gym_id: String(GYM),
      health: { outcome: 'done', status: 200 },
      token: 'works',
      classes: { outcome: 'done', status: 200, count: 0 },
      ok: true,
    });
  });

  it('check: says the token is refused on a 403, with what Wellhub answered', async () => {
    sim.wellhub.faults.add({
      path: '/booking/v1/gyms/*/classes',
      status: 403,
      body: { Message: 'not enabled' },
    });

    expect(await wellhubCheck(context, String(GYM))).toMatchObject({
      token: 'refused (403): wrong, revoked, or not enabled for this gym',
      classes: { outcome: 'retry', status: 403, error: { message: 'not enabled' } },
      ok: false,
    });
  });

  it('check: says the token is not configured, and makes no call that needs it', async () => {
    const before = sim.wellhub.calls.length;
    const report = await wellhubCheck({ ...context, client: sim.client({ token: undefined }) }, String(GYM));

    expect(report).toMatchObject({ token: 'not configured', health: { status: 200 }, ok: false });
    expect(sim.wellhub.calls.slice(before).map((c) => c.path)).toEqual(['/booking/v1/health']);
  });

  it('register-webhooks: posts the five routes under the base URL with the webhook secret', async () => {
    const report = await registerWebhooks(context, String(GYM), 'https://hooks.gym.example/');

    expect(report.ok).toBe(true);
    expect(sim.wellhub.state.webhooks.get(GYM)).toEqual([
      {
        event: 'booking-requested',
        url: 'https://hooks.gym.example/booking/requested',
        secret: 'ops-webhook-secret',
      },
      {
        event: 'booking-canceled',
        url: 'https://hooks.gym.example/booking/cancelation',
        secret: 'ops-webhook-secret',
      },
      {
        event: 'booking-late-canceled',
        url: 'https://hooks.gym.example/booking/lateCancelation',
        secret: 'ops-webhook-secret',
      },
      {
        event: 'checkin-booking-occurred',
        url: 'https://hooks.gym.example/booking/checkin-booking-occurred',
        secret: 'ops-webhook-secret',
      },
      { event: 'checkin', url: 'https://hooks.gym.example/checkin', secret: 'ops-webhook-secret' },
    ]);
    expect(JSON.stringify(report)).not.toContain('ops-webhook-secret');
  });

  it('register-webhooks: refuses a base URL that is not https, and says when Wellhub refuses', async () => {
    await expect(registerWebhooks(context, String(GYM), 'http://hooks.gym.example')).rejects.toThrow(
      '--base-url must be https',
    );
    sim.wellhub.faults.add({
      method: 'POST',
      path: '/v1/systems/gyms/*/webhooks',
      status: 400,
      body: { errors: [{ field: 'url', error: 'bad' }] },
    });
    await expect(registerWebhooks(context, String(GYM), 'https://hooks.gym.example')).rejects.toThrow(
      'Wellhub refused the registration',
    );
  });

  it('reads its arguments, and answers a usage error for anything else', () => {
    expect(wellhubCommand(['check'], context)).toBeUndefined();
    expect(wellhubCommand(['register-webhooks', '--gym', '1'], context)).toBeUndefined();
    expect(wellhubCommand(['delete', '--gym', '1'], context)).toBeUndefined();
  });
});

describe('npm start and the local Wellhub', () => {
  it('starts no local Wellhub when WELLHUB_API_URL names one', async () => {
    const env: NodeJS.ProcessEnv = { WELLHUB_API_URL: 'https://apitesting.partners.gympass.com' };

    const started = await startLocalWellhubUnlessConfigured(env);

    expect(started.wellhub).toBeUndefined();
    expect(started.banner).toEqual([
      'Wellhub API: https://apitesting.partners.gympass.com (from WELLHUB_API_URL; no local Wellhub started)',
    ]);
    expect(env).toEqual({ WELLHUB_API_URL: 'https://apitesting.partners.gympass.com' });
  });

  it('otherwise starts one and points the service at it, with the token WELLHUB_API_TOKEN gives', async () => {
    const env: NodeJS.ProcessEnv = {
      WELLHUB_SIM_PORT: '0',
      WELLHUB_API_TOKEN: 'wellhub-test-token-7f3a9c',
      PORT: '8080',
    };

    const started = await startLocalWellhubUnlessConfigured(env);
    try {
      expect(env.WELLHUB_API_URL).toBe(started.wellhub?.url);
      expect(env.WELLHUB_SETUP_API_URL).toBe(started.wellhub?.url);
      expect(started.banner[0]).toContain('token from WELLHUB_API_TOKEN');
      const health = await fetch(`${env.WELLHUB_API_URL}/booking/v1/health`, {
        headers: { accept: 'application/json' },
      });
      expect(health.status).toBe(200);
    } finally {
      await started.stop();
    }
  });
});
