import {
  classBody,
  type ScheduleHarness,
  scheduleHarness,
  slotBody,
  uniqueRef,
} from '../../support/schedule';

/** CONTRACT §14: bad input is a 400 naming the field, an unknown reference 404, seats taken 409. */
describe('the gym API', () => {
  let h: ScheduleHarness;
  let cls: string;
  beforeAll(async () => {
    h = await scheduleHarness();
    cls = uniqueRef('api');
    expect((await h.gym('PUT', `/gym/classes/${cls}`, classBody())).status).toBe(200);
  });
  afterAll(() => h.close());

  it.each([
    ['a reference over 20 characters', 'slots/abcdefghijklmnopqrstu', {}, 'reference'],
    ['a reference with a space', 'slots/a%20b', {}, 'reference'],
    ['a length_in_minutes of 0', 'slots/len0', { length_in_minutes: 0 }, 'length_in_minutes'],
    ['a length_in_minutes of 201', 'slots/len201', { length_in_minutes: 201 }, 'length_in_minutes'],
    ['a date without an offset', 'slots/nooffset', { occur_date: '2099-12-10T18:00:00' }, 'occur_date'],
    ['a capacity over 32000', 'slots/big', { total_capacity: 32_001 }, 'total_capacity'],
    ['a one-letter room', 'slots/room', { room: 'A' }, 'room'],
    ['an unknown class', 'slots/orphan', { class_reference: 'no-such-class' }, 'class_reference'],
    ['booked_elsewhere over capacity', 'slots/over', { booked_elsewhere: 13 }, 'booked_elsewhere'],
    [
      'a window that closes before it opens',
      'slots/window',
      { booking_window: { opens_at: '2099-01-02T00:00:00Z', closes_at: '2099-01-01T00:00:00Z' } },
      'booking_window',
    ],
  ])('refuses %s with a 400 naming the field', async (_case, path, overrides, field) => {
    const answer = await h.gym('PUT', `/gym/${path}`, slotBody(cls, overrides));
    expect(answer.status).toBe(400);
    expect(answer.body.message).toEqual(expect.stringContaining(field));
  });

  it.each([
    ['a class without a name', { name: undefined }, 'missing_field', 'name'],
    ['a class with an empty description', { description: '  ' }, 'invalid_field', 'description'],
    ['a class with a name over 255 characters', { name: 'x'.repeat(256) }, 'invalid_field', 'name'],
    ['a class with a product id that is not a number', { product_id: 'abc' }, 'invalid_field', 'product_id'],
    ['a class with a field Wellhub does not know', { colour: 'red' }, 'invalid_field', 'colour'],
  ])('refuses %s with a 400 naming the field', async (_case, overrides, code, field) => {
    const answer = await h.gym('PUT', `/gym/classes/${uniqueRef('bad')}`, classBody(overrides));
    expect(answer).toEqual({ status: 400, body: { error: code, message: expect.stringContaining(field) } });
  });

  it('refuses a body that is not JSON, saying where it broke', async () => {
    const answer = await h.gym('PUT', `/gym/classes/${uniqueRef('json')}`, '{"name": ');
    expect(answer).toEqual({
      status: 400,
      body: { error: 'invalid_json', message: expect.stringContaining('JSON') },
    });
  });

  it('accepts ids as numbers and keeps them as strings', async () => {
    const ref = uniqueRef('num');
    const answer = await h.gym(
      'PUT',
      `/gym/classes/${ref}`,
      classBody({ gym_id: 100001, product_id: 100001 }),
    );
    expect(answer.body).toMatchObject({ gym_id: '100001', product_id: '100001', sync: { state: 'pending' } });
  });

  it('answers 404 for an unknown class, slot or booking, and 405 for a method a route does not take', async () => {
    expect((await h.gym('GET', '/gym/classes/nope')).status).toBe(404);
    expect((await h.gym('GET', '/gym/slots/nope')).status).toBe(404);
    expect((await h.gym('PATCH', '/gym/slots/nope', { booked_elsewhere: 1 })).status).toBe(404);
    expect((await h.gym('POST', '/gym/slots/nope/cancel')).status).toBe(404);
    expect((await h.gym('GET', '/gym/bookings/BK_NOPE')).status).toBe(404);
    expect((await h.gym('GET', '/gym/nothing-here')).status).toBe(404);
    expect((await h.gym('DELETE', `/gym/classes/${cls}`)).status).toBe(405);
  });

  it('refuses a capacity below the seats taken with 409, and keeps the slot as it was', async () => {
    const ref = uniqueRef('full');
    await h.gym('PUT', `/gym/slots/${ref}`, slotBody(cls, { total_capacity: 5, booked_elsewhere: 3 }));
    const patch = await h.gym('PATCH', `/gym/slots/${ref}`, { total_capacity: 2 });
    expect(patch).toEqual({
      status: 409,
      body: { error: 'conflict', message: expect.stringContaining('seats taken') },
    });
    const put = await h.gym(
      'PUT',
      `/gym/slots/${ref}`,
      slotBody(cls, { total_capacity: 2, booked_elsewhere: 3 }),
    );
    expect(put.status).toBe(400);
    expect((await h.gym('GET', `/gym/slots/${ref}`)).body).toMatchObject({
      total_capacity: 5,
      booked_elsewhere: 3,
    });
  });

  it('counts Wellhub seats as taken: a PATCH may not squeeze them out', async () => {
    const ref = uniqueRef('seats');
    await h.gym('PUT', `/gym/slots/${ref}`, slotBody(cls, { total_capacity: 5, booked_elsewhere: 1 }));
    await h.drain();
    // Two Wellhub members hold seats (what an answered booking request records on the slot).
    const slot = await h.store.schedule.getSlot(ref);
    if (!slot) throw new Error('no slot');
    expect(await h.store.schedule.saveSlot({ ...slot, wellhub_reserved: 2 }, slot, new Date())).toBe(true);
    expect((await h.gym('PATCH', `/gym/slots/${ref}`, { booked_elsewhere: 4 })).status).toBe(409);
    expect((await h.gym('PATCH', `/gym/slots/${ref}`, { booked_elsewhere: 3 })).status).toBe(200);
    expect((await h.gym('GET', `/gym/slots/${ref}`)).body).toMatchObject({ total_booked: 5 });
  });

  it('refuses to move a published slot to another class, and to create a slot in the past', async () => {
    const ref = uniqueRef('move');
    await h.gym('PUT', `/gym/slots/${ref}`, slotBody(cls));
    await h.drain();
    const other = uniqueRef('other');
    await h.gym('PUT', `/gym/classes/${other}`, classBody());
    expect((await h.gym('PUT', `/gym/slots/${ref}`, slotBody(other))).status).toBe(409);
    expect((await h.gym('PUT', `/gym/slots/${uniqueRef('past')}`, slotBody(cls, {}, -1))).status).toBe(400);
  });

  it('lifts a Wellhub limit with null, and refuses a PATCH of anything but the counts', async () => {
    const ref = uniqueRef('limit');
    await h.gym('PUT', `/gym/slots/${ref}`, slotBody(cls, { wellhub_limit: 4 }));
    expect((await h.gym('PATCH', `/gym/slots/${ref}`, { wellhub_limit: null })).body).not.toHaveProperty(
      'wellhub_limit',
    );
    const answer = await h.gym('PATCH', `/gym/slots/${ref}`, { room: 'Studio 9' });
    expect(answer.status).toBe(400);
    expect((await h.gym('PATCH', `/gym/slots/${ref}`, {})).status).toBe(400);
  });
});
