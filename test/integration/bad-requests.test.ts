import * as ops from '#lib/ops/commands';
import { bookingEvent } from '../support/fixtures';
import { type Harness, webhookHarness } from '../support/harness';

const SEED_BODY_AS_SENT = `{
 "event_type": "booking-requested",
 "event_data": {
 "user": { "unique_token": "123456789012", "name": "Firstname Lastname", "email": "user@email.com" },
 "slot": { "id": 01234567, "gym_id": 012345, "class_id": 654321, "booking_number": "BK_A1B2C3" },
 "timestamp": 1560983373378,
 "event_id": "7e8cbb0f-9681-4d3e-8c36-2b3dd6ecbadb"
 }
}`;

const booking = (bookingNumber: string, data?: (data: Record<string, unknown>) => void) =>
  bookingEvent('booking-requested', { bookingNumber, ...(data ? { data } : {}) });

describe('bad requests (CONTRACT §5)', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await webhookHarness();
  });

  it.each([
    ['the seed example as published (leading zeros)', SEED_BODY_AS_SENT, 'invalid_json', /position \d+/],
    ['an empty body', '', 'invalid_json', /empty/],
    ['a JSON array', '[1,2]', 'invalid_body', /object/],
    [
      'a missing booking number',
      booking('BK_X', (d) => delete (d.slot as Record<string, unknown>).booking_number),
      'missing_field',
      /event_data\.slot\.booking_number/,
    ],
    [
      'a boolean gym id',
      booking('BK_Y', (d) => {
        (d.slot as Record<string, unknown>).gym_id = true;
      }),
      'invalid_field',
      /event_data\.slot\.gym_id/,
    ],
    [
      'an unknown event type',
      { ...booking('BK_Z'), event_type: 'booking-teleported' },
      'unknown_event_type',
      /booking-teleported/,
    ],
    [
      'a cancellation sent to the booking route',
      { ...booking('BK_W'), event_type: 'booking-canceled' },
      'wrong_route',
      /\/booking\/requested/,
    ],
    [
      'an event older than the replay window',
      booking('BK_OLD', (d) => {
        d.timestamp = Date.now() - 40 * 86_400_000;
      }),
      'stale_event',
      /replay window/,
    ],
  ])(
    'answers 400 to %s with a message naming the problem, and quarantines it',
    async (_name, body, code, message) => {
      const before = (await ops.quarantine({ store: harness.store }, { all: true })).length;

      const answer = await harness.deliver('booking-requested', {
        body: body as string | Record<string, unknown>,
      });

      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe(code);
      expect(answer.body.message).toMatch(message);
      const listed = await ops.quarantine({ store: harness.store }, { all: true });
      expect(listed).toHaveLength(before + 1);
      expect(listed.at(-1)).toMatchObject({
        reason: code,
        route: '/booking/requested',
        message: answer.body.message,
      });
      expect(listed.at(-1)?.received_at).toEqual(expect.any(String));
    },
  );

  it('answers 413 to a signed body over 64 KiB and keeps it', async () => {
    const body = booking('BK_BIG', (d) => {
      d.padding = 'x'.repeat(70 * 1024);
    });

    const answer = await harness.deliver('booking-requested', { body });

    expect(answer).toEqual({ status: 413, body: { error: 'payload_too_large' } });
    const listed = await ops.quarantine({ store: harness.store }, { all: false });
    expect(listed.some((entry) => entry.reason === 'payload_too_large')).toBe(true);
  });

  it('answers 413 to an unsigned body over 64 KiB and keeps nothing', async () => {
    const before = (await ops.quarantine({ store: harness.store }, { all: true })).length;

    const answer = await harness.deliver('booking-requested', {
      body: 'x'.repeat(70 * 1024),
      signature: null,
    });

    expect(answer).toEqual({ status: 413, body: { error: 'payload_too_large' } });
    expect((await ops.quarantine({ store: harness.store }, { all: true })).length).toBe(before);
  });
});

describe('replaying a quarantined request', () => {
  it('applies it once the cause is fixed (here: a wider replay window) and marks it replayed', async () => {
    const harness = await webhookHarness({ retentionDays: 35 });
    const old = booking('BK_REPLAY', (d) => {
      d.timestamp = Date.now() - 40 * 86_400_000;
    });
    expect((await harness.deliver('booking-requested', { body: old })).status).toBe(400);
    const [entry] = await ops.quarantine({ store: harness.store }, { all: false });

    const result = await ops.replay(
      { store: harness.store, webhook: { ...harness.deps, retentionDays: 60 } },
      String(entry?.quarantine_id),
    );

    expect(result).toMatchObject({
      status: 200,
      response: { status: 'accepted', event_id: 'evt-BK_REPLAY' },
    });
    await harness.drain();
    expect((await harness.store.getBooking('BK_REPLAY'))?.status).toBe('REQUESTED');
    expect(await ops.quarantine({ store: harness.store }, { all: false })).toHaveLength(0);
    await expect(
      ops.replay({ store: harness.store, webhook: harness.deps }, String(entry?.quarantine_id)),
    ).rejects.toThrow(/already replayed/);
  });

  it('keeps a request that still fails, under its new reason', async () => {
    const harness = await webhookHarness();
    expect((await harness.deliver('booking-requested', { body: SEED_BODY_AS_SENT })).status).toBe(400);
    const [entry] = await ops.quarantine({ store: harness.store }, { all: false });

    const result = await ops.replay(
      { store: harness.store, webhook: harness.deps },
      String(entry?.quarantine_id),
    );

    expect(result).toMatchObject({ status: 400, response: { error: 'invalid_json' } });
    const pending = await ops.quarantine({ store: harness.store }, { all: false });
    expect(pending).toHaveLength(1);
    expect(pending[0]?.quarantine_id).not.toBe(entry?.quarantine_id);
  });
});
