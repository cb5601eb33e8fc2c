import { GYM, PRODUCT } from '../../support/local-wellhub';
import {
  classBody,
  type ScheduleHarness,
  scheduleHarness,
  slotBody,
  uniqueRef,
} from '../../support/schedule';

const DAY = 24 * 3_600_000;

/**
 * CONTRACT §10: what the gym writes through the gym API reaches the local Wellhub, as the one call it
 * calls for, with every field right; a change that changes nothing makes no call.
 */
describe('publishing the gym schedule to Wellhub', () => {
  let h: ScheduleHarness;
  beforeAll(async () => {
    h = await scheduleHarness();
  });
  afterAll(() => h.close());

  async function publishedClass(reference = uniqueRef('cls')) {
    const put = await h.gym('PUT', `/gym/classes/${reference}`, classBody());
    expect(put.status).toBe(200);
    await h.drain();
    return reference;
  }

  it('creates the class at Wellhub with every field and keeps its id', async () => {
    const reference = await publishedClass();
    const [post] = h
      .callsTo('POST')
      .filter((call) => call.body && JSON.stringify(call.body).includes(reference));
    expect(post?.body).toEqual({
      classes: [
        {
          name: 'Cycle',
          description: 'Indoor cycling, 45 minutes',
          notes: 'Bring a towel',
          bookable: true,
          visible: true,
          product_id: PRODUCT,
          reference,
          categories: [3],
        },
      ],
    });
    const shown = await h.gym('GET', `/gym/classes/${reference}`);
    expect(shown.body.sync).toMatchObject({ state: 'published' });
    const id = Number(shown.body.wellhub_class_id);
    expect(h.wellhub.state.classes.get(id)?.fields.reference).toBe(reference);
  });

  it('creates the slot under the class with total_booked = wellhub_reserved + booked_elsewhere', async () => {
    const cls = await publishedClass();
    const ref = uniqueRef('slot');
    const body = slotBody(cls, {
      booking_window: { opens_at: '2026-01-01T00:00:00Z', closes_at: '2099-01-01T00:00:00+01:00' },
      cancellable_until: '2099-01-01T00:00:00+01:00',
    });
    expect((await h.gym('PUT', `/gym/slots/${ref}`, body)).status).toBe(200);
    await h.drain();
    const shown = await h.gym('GET', `/gym/slots/${ref}`);
    expect(shown.body).toMatchObject({ status: 'active', total_booked: 2, sync: { state: 'published' } });
    const atWellhub = h.wellhub.state.slots.get(Number(shown.body.wellhub_slot_id));
    expect(atWellhub?.fields).toEqual({
      occur_date: body.occur_date,
      room: 'Studio 1',
      status: 1,
      length_in_minutes: 45,
      total_capacity: 12,
      total_booked: 2,
      product_id: PRODUCT,
      booking_window: body.booking_window,
      cancellable_until: body.cancellable_until,
      instructors: [{ name: 'Ana', substitute: false }],
    });
    const classAtWellhub = (await h.gym('GET', `/gym/classes/${cls}`)).body.wellhub_class_id;
    expect(String(atWellhub?.class_id)).toBe(classAtWellhub);
  });

  it('publishes a slot written before its class is at Wellhub right after the class', async () => {
    const cls = uniqueRef('late');
    const ref = uniqueRef('slot');
    // The slot needs its class in our records, not yet at Wellhub: both are written before a drain.
    await h.gym('PUT', `/gym/classes/${cls}`, classBody());
    await h.gym('PUT', `/gym/slots/${ref}`, slotBody(cls));
    await h.drain();
    await h.drain();
    const shown = await h.gym('GET', `/gym/slots/${ref}`);
    expect(shown.body.sync).toMatchObject({ state: 'published' });
  });

  it('sends an edited class as a PUT, and a class written again unchanged makes no call', async () => {
    const cls = await publishedClass();
    const before = h.wellhub.calls.length;
    expect((await h.gym('PUT', `/gym/classes/${cls}`, classBody())).status).toBe(200);
    await h.drain();
    expect(h.wellhub.calls.length).toBe(before);

    await h.gym('PUT', `/gym/classes/${cls}`, classBody({ name: 'Cycle 60', notes: undefined }));
    await h.drain();
    const classId = (await h.gym('GET', `/gym/classes/${cls}`)).body.wellhub_class_id;
    const puts = h.callsTo('PUT').filter((call) => call.path.endsWith(`/classes/${classId}`));
    expect(puts).toHaveLength(1);
    expect(puts[0]?.body).toMatchObject({ name: 'Cycle 60', reference: cls });
    expect(puts[0]?.body).not.toHaveProperty('notes');
  });

  it('sends an edited slot as a PUT and a change of counts as a PATCH with the right totals', async () => {
    const cls = await publishedClass();
    const ref = uniqueRef('slot');
    await h.gym('PUT', `/gym/slots/${ref}`, slotBody(cls));
    await h.drain();
    const id = String((await h.gym('GET', `/gym/slots/${ref}`)).body.wellhub_slot_id);

    await h.gym('PUT', `/gym/slots/${ref}`, slotBody(cls, { room: 'Studio 2' }));
    await h.drain();
    const put = h.callsTo('PUT').filter((call) => call.path.endsWith(`/slots/${id}`));
    expect(put).toHaveLength(1);
    expect(put[0]?.body).toMatchObject({ room: 'Studio 2', total_booked: 2, total_capacity: 12 });

    expect((await h.gym('PATCH', `/gym/slots/${ref}`, { booked_elsewhere: 5 })).status).toBe(200);
    await h.drain();
    expect((await h.gym('PATCH', `/gym/slots/${ref}`, { total_capacity: 20 })).status).toBe(200);
    await h.drain();
    const patches = h.callsTo('PATCH').filter((call) => call.path.endsWith(`/slots/${id}`));
    expect(patches.map((call) => call.body)).toEqual([
      { total_capacity: 12, total_booked: 5 },
      { total_capacity: 20, total_booked: 5 },
    ]);
    expect(h.wellhub.state.slots.get(Number(id))?.fields).toMatchObject({
      total_capacity: 20,
      total_booked: 5,
    });
  });

  it('deletes a canceled slot at Wellhub and cancels its Wellhub bookings by the gym', async () => {
    const cls = await publishedClass();
    const ref = uniqueRef('slot');
    await h.gym('PUT', `/gym/slots/${ref}`, slotBody(cls));
    await h.drain();
    const id = String((await h.gym('GET', `/gym/slots/${ref}`)).body.wellhub_slot_id);
    const booked = await h.wellhub.acting.book({ slotId: Number(id), receiverUrl: 'http://127.0.0.1:9' });
    if (!booked.ok) throw new Error(booked.error);
    const bookingNumber = booked.record.booking_number;
    const event = booked.delivery.body as Record<string, unknown>;
    expect((await h.deliver('booking-requested', { body: event })).status).toBe(200);
    await h.drain();
    expect((await h.gym('GET', `/gym/slots/${ref}`)).body.bookings).toEqual([
      expect.objectContaining({ booking_number: bookingNumber, status: 'RESERVED' }),
    ]);

    const canceled = await h.gym('POST', `/gym/slots/${ref}/cancel`);
    expect(canceled.body).toMatchObject({ status: 'canceled', sync: { state: 'pending' } });
    await h.drain();
    expect(h.callsTo('DELETE').map((call) => call.path)).toContainEqual(
      expect.stringMatching(new RegExp(`/slots/${id}$`)),
    );
    expect(h.wellhub.state.slots.get(Number(id))?.deleted_at).toBeDefined();
    const booking = await h.gym('GET', `/gym/bookings/${bookingNumber}`);
    expect(booking.body.status).toBe('CANCELED_BY_GYM');
    expect(booking.body.history).toContainEqual(expect.objectContaining({ event_type: 'gym-canceled-slot' }));
    expect((await h.gym('GET', `/gym/slots/${ref}`)).body.sync).toMatchObject({ state: 'published' });
    // Canceled for good: it can no longer be edited.
    expect((await h.gym('PATCH', `/gym/slots/${ref}`, { booked_elsewhere: 1 })).status).toBe(409);
  });

  it('publishes a slot beyond the horizon only once the horizon reaches it', async () => {
    const cls = await publishedClass();
    const ref = uniqueRef('far');
    await h.gym('PUT', `/gym/slots/${ref}`, slotBody(cls, {}, 20 * 24));
    await h.drain();
    const waiting = await h.gym('GET', `/gym/slots/${ref}`);
    expect(waiting.body.wellhub_slot_id).toBeUndefined();
    expect(waiting.body.sync).toMatchObject({ state: 'pending', publish_at: expect.any(String) });
    const publishAt = Date.parse(String((waiting.body.sync as Record<string, string>).publish_at));
    expect(Math.abs(publishAt - (Date.now() + 6 * DAY))).toBeLessThan(60_000);

    await h.sweep(new Date(Date.now() + 5 * DAY));
    expect((await h.gym('GET', `/gym/slots/${ref}`)).body.wellhub_slot_id).toBeUndefined();
    await h.sweep(new Date(Date.now() + 6 * DAY + 60_000));
    const published = await h.gym('GET', `/gym/slots/${ref}`);
    expect(published.body.sync).toMatchObject({ state: 'published' });
    expect(h.wellhub.state.slots.get(Number(published.body.wellhub_slot_id))?.gym_id).toBe(GYM);
  });

  it('lists a gym’s slots in a time range, in order', async () => {
    const cls = await publishedClass();
    const [early, late] = [uniqueRef('early'), uniqueRef('late')];
    await h.gym('PUT', `/gym/slots/${late}`, slotBody(cls, {}, 50));
    await h.gym('PUT', `/gym/slots/${early}`, slotBody(cls, {}, 49));
    const from = new Date(Date.now() + 48.5 * 3_600_000).toISOString();
    const to = new Date(Date.now() + 50.5 * 3_600_000).toISOString();
    const listed = await h.gym('GET', `/gym/slots?gym_id=${GYM}&from=${from}&to=${to}`);
    expect((listed.body.slots as Array<{ reference: string }>).map((slot) => slot.reference)).toEqual([
      early,
      late,
    ]);
  });
});
