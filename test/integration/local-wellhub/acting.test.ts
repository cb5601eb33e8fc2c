import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '#lib/wellhub/signature';
import { GYM, localWellhub, validClass, validSlot } from '../../support/local-wellhub';

/** A receiver that records what Wellhub sends, answering as each test says. */
interface Received {
  readonly path: string;
  readonly signature: string | undefined;
  readonly body: string;
}
async function receiver(answer: (index: number, req: IncomingMessage, res: ServerResponse) => void) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const signature = req.headers['x-gympass-signature'];
      received.push({
        path: req.url ?? '',
        signature: typeof signature === 'string' ? signature : undefined,
        body: Buffer.concat(chunks).toString(),
      });
      answer(received.length - 1, req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
const ok = (_i: number, _req: IncomingMessage, res: ServerResponse) =>
  res.writeHead(200).end('{"status":"accepted"}');

describe('local Wellhub acting as Wellhub', () => {
  const SECRET = 'acting-secret';
  let sim: Awaited<ReturnType<typeof localWellhub>>;
  let gym: Awaited<ReturnType<typeof receiver>>;
  let classId: number;
  let room = 0;

  beforeAll(async () => {
    gym = await receiver(ok);
    sim = await localWellhub({ receiverUrl: gym.url, webhookSecret: SECRET, webhookTimeoutMs: 200 });
    const created = await sim.raw('POST', `/booking/v1/gyms/${GYM}/classes`, { classes: [validClass()] });
    classId = (created.body as { classes: { id: number }[] }).classes[0]?.id ?? 0;
  });
  afterAll(async () => {
    await sim.wellhub.close();
    await gym.close();
  });

  async function newSlot(overrides: Record<string, unknown> = {}, hours = 2) {
    room += 1;
    const created = await sim.raw(
      'POST',
      `/booking/v1/gyms/${GYM}/classes/${classId}/slots`,
      validSlot(sim.wellhub.clock.now(), { room: `Room ${room}`, ...overrides }, hours),
    );
    return (created.body as { results: { id: number }[] }).results[0]?.id ?? 0;
  }

  it('books: records the booking and sends booking-requested, signed, with the seed’s field shapes', async () => {
    const slotId = await newSlot();
    const answered = await sim.raw('POST', '/_sim/bookings', { slot_id: slotId });

    const booking = (answered.body as { booking: { booking_number: string } }).booking;
    const sent = gym.received.at(-1);
    expect(answered.status).toBe(201);
    expect(sent?.path).toBe('/booking/requested');
    expect(verifySignature(Buffer.from(sent?.body ?? ''), sent?.signature, { current: SECRET })).toEqual({
      valid: true,
      form: 'raw',
      key: 'current',
    });
    expect(sent?.signature).toMatch(/^[0-9A-F]{40}$/);
    expect(JSON.parse(sent?.body ?? '')).toEqual({
      event_type: 'booking-requested',
      event_data: {
        user: {
          unique_token: '1000000000001',
          name: expect.any(String),
          email: expect.stringContaining('@'),
        },
        slot: { id: slotId, gym_id: GYM, class_id: classId, booking_number: booking.booking_number },
        timestamp: expect.any(Number),
        event_id: expect.any(String),
      },
    });
    expect(JSON.parse(sent?.body ?? '').event_data.timestamp).toBeGreaterThan(1e12);
  });

  it('gives each booking of a slot the next free test member by default', async () => {
    const slotId = await newSlot();
    const members = [];
    for (let i = 0; i < 3; i++) {
      const booked = await sim.wellhub.acting.book({ slotId });
      members.push(booked.ok ? booked.record.gympass_id : booked.error);
    }
    expect(members).toEqual(['1000000000001', '1000000000002', '1000000000003']);
  });

  it('cancels (late or not) with booking-canceled or booking-late-canceled, and refuses a second cancel', async () => {
    const slotId = await newSlot();
    const first = await sim.wellhub.acting.book({ slotId });
    const second = await sim.wellhub.acting.book({ slotId });
    if (!first.ok || !second.ok) throw new Error('not booked');

    const canceled = await sim.raw('POST', `/_sim/bookings/${first.record.booking_number}/cancel`, {});
    const late = await sim.raw('POST', `/_sim/bookings/${second.record.booking_number}/cancel`, {
      late: true,
    });
    const again = await sim.raw('POST', `/_sim/bookings/${first.record.booking_number}/cancel`, {});

    expect([canceled.status, late.status, again.status]).toEqual([201, 201, 409]);
    expect(gym.received.slice(-2).map((r) => [r.path, JSON.parse(r.body).event_type])).toEqual([
      ['/booking/cancelation', 'booking-canceled'],
      ['/booking/lateCancelation', 'booking-late-canceled'],
    ]);
    expect(first.record.status).toBe('CANCELED');
    expect(second.record.status).toBe('LATE_CANCELED');
  });

  it('checks in for a reserved booking (checkin-booking-occurred, seconds, expires in 20 min), and refuses an unanswered one', async () => {
    const booked = await sim.wellhub.acting.book({ slotId: await newSlot() });
    if (!booked.ok) throw new Error(booked.error);
    const number = booked.record.booking_number;

    const early = await sim.raw('POST', '/_sim/checkins', { booking_number: number });
    await sim.raw('PATCH', `/booking/v2/gyms/${GYM}/bookings/${number}`, { status: 'RESERVED' });
    const checkedIn = await sim.raw('POST', '/_sim/checkins', { booking_number: number });

    expect(early.status).toBe(409);
    expect(checkedIn.status).toBe(201);
    const body = JSON.parse(gym.received.at(-1)?.body ?? '');
    expect(gym.received.at(-1)?.path).toBe('/booking/checkin-booking-occurred');
    expect(body).toEqual({
      event_type: 'checkin-booking-occurred',
      event_data: {
        booking: { booking_number: number },
        user: { unique_token: booked.record.gympass_id },
        location: { lat: expect.any(Number), lon: expect.any(Number) },
        gym: {
          id: GYM,
          title: expect.any(String),
          product: { id: 100001, description: 'Classes - Unlimited' },
        },
        timestamp: expect.any(Number),
        expires_at: expect.any(Number),
      },
    });
    expect(body.event_data.timestamp).toBeLessThan(1e12);
    expect(body.event_data.expires_at - body.event_data.timestamp).toBe(20 * 60);
  });

  it('walks in: a checkin event with the member’s profile, seconds, no event id', async () => {
    const answered = await sim.raw('POST', '/_sim/checkins', { user: '1000000000009', gym_id: GYM });

    expect(answered.status).toBe(201);
    expect(gym.received.at(-1)?.path).toBe('/checkin');
    expect(JSON.parse(gym.received.at(-1)?.body ?? '')).toEqual({
      event_type: 'checkin',
      event_data: {
        user: {
          unique_token: '1000000000009',
          first_name: expect.any(String),
          last_name: expect.any(String),
          email: expect.any(String),
          phone_number: expect.any(String),
        },
        location: expect.any(Object),
        gym: { id: GYM, title: expect.any(String), product: { id: 100001, description: expect.any(String) } },
        timestamp: expect.any(Number),
      },
    });
  });

  it.each([
    ['a full slot', { total_capacity: 1, total_booked: 1 }, 2, 409, 'the slot is full'],
    ['a slot that has started', {}, -1, 409, 'the slot has started'],
    ['a slot more than 14 days ahead', {}, 15 * 24, 409, 'the slot is more than 14 days ahead'],
  ])('refuses to book %s', async (_case, overrides, hours, status, error) => {
    const slotId = await newSlot(overrides, hours);
    expect(await sim.raw('POST', '/_sim/bookings', { slot_id: slotId })).toMatchObject({
      status,
      body: { error },
    });
  });

  it('refuses to book a slot that does not exist or was deleted', async () => {
    const slotId = await newSlot();
    await sim.raw('DELETE', `/booking/v1/gyms/${GYM}/classes/${classId}/slots/${slotId}`);
    expect((await sim.raw('POST', '/_sim/bookings', { slot_id: slotId })).status).toBe(404);
    expect((await sim.raw('POST', '/_sim/bookings', { slot_id: 1 })).status).toBe(404);
  });

  it('delivers to the URL and secret the gym registered through the Integration Setup API', async () => {
    const other = await receiver(ok);
    try {
      const registered = await sim.raw('POST', `/v1/systems/gyms/${GYM}/webhooks`, {
        webhooks: [
          { event: 'booking-requested', url: `${other.url}/hooks/requested`, secret: 'registered-secret' },
        ],
      });
      await sim.wellhub.acting.book({ slotId: await newSlot() });

      expect(registered.status).toBe(204);
      expect(other.received.map((r) => r.path)).toEqual(['/hooks/requested']);
      expect(
        verifySignature(Buffer.from(other.received[0]?.body ?? ''), other.received[0]?.signature, {
          current: 'registered-secret',
        }).valid,
      ).toBe(true);
    } finally {
      sim.wellhub.state.webhooks.clear();
      await other.close();
    }
  });

  it('refuses a registration with an unknown event, a bad URL or a secret over 100 characters', async () => {
    const answered = await sim.raw('POST', `/v1/systems/gyms/${GYM}/webhooks`, {
      webhooks: [{ event: 'booking-confirmed', url: 'gym.example', secret: 's'.repeat(101) }],
    });
    expect(answered).toMatchObject({
      status: 400,
      body: {
        errors: [
          { field: 'webhooks[0].event' },
          { field: 'webhooks[0].url' },
          { field: 'webhooks[0].secret' },
        ],
      },
    });
  });

  it('serves the sandbox helpers with the token, answering the webhook event', async () => {
    const slotId = await newSlot();
    const path = `/helper/v1/gyms/${GYM}/simulate/bookings`;
    const unauthorized = await sim.raw(
      'POST',
      path,
      { gympass_user_id: '1000000000008', slot_id: slotId, class_id: classId },
      { authorization: '' },
    );
    const answered = await sim.raw('POST', path, {
      gympass_user_id: '1000000000008',
      slot_id: slotId,
      class_id: classId,
    });

    expect(unauthorized.status).toBe(401);
    expect(answered).toMatchObject({
      status: 200,
      body: { event_type: 'booking-requested', event_data: { user: { unique_token: '1000000000008' } } },
    });
  });

  it('waits 1 s (here 200 ms) for an answer, then retries three times at once', async () => {
    const slow = await receiver((index, _req, res) => {
      // The first delivery is never answered; the retries are.
      if (index > 0) ok(index, _req, res);
    });
    try {
      const booked = await sim.wellhub.acting.book({ slotId: await newSlot(), receiverUrl: slow.url });
      if (!booked.ok) throw new Error(booked.error);

      expect(booked.delivery.attempts.map((a) => a.status ?? a.error)).toEqual(['timeout', 200, 200, 200]);
      expect(booked.delivery.delivered).toBe(true);
      expect(new Set(slow.received.map((r) => r.body)).size).toBe(1);
    } finally {
      await slow.close();
    }
  });

  it('retries three times at once after an error answer, and reports a delivery nobody accepted', async () => {
    const failing = await receiver((_i, _req, res) => res.writeHead(503).end());
    try {
      const booked = await sim.wellhub.acting.book({ slotId: await newSlot(), receiverUrl: failing.url });
      if (!booked.ok) throw new Error(booked.error);

      expect(booked.delivery).toMatchObject({
        delivered: false,
        attempts: [{ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }],
      });
    } finally {
      await failing.close();
    }
  });
});
