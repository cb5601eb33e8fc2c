import type { RecordedCall } from '#lib/local-wellhub/control';
import { type LocalWellhub, startLocalWellhub } from '#lib/local-wellhub/server';
import { signBody } from '#lib/wellhub/signature';
import { type StartedService, startService } from '../support/npm-start';
import { freePort } from '../support/ports';

const GYM_TOKEN = 'local-gym-token';
const WELLHUB_TOKEN = 'bookings-start-token-5d1e';
const GYM = '100001';
const NOWHERE = 'http://127.0.0.1:9';

/**
 * Booking requests through `npm start` as Wellhub sends them: members book at a local Wellhub of the
 * test's own (so that it outlives a restart of the service), its signed webhooks reach the receiver,
 * and every answer and `total_booked` the gym sends is read back from it.
 */
describe('booking requests through npm start', () => {
  let wellhub: LocalWellhub;
  let service: StartedService;

  beforeAll(async () => {
    const port = await freePort();
    wellhub = await startLocalWellhub({ token: WELLHUB_TOKEN, receiverUrl: `http://127.0.0.1:${port}` });
    service = await startService({
      env: {
        PORT: String(port),
        WELLHUB_API_URL: wellhub.url,
        WELLHUB_SETUP_API_URL: wellhub.url,
        WELLHUB_API_TOKEN: WELLHUB_TOKEN,
        SWEEP_EVERY_SECONDS: '1',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await service.kill();
    await wellhub.close();
  });

  async function gym(method: string, path: string, body?: unknown) {
    const response = await fetch(`${service.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${GYM_TOKEN}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function drained(): Promise<void> {
    expect((await service.tsx('bin/ops.ts', 'pending', '--wait')).code).toBe(0);
  }

  const inHours = (hours: number) =>
    new Date(Date.now() + hours * 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');

  async function slot(reference: string, fields: Record<string, unknown>): Promise<number> {
    const put = await gym('PUT', `/gym/slots/${reference}`, {
      class_reference: 'spin',
      occur_date: inHours(30),
      length_in_minutes: 45,
      room: reference,
      booked_elsewhere: 0,
      ...fields,
    });
    expect(put.status).toBe(200);
    await drained();
    return Number((await gym('GET', `/gym/slots/${reference}`)).body.wellhub_slot_id);
  }

  /** A member books; with `hold`, the webhook is kept back for the test to deliver. */
  async function book(slotId: number, member: string, hold = false) {
    const booked = await wellhub.acting.book({
      slotId,
      gympassId: member,
      ...(hold ? { receiverUrl: NOWHERE } : {}),
    });
    if (!booked.ok) throw new Error(booked.error);
    return { number: booked.record.booking_number, body: JSON.stringify(booked.delivery.body) };
  }

  async function deliver(path: string, body: string): Promise<void> {
    const response = await fetch(`${service.base}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-gympass-signature': signBody(body, 'local-dev-secret'),
      },
      body,
    });
    expect(response.status).toBe(200);
  }

  /** The answers Wellhub took for the booking (2xx), and its status there. */
  function atWellhub(number: string) {
    const booking = wellhub.state.bookings.get(number);
    return {
      status: booking?.status,
      answers: booking?.answers.filter((a) => a.http_status < 300).map((a) => a.body),
    };
  }
  const totalBooked = (slotId: number) => wellhub.state.slots.get(slotId)?.fields.total_booked;
  const reject = (reason_category: string) => ({
    status: 'REJECTED',
    reason_category,
    reason: expect.any(String),
  });

  it('answers every row of the decision table at Wellhub, and total_booked follows each seat', async () => {
    expect(
      (
        await gym('PUT', '/gym/classes/spin', {
          gym_id: GYM,
          name: 'Spin',
          description: 'Indoor cycling',
          product_id: 100001,
        })
      ).status,
    ).toBe(200);
    const open = await slot('spin-open', { total_capacity: 10, wellhub_limit: 2, booked_elsewhere: 1 });
    const [a, b, c] = ['4000000000001', '4000000000002', '4000000000003'];

    const reserved = await book(open, a);
    await drained();
    expect(atWellhub(reserved.number)).toEqual({ status: 'RESERVED', answers: [{ status: 'RESERVED' }] });
    expect(totalBooked(open)).toBe(2);

    const twice = await book(open, a);
    const second = await book(open, b);
    await drained();
    const full = await book(open, c);
    await drained();
    expect(atWellhub(twice.number).answers).toEqual([reject('USER_IS_ALREADY_BOOKED')]);
    expect(atWellhub(second.number).answers).toEqual([{ status: 'RESERVED' }]);
    expect(atWellhub(full.number).answers).toEqual([reject('CLASS_IS_FULL')]);
    expect(totalBooked(open)).toBe(3);

    // The member cancels before the request reaches the gym: no seat, nothing sent.
    const early = await book(await slot('spin-early', { total_capacity: 5 }), '4000000000004', true);
    const canceled = await wellhub.acting.cancel({ bookingNumber: early.number });
    expect(canceled.ok).toBe(true);
    await deliver('/booking/requested', early.body);
    await drained();
    expect(atWellhub(early.number).answers).toEqual([]);
    expect((await gym('GET', `/gym/bookings/${early.number}`)).body).toMatchObject({
      status: 'CANCELED',
      answer: { status: 'NONE', state: 'not_needed' },
    });

    // A slot Wellhub has and the gym never made.
    const classes = await fetch(`${wellhub.url}/booking/v1/gyms/${GYM}/classes`, {
      headers: { authorization: `Bearer ${WELLHUB_TOKEN}`, accept: 'application/json' },
    });
    const classId = ((await classes.json()) as { classes: { id: number }[] }).classes[0]?.id;
    const alien = await fetch(`${wellhub.url}/booking/v1/gyms/${GYM}/classes/${classId}/slots`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WELLHUB_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        occur_date: inHours(40),
        length_in_minutes: 30,
        total_capacity: 5,
        total_booked: 0,
        product_id: 100001,
        room: 'Annex',
      }),
    });
    const alienId = ((await alien.json()) as { results: { id: number }[] }).results[0]?.id ?? 0;
    const unknown = await book(alienId, '4000000000005');
    await drained();
    expect(atWellhub(unknown.number).answers).toEqual([reject('CLASS_NOT_FOUND')]);

    // The gym cancels the slot while Wellhub still has it.
    const doomed = await slot('spin-doomed', { total_capacity: 5 });
    const late = await book(doomed, '4000000000006', true);
    wellhub.faults.add({
      method: 'DELETE',
      path: '/booking/v1/gyms/*/classes/*/slots/*',
      status: 503,
      count: 100_000,
    });
    expect((await gym('POST', '/gym/slots/spin-doomed/cancel')).status).toBe(200);
    await deliver('/booking/requested', late.body);
    await drained();
    wellhub.faults.clear();
    expect(atWellhub(late.number).answers).toEqual([reject('CLASS_HAS_BEEN_CANCELED')]);

    // The booking window closes before the request is decided.
    const closing = await slot('spin-closing', { total_capacity: 5 });
    const tooLate = await book(closing, '4000000000007', true);
    const shown = (await gym('GET', '/gym/slots/spin-closing')).body;
    expect(
      (
        await gym('PUT', '/gym/slots/spin-closing', {
          class_reference: 'spin',
          occur_date: shown.occur_date,
          length_in_minutes: 45,
          room: 'spin-closing',
          total_capacity: 5,
          booked_elsewhere: 0,
          booking_window: { opens_at: inHours(-5), closes_at: inHours(-1) },
        })
      ).status,
    ).toBe(200);
    await drained();
    await deliver('/booking/requested', tooLate.body);
    await drained();
    expect(atWellhub(tooLate.number).answers).toEqual([reject('CHECK_IN_AND_CANCELATION_WINDOWS_CLOSED')]);

    // A release: the first member cancels, and Wellhub hears the seat is free again.
    expect((await wellhub.acting.cancel({ bookingNumber: reserved.number })).ok).toBe(true);
    await drained();
    expect(totalBooked(open)).toBe(2);
    expect((await gym('GET', `/gym/bookings/${reserved.number}`)).body).toMatchObject({
      status: 'CANCELED',
      seat: { released_at: expect.any(String) },
    });
  }, 120_000);

  it('validates a booked check-in and a walk-in at Wellhub, and nothing for a rejected booking', async () => {
    const gymSlot = await slot('spin-checkin', { total_capacity: 5, wellhub_limit: 1 });
    const booked = await book(gymSlot, '4000000000020');
    await drained();
    const checkin = await wellhub.acting.checkin({ bookingNumber: booked.number });
    expect(checkin.ok).toBe(true);
    await drained();
    const validations = (who: string) => wellhub.state.validations.filter((v) => v.gympass_id === who);
    expect(validations('4000000000020')).toEqual([
      expect.objectContaining({ gym_id: Number(GYM), http_status: 200 }),
    ]);
    expect((await gym('GET', `/gym/bookings/${booked.number}`)).body).toMatchObject({
      status: 'CHECKED_IN',
      validation: { state: 'validated', validated_at: expect.any(String) },
    });

    // Full: rejected. Its check-in (as Wellhub would send it) makes no call, and says why.
    const rejected = await book(gymSlot, '4000000000021');
    await drained();
    const body = JSON.stringify({
      ...(checkin.ok ? (checkin.delivery.body as Record<string, unknown>) : {}),
      event_data: {
        ...((checkin.ok ? (checkin.delivery.body as { event_data: object }).event_data : {}) as object),
        booking: { booking_number: rejected.number },
        user: { unique_token: '4000000000021' },
      },
    });
    await deliver('/booking/checkin-booking-occurred', body);
    await drained();
    expect(validations('4000000000021')).toEqual([]);
    expect((await gym('GET', `/gym/bookings/${rejected.number}`)).body).toMatchObject({
      validation: { state: 'not_needed', error: expect.stringContaining('REJECTED') },
    });

    const walkin = await wellhub.acting.walkin({ gympassId: '4000000000022', gymId: Number(GYM) });
    expect(walkin.ok).toBe(true);
    await drained();
    expect(validations('4000000000022')).toEqual([expect.objectContaining({ http_status: 200 })]);
  }, 120_000);

  it('takes an already validated check-in as validated, and validates one that came before its decision', async () => {
    const gymSlot = await slot('spin-early-checkin', { total_capacity: 5 });
    const validations = (who: string) => wellhub.state.validations.filter((v) => v.gympass_id === who);
    const held = async (number: string) => {
      const checkin = await wellhub.acting.checkin({ bookingNumber: number, receiverUrl: NOWHERE });
      if (!checkin.ok) throw new Error(checkin.error);
      return JSON.stringify(checkin.delivery.body);
    };

    // The front desk's own system validated it before the webhook reached the service.
    const first = await book(gymSlot, '4000000000030');
    await drained();
    const firstCheckin = await held(first.number);
    const front = await fetch(`${wellhub.url}/access/v1/validate`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${WELLHUB_TOKEN}`,
        'content-type': 'application/json',
        'x-gym-id': GYM,
      },
      body: JSON.stringify({ gympass_id: '4000000000030' }),
    });
    expect(front.status).toBe(200);
    await deliver('/booking/checkin-booking-occurred', firstCheckin);
    await drained();
    expect((await gym('GET', `/gym/bookings/${first.number}`)).body).toMatchObject({
      validation: {
        state: 'validated',
        attempts: [{ http_status: 400, error: 'checkin.already.validated' }],
      },
    });

    // Reserved at Wellhub and checked in before the request reached the gym.
    const early = await book(gymSlot, '4000000000031', true);
    await fetch(`${wellhub.url}/booking/v2/gyms/${GYM}/bookings/${early.number}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${WELLHUB_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'RESERVED' }),
    });
    await deliver('/booking/checkin-booking-occurred', await held(early.number));
    await drained();
    expect(validations('4000000000031')).toEqual([]);
    await deliver('/booking/requested', early.body);
    await drained();
    expect(validations('4000000000031')).toEqual([expect.objectContaining({ http_status: 200 })]);
    expect((await gym('GET', `/gym/bookings/${early.number}`)).body).toMatchObject({
      answer: { status: 'RESERVED' },
      validation: { state: 'validated' },
    });
  }, 120_000);

  it('delivers the answers in flight when it is stopped and started again', async () => {
    const later = await slot('spin-later', { total_capacity: 5 });
    wellhub.faults.add({
      method: 'PATCH',
      path: '/booking/v2/gyms/*/bookings/*',
      status: 503,
      count: 100_000,
    });
    const numbers = [
      (await book(later, '4000000000010')).number,
      (await book(later, '4000000000011')).number,
    ];
    for (const number of numbers) {
      await until(async () => {
        const answer = (await gym('GET', `/gym/bookings/${number}`)).body.answer as
          | { attempts?: unknown[] }
          | undefined;
        return (answer?.attempts?.length ?? 0) > 0;
      });
    }
    service = await service.restart();
    wellhub.faults.clear();
    await until(async () => numbers.every((number) => atWellhub(number).answers?.length === 1), 120_000);
    for (const number of numbers) {
      expect(atWellhub(number)).toEqual({ status: 'RESERVED', answers: [{ status: 'RESERVED' }] });
      expect((await gym('GET', `/gym/bookings/${number}`)).body).toMatchObject({
        answer: { state: 'delivered' },
      });
    }
    const calls: RecordedCall[] = wellhub.calls.filter(
      (call) => call.method === 'PATCH' && call.path.includes('/bookings/'),
    );
    expect(
      calls.filter((call) => (call.status ?? 0) < 300 && call.fault === undefined).length,
    ).toBeGreaterThanOrEqual(2);
    expect(totalBooked(later)).toBe(2);
  }, 180_000);
});

/** Polls a condition the service reaches by itself (its sweeper's schedule), with a bound. */
async function until(condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
