import { type StartedService, startService } from '../support/npm-start';

/** `WALKIN_VALIDATION=manual npm start`: walk-ins wait for the front desk's `ops validate`. */
describe('walk-ins left to the front desk through npm start', () => {
  let service: StartedService;
  beforeAll(async () => {
    service = await startService({ env: { WALKIN_VALIDATION: 'manual', SWEEP_EVERY_SECONDS: '1' } });
  }, 60_000);
  afterAll(() => service.kill());

  const simulate = (...args: string[]) => service.tsx('bin/simulate.ts', ...args);
  const ops = (...args: string[]) => service.tsx('bin/ops.ts', ...args);
  const validations = async () =>
    (
      (await (await fetch(`${service.wellhub}/_sim/state`)).json()) as {
        validations: { gympass_id: string }[];
      }
    ).validations;

  it('stores the walk-in as pending, and validates it when the front desk says so', async () => {
    expect((await simulate('walkin', '--user', '1000000000007', '--gym', '100001')).code).toBe(0);
    expect((await ops('pending', '--wait')).code).toBe(0);
    // Applied, and owed to no job: nothing is sent until the front desk asks.
    expect(await validations()).toEqual([]);
    expect((await ops('pending')).out).toMatchObject({ pending: 0 });

    const validated = await ops('validate', '1000000000007', '--gym', '100001');
    expect(validated).toMatchObject({
      code: 0,
      out: { outcome: 'validated', validation: { state: 'validated' } },
    });
    expect(await validations()).toEqual([
      expect.objectContaining({ gympass_id: '1000000000007', http_status: 200 }),
    ]);
    const again = await ops('validate', '1000000000007', '--gym', '100001');
    expect(again.code).toBe(1);
    expect(again.err).toContain('nothing to validate');
    expect((await ops('validate', '1000000000099', '--gym', '100001')).err).toContain('no walk-in');
  });
});
