import { type ChildProcess, execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LOG_AUDIT_DIR } from '../support/log-audit';

import { type StartedService, startService } from '../support/npm-start';
import { portOpen } from '../support/ports';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const TOKEN = 'local-wellhub-token';

/** `npm start` with no Wellhub configuration, as a new user runs it: the local Wellhub comes with it. */
describe('npm start with the local Wellhub', () => {
  let service: StartedService;
  let env: NodeJS.ProcessEnv;
  let child: ChildProcess | undefined;
  let receiver: string;
  let wellhub: string;
  let simPort: number;
  let output: readonly string[] = [];

  beforeAll(async () => {
    service = await startService();
    ({ env, child, wellhub, simPort, output } = service);
    receiver = service.base;
  });
  afterAll(() => service.kill());

  const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
    const response = await fetch(`${wellhub}${path}`, {
      method,
      headers: {
        accept: 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  const tsx = (script: string, ...args: string[]) => service.tsx(script, ...args);
  const cycle = {
    name: 'Cycle',
    description: 'Indoor cycling',
    bookable: true,
    visible: true,
    product_id: 100001,
    reference: 'cycle-1',
  };
  let slotId: number;

  it('says in its banner that it runs the local Wellhub, and with which token', () => {
    expect(service.stderr()).toContain(`Local Wellhub on ${wellhub}`);
    expect(service.stderr()).toContain(`token ${TOKEN} (the default`);
  });

  it('answers health, refuses a class listing without the token, creates a valid class and refuses an invalid one', async () => {
    expect(await call('GET', '/booking/v1/health', undefined, null)).toEqual({
      status: 200,
      body: { status: 'UP' },
    });
    expect((await call('GET', '/booking/v1/gyms/100001/classes', undefined, null)).status).toBe(401);
    expect(await call('POST', '/booking/v1/gyms/100001/classes', { classes: [cycle] })).toMatchObject({
      status: 201,
      body: { classes: [{ id: expect.any(Number), name: 'Cycle' }] },
    });
    expect(
      await call('POST', '/booking/v1/gyms/100001/classes', {
        classes: [{ ...cycle, description: '', reference: 'r'.repeat(21) }],
      }),
    ).toEqual({
      status: 400,
      body: [
        { field: 'classes[0].description', error: 'must not be blank' },
        { field: 'classes[0].reference', error: 'length must be between 1 and 20 characters' },
      ],
    });
  });

  it('npm run simulate -- book sends a signed booking-requested that the receiver accepts', async () => {
    const classId = (await call('GET', '/booking/v1/gyms/100001/classes')).body.classes[0].id;
    const occurDate = new Date(Date.now() + 3 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const slot = await call('POST', `/booking/v1/gyms/100001/classes/${classId}/slots`, {
      occur_date: occurDate,
      length_in_minutes: 45,
      total_capacity: 10,
      total_booked: 0,
      product_id: 100001,
    });
    slotId = slot.body.results[0].id;

    const booked = await tsx('bin/simulate.ts', 'book', '--slot', String(slotId));

    expect(booked.code).toBe(0);
    expect(booked.out.webhook).toMatchObject({
      delivered: true,
      url: `${receiver}/booking/requested`,
      attempts: [{ status: 200 }],
    });
    const number = booked.out.booking.booking_number;
    expect((await tsx('bin/ops.ts', 'pending', '--wait')).code).toBe(0);
    const stored = await tsx('bin/ops.ts', 'booking', number);
    // The slot was made at Wellhub, not by the gym: the gym answers that it has no such class.
    expect(stored.out).toMatchObject({
      booking_number: number,
      status: 'REJECTED',
      reason_category: 'CLASS_NOT_FOUND',
      wellhub_id: '1000000000001',
      slot_id: String(slotId),
      answer: { status: 'REJECTED', state: 'delivered' },
    });
    expect((await call('GET', '/_sim/state')).body.bookings).toContainEqual(
      expect.objectContaining({
        booking_number: number,
        status: 'REJECTED',
        reason_category: 'CLASS_NOT_FOUND',
      }),
    );
  });

  it('npm run simulate -- cancel, checkin and walkin reach the receiver too', async () => {
    // A slot of the gym's own schedule, published through the gym API, so that bookings are reserved.
    const gym = (method: string, path: string, body: unknown) =>
      fetch(`${receiver}${path}`, {
        method,
        headers: { authorization: 'Bearer local-gym-token', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    await gym('PUT', '/gym/classes/spin', {
      gym_id: '100001',
      name: 'Spin',
      description: 'Cycling',
      product_id: 100001,
    });
    const occurDate = new Date(Date.now() + 5 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const put = await gym('PUT', '/gym/slots/spin-1', {
      class_reference: 'spin',
      occur_date: occurDate,
      length_in_minutes: 45,
      total_capacity: 10,
      booked_elsewhere: 0,
    });
    expect(put.status).toBe(200);
    expect((await tsx('bin/ops.ts', 'pending', '--wait')).code).toBe(0);
    const ownSlot = String((await tsx('bin/ops.ts', 'slot', 'spin-1')).out.wellhub_slot_id);
    const booked = await tsx('bin/simulate.ts', 'book', '--slot', ownSlot, '--user', '1000000000005');
    const number = booked.out.booking.booking_number;
    expect((await tsx('bin/ops.ts', 'pending', '--wait')).code).toBe(0);
    expect((await tsx('bin/ops.ts', 'booking', number)).out).toMatchObject({ status: 'RESERVED' });

    const checkedIn = await tsx('bin/simulate.ts', 'checkin', number);
    const walkin = await tsx('bin/simulate.ts', 'walkin', '--user', '1000000000006', '--gym', '100001');
    const other = await tsx('bin/simulate.ts', 'book', '--slot', ownSlot);
    expect((await tsx('bin/ops.ts', 'pending', '--wait')).code).toBe(0);
    const canceled = await tsx('bin/simulate.ts', 'cancel', other.out.booking.booking_number, '--late');

    expect([checkedIn.code, walkin.code, canceled.code]).toEqual([0, 0, 0]);
    expect((await tsx('bin/ops.ts', 'pending', '--wait')).code).toBe(0);
    expect((await tsx('bin/ops.ts', 'booking', number)).out).toMatchObject({ status: 'CHECKED_IN' });
    expect((await tsx('bin/ops.ts', 'booking', other.out.booking.booking_number)).out).toMatchObject({
      status: 'LATE_CANCELED',
    });
    expect(await tsx('bin/simulate.ts', 'cancel', 'BK_NOPE')).toMatchObject({
      code: 1,
      err: expect.stringContaining('no booking BK_NOPE'),
    });
    expect((await tsx('bin/simulate.ts', 'book')).code).toBe(2);
  });

  it('ops wellhub check says the token works; register-webhooks registers the five routes', async () => {
    const check = await tsx('bin/ops.ts', 'wellhub', 'check', '--gym', '100001');
    const registered = await tsx(
      'bin/ops.ts',
      'wellhub',
      'register-webhooks',
      '--gym',
      '100001',
      '--base-url',
      receiver,
    );

    expect(check).toMatchObject({
      code: 0,
      out: { token: 'works', health: { status: 200 }, classes: { count: 2 }, ok: true },
    });
    expect(registered.code).toBe(0);
    expect(registered.out.registered).toHaveLength(5);
    expect(registered.out.registered.every((r: { secret_matches: boolean }) => r.secret_matches)).toBe(true);
    expect(JSON.stringify(registered.out)).not.toContain('local-dev-secret');
  });

  it('ops wellhub check fails, saying why, when the token is wrong', async () => {
    const wrong = await run(TSX, ['bin/ops.ts', 'wellhub', 'check', '--gym', '100001'], {
      cwd: ROOT,
      env: { ...env, WELLHUB_API_TOKEN: 'not-the-token' },
    }).catch((error: { code: number; stdout: string }) => error);

    expect('code' in wrong ? wrong.code : 0).toBe(1);
    expect(JSON.parse(wrong.stdout)).toMatchObject({
      token: expect.stringContaining('refused (401)'),
      ok: false,
    });
  });

  it('writes no token and no personal data in any log line, and stops the local Wellhub on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child?.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = undefined;

    expect(await portOpen(simPort)).toBe(false);
    const jsonLines = output
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'));
    // Into the suite-wide audit as well (test/support/log-audit.ts).
    const dir = process.env[LOG_AUDIT_DIR];
    if (dir) appendFileSync(join(dir, `npm-start-${process.pid}.jsonl`), `${jsonLines.join('\n')}\n`);
    const logs = jsonLines.join('\n');
    for (const leaked of [TOKEN, 'Test Member', 'test.member', '+5511900000', 'local-dev-secret'])
      expect(logs).not.toContain(leaked);
  });
});
