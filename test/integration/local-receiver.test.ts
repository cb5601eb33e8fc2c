import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { signBody } from '#lib/wellhub/signature';
import { type BookingFixture, bookingEvent, loadFixture, withCurrentTimestamps } from '../support/fixtures';

import { freePort, portOpen } from '../support/ports';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

/**
 * `npm start`, as a user runs it, on ports and a data folder of its own: the receiver, the pipeline
 * behind it, and on-call's CLI, with every assertion on records made after the pipeline has drained.
 */
describe('the local receiver (npm start)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wellhub-data-'));
  let env: NodeJS.ProcessEnv;
  let receiver: ChildProcess | undefined;
  let base: string;

  beforeAll(async () => {
    const [port, dynamoDbPort] = [await freePort(), await freePort()];
    base = `http://127.0.0.1:${port}`;
    env = {
      ...process.env,
      PORT: String(port),
      DYNAMODB_LOCAL_PORT: String(dynamoDbPort),
      DATA_DIR: dataDir,
      // Idempotency is the subject here, not Wellhub's 1 s (the regressions prove the budget): on a
      // loaded machine the deployed limits would turn some of 20 simultaneous answers into 503s.
      RESPONSE_BUDGET_MS: '10000',
      DYNAMODB_TIMEOUT_MS: '5000',
    };
    for (const name of ['AWS_ENDPOINT_URL_DYNAMODB', 'TABLE_NAME', 'WELLHUB_WEBHOOK_SECRET'])
      delete env[name];
  });
  afterAll(() => {
    receiver?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<void> {
    // Exactly the README's command: SIGTERM then reaches npm, which must pass it on.
    receiver = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline) {
      const health = await fetch(`${base}/health`).catch(() => undefined);
      if (health?.status === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error('the receiver did not become healthy');
  }

  async function stop(): Promise<number | null> {
    const child = receiver;
    if (!child) return null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    receiver = undefined;
    return exited;
  }

  async function post(path: string, body: string, signature = signBody(body, 'local-dev-secret')) {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gympass-signature': signature },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function ops(...args: string[]): Promise<{ code: number; out: unknown; err: string }> {
    try {
      const { stdout, stderr } = await run(TSX, ['bin/ops.ts', ...args], { cwd: ROOT, env });
      return { code: 0, out: JSON.parse(stdout), err: stderr };
    } catch (error) {
      const failed = error as { code: number; stderr: string };
      return { code: failed.code, out: undefined, err: failed.stderr };
    }
  }

  /** Waits on the pipeline itself: `ops pending --wait` returns once the stream has applied everything. */
  async function drained(): Promise<void> {
    const result = await ops('pending', '--wait');
    expect(result).toMatchObject({ code: 0, out: { pending: 0 } });
  }

  const booking = JSON.stringify(withCurrentTimestamps(loadFixture('booking-requested')));
  const event = (name: BookingFixture, bookingNumber: string, wellhubId: string) =>
    JSON.stringify(bookingEvent(name, { bookingNumber, wellhubId }));

  it('serves the routes, including under the reference example prefix, with the default secret', async () => {
    await start();

    expect(await post('/gym-webhook-url/booking/requested', booking)).toEqual({
      status: 200,
      body: { status: 'accepted', event_id: '7e8cbb0f-9681-4d3e-8c36-2b3dd6ecbadb' },
    });
    expect((await post('/booking/requested', booking, '0X0000')).status).toBe(401);
    expect((await post('/booking/requested', '{"event_type": 01}')).status).toBe(400);
  });

  it('applies 20 concurrent identical deliveries once: 1 accepted, 19 duplicates, one history entry', async () => {
    const body = event('booking-requested', 'BK_LOCAL_STORM', '7770000000001');

    const answers = await Promise.all(Array.from({ length: 20 }, () => post('/booking/requested', body)));

    expect(answers.filter((answer) => answer.body.status === 'accepted')).toHaveLength(1);
    expect(answers.filter((answer) => answer.body.status === 'duplicate')).toHaveLength(19);
    await drained();
    // No slot of the gym's has this Wellhub slot id: the gym's answer is CLASS_NOT_FOUND.
    expect((await ops('booking', 'BK_LOCAL_STORM')).out).toMatchObject({
      status: 'REJECTED',
      reason_category: 'CLASS_NOT_FOUND',
      history: [expect.objectContaining({ event_type: 'booking-requested' })],
    });
    expect((await ops('event', 'evt-BK_LOCAL_STORM')).out).toMatchObject({ state: 'APPLIED' });
  });

  it('applies a cancellation that arrives before its request, and never reopens the booking', async () => {
    await post('/booking/cancelation', event('booking-canceled', 'BK_LOCAL_OOO', '7770000000002'));
    await drained();
    await post('/booking/requested', event('booking-requested', 'BK_LOCAL_OOO', '7770000000002'));
    await drained();

    const shown = (await ops('booking', 'BK_LOCAL_OOO')).out as { status: string; history: unknown[] };
    expect(shown.status).toBe('CANCELED');
    expect(shown.history).toEqual([
      expect.objectContaining({ event_type: 'booking-canceled', status: 'CANCELED' }),
      expect.objectContaining({ event_type: 'booking-requested', status: 'CANCELED' }),
    ]);
  });

  it('creates one customer when two first bookings of a new member arrive at once', async () => {
    await Promise.all([
      post('/booking/requested', event('booking-requested', 'BK_LOCAL_NEW_1', '7770000000003')),
      post('/booking/requested', event('booking-requested', 'BK_LOCAL_NEW_2', '7770000000003')),
    ]);
    await drained();

    const customer = (await ops('customer', '7770000000003')).out as { customer_id: string };
    expect((await ops('booking', 'BK_LOCAL_NEW_1')).out).toMatchObject({ customer_id: customer.customer_id });
    expect((await ops('booking', 'BK_LOCAL_NEW_2')).out).toMatchObject({ customer_id: customer.customer_id });
  });

  it('answers on-call through the ops CLI from the same database', async () => {
    await drained();
    const shown = await ops('booking', 'BK_A1B2C3');
    expect(shown.code).toBe(0);
    expect(shown.out).toMatchObject({
      booking_number: 'BK_A1B2C3',
      status: 'REJECTED',
      wellhub_id: '123456789012',
    });

    const quarantined = await ops('quarantine');
    expect(quarantined.out).toEqual([
      expect.objectContaining({ reason: 'invalid_json', route: '/booking/requested' }),
    ]);

    const missing = await ops('booking', 'BK_NOPE');
    expect(missing).toMatchObject({ code: 1, err: expect.stringContaining('no booking BK_NOPE') });
    expect((await ops('no-such-command')).code).toBe(2);
  });

  it('stops the database it started on SIGTERM, and keeps every record across a restart', async () => {
    const dynamoDbPort = Number(env.DYNAMODB_LOCAL_PORT);

    expect(await stop()).toBe(0);
    expect(await portOpen(dynamoDbPort)).toBe(false);
    await start();

    expect(await post('/booking/requested', booking)).toEqual({
      status: 200,
      body: { status: 'duplicate', event_id: '7e8cbb0f-9681-4d3e-8c36-2b3dd6ecbadb' },
    });
    await post('/booking/cancelation', event('booking-canceled', 'BK_LOCAL_STORM', '7770000000001'));
    await drained();
    expect((await ops('booking', 'BK_A1B2C3')).out).toMatchObject({ history: [expect.anything()] });
    // Rejected first, it stays so; the member's later cancellation is kept as a conflict.
    expect((await ops('booking', 'BK_LOCAL_STORM')).out).toMatchObject({
      status: 'REJECTED',
      history: [
        expect.anything(),
        expect.objectContaining({ event_type: 'booking-canceled', conflict: true }),
      ],
    });
    expect((await ops('booking', 'BK_LOCAL_NEW_2')).out).toMatchObject({ status: 'REJECTED' });
    expect(await stop()).toBe(0);
  });
});
