import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type StartedService, startService } from '../support/npm-start';

const GYM_TOKEN = 'local-gym-token';
const GYM = '100001';
const PRODUCT = 100001;

interface SimCall {
  readonly method: string;
  readonly path: string;
  readonly body: Record<string, unknown> | undefined;
}

/**
 * The gym's schedule through `npm start` as a gym runs it: the gym API with its token, the stream
 * publishing to the local Wellhub, `ops` for the rest. Waits on `ops pending --wait`, never a sleep.
 */
describe('the gym schedule through npm start', () => {
  let service: StartedService;
  let base: string;
  let wellhub: string;

  beforeAll(async () => {
    service = await startService();
    ({ base, wellhub } = service);
  });
  afterAll(() => service.kill());

  async function gym(method: string, path: string, body?: unknown, token: string | null = GYM_TOKEN) {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const tsx = (script: string, ...args: string[]) => service.tsx(script, ...args);

  /** Until the stream has published every change made so far. */
  async function drained(): Promise<void> {
    expect((await tsx('bin/ops.ts', 'pending', '--wait')).code).toBe(0);
  }

  async function calls(): Promise<SimCall[]> {
    const answer = await fetch(`${wellhub}/_sim/calls`);
    return ((await answer.json()) as { calls: SimCall[] }).calls.filter((call) =>
      call.path.startsWith('/booking/'),
    );
  }

  async function simState() {
    return (await (await fetch(`${wellhub}/_sim/state`)).json()) as {
      // Each with Wellhub's own fields at the top level, next to its id.
      classes: Array<Record<string, unknown> & { id: number }>;
      slots: Array<Record<string, unknown> & { id: number; class_id: number; deleted_at?: string }>;
      bookings: Array<{ booking_number: string; status: string }>;
    };
  }

  const inHours = (hours: number) =>
    new Date(Date.now() + hours * 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const classBody = { gym_id: GYM, name: 'Yoga', description: 'Vinyasa flow', product_id: PRODUCT };
  const slotBody = (hours: number, overrides: Record<string, unknown> = {}) => ({
    class_reference: 'yoga',
    occur_date: inHours(hours),
    length_in_minutes: 60,
    room: 'Studio A',
    total_capacity: 10,
    booked_elsewhere: 1,
    ...overrides,
  });

  it('refuses the gym API without its token, and says so in the banner', async () => {
    expect(service.stderr()).toContain(`Bearer ${GYM_TOKEN}`);
    expect((await gym('GET', '/gym/classes/yoga', undefined, null)).status).toBe(401);
    expect((await gym('GET', '/gym/classes/yoga', undefined, 'wrong')).status).toBe(401);
  });

  it('publishes a class and a slot written through the gym API, every field right', async () => {
    expect((await gym('PUT', '/gym/classes/yoga', classBody)).status).toBe(200);
    const body = slotBody(30);
    expect((await gym('PUT', '/gym/slots/yoga-mon', body)).status).toBe(200);
    await drained();
    const slot = (await gym('GET', '/gym/slots/yoga-mon')).body;
    expect(slot).toMatchObject({ total_booked: 1, sync: { state: 'published' }, bookings: [] });
    const state = await simState();
    const atWellhub = state.slots.find((s) => String(s.id) === slot.wellhub_slot_id);
    expect(atWellhub).toEqual({
      id: atWellhub?.id,
      gym_id: Number(GYM),
      class_id: atWellhub?.class_id,
      created_at: expect.any(String),
      occur_date: body.occur_date,
      room: 'Studio A',
      status: 1,
      length_in_minutes: 60,
      total_capacity: 10,
      total_booked: 1,
      product_id: PRODUCT,
    });
    const cls = state.classes.find((c) => c.id === atWellhub?.class_id);
    expect(cls).toEqual({
      id: atWellhub?.class_id,
      gym_id: Number(GYM),
      created_at: expect.any(String),
      name: 'Yoga',
      description: 'Vinyasa flow',
      bookable: true,
      visible: true,
      product_id: PRODUCT,
      reference: 'yoga',
    });
  });

  it('sends an edit as a PUT and a change of counts as a PATCH', async () => {
    const id = (await gym('GET', '/gym/slots/yoga-mon')).body.wellhub_slot_id;
    const before = (await calls()).length;
    await gym('PUT', '/gym/slots/yoga-mon', slotBody(30, { room: 'Studio B' }));
    await drained();
    await gym('PATCH', '/gym/slots/yoga-mon', { booked_elsewhere: 4, total_capacity: 12 });
    await drained();
    const made = (await calls()).slice(before);
    expect(made.map((call) => `${call.method} ${call.path.replace(/\d+/g, 'N')}`)).toEqual([
      'PUT /booking/vN/gyms/N/classes/N/slots/N',
      'PATCH /booking/vN/gyms/N/classes/N/slots/N',
    ]);
    expect(made[0]?.path.endsWith(`/slots/${id}`)).toBe(true);
    expect(made[0]?.body).toMatchObject({ room: 'Studio B', total_booked: 1, total_capacity: 10 });
    expect(made[1]?.body).toEqual({ total_capacity: 12, total_booked: 4 });
  });

  it('cancels a slot: DELETE at Wellhub, and its Wellhub bookings CANCELED_BY_GYM', async () => {
    await gym('PUT', '/gym/slots/yoga-tue', slotBody(54));
    await drained();
    const slot = (await gym('GET', '/gym/slots/yoga-tue')).body;
    const booked = await tsx('bin/simulate.ts', 'book', '--slot', String(slot.wellhub_slot_id));
    expect(booked.code).toBe(0);
    const number = String(booked.out.booking.booking_number);
    await drained();
    expect((await gym('GET', '/gym/slots/yoga-tue')).body.bookings).toEqual([
      expect.objectContaining({
        booking_number: number,
        wellhub_id: expect.any(String),
        name: expect.any(String),
      }),
    ]);

    const canceled = await tsx('bin/ops.ts', 'slot', 'cancel', 'yoga-tue');
    expect(canceled.out).toMatchObject({ changed: true, slot: { status: 'canceled' } });
    await drained();
    const state = await simState();
    expect(state.slots.find((s) => String(s.id) === slot.wellhub_slot_id)?.deleted_at).toBeDefined();
    expect(state.bookings.find((b) => b.booking_number === number)?.status).toBe('CANCELLED_BY_GYM');
    expect((await gym('GET', `/gym/bookings/${number}`)).body).toMatchObject({ status: 'CANCELED_BY_GYM' });
    expect((await tsx('bin/ops.ts', 'slot', 'yoga-tue')).out).toMatchObject({
      status: 'canceled',
      sync: { state: 'published' },
      bookings: [expect.objectContaining({ booking_number: number, status: 'CANCELED_BY_GYM' })],
    });
  });

  it('holds a slot beyond the horizon back, saying when it goes out', async () => {
    await gym('PUT', '/gym/slots/yoga-far', slotBody(20 * 24));
    await drained();
    const slot = (await gym('GET', '/gym/slots/yoga-far')).body;
    expect(slot.wellhub_slot_id).toBeUndefined();
    expect(slot.sync).toMatchObject({ state: 'pending', publish_at: expect.any(String) });
  });

  it('imports a whole schedule, and importing it again makes no call', async () => {
    const file = join(service.dataDir, 'schedule.json');
    writeFileSync(
      file,
      JSON.stringify({
        classes: [{ reference: 'pilates', ...classBody, name: 'Pilates' }],
        slots: [1, 2, 3].map((n) => ({
          reference: `pilates-${n}`,
          ...slotBody(24 * n, { class_reference: 'pilates' }),
        })),
      }),
    );
    const first = await tsx('bin/ops.ts', 'schedule', 'import', file);
    expect(first.out).toEqual({ classes: { changed: 1, unchanged: 0 }, slots: { changed: 3, unchanged: 0 } });
    await drained();
    const before = (await calls()).length;
    const second = await tsx('bin/ops.ts', 'schedule', 'import', file);
    expect(second.out).toEqual({
      classes: { changed: 0, unchanged: 1 },
      slots: { changed: 0, unchanged: 3 },
    });
    await drained();
    expect((await calls()).length).toBe(before);
    expect((await tsx('bin/ops.ts', 'slot', 'pilates-2')).out).toMatchObject({
      sync: { state: 'published' },
    });
    expect((await tsx('bin/ops.ts', 'drift')).out).toEqual([]);
  });
});
