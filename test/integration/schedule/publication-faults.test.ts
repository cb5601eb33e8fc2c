import { reconcile } from '#lib/jobs/reconcile';
import { failures } from '#lib/ops/pipeline';
import { GYM, validSlot } from '../../support/local-wellhub';
import {
  classBody,
  type ScheduleHarness,
  scheduleHarness,
  slotBody,
  uniqueRef,
} from '../../support/schedule';

const MINUTE = 60_000;

/**
 * CONTRACT §9, §10, §13: Wellhub down, an answer lost, a slot deleted or added behind our back. The
 * clock is moved for the sweeper rather than waited for.
 */
describe('publishing the schedule when Wellhub misbehaves', () => {
  let h: ScheduleHarness;
  beforeAll(async () => {
    // A client timeout short enough for the delay fault to outlast it.
    h = await scheduleHarness({ timeoutMs: 800 });
  });
  afterAll(() => h.close());
  afterEach(() => h.wellhub.faults.clear());

  const CLASSES = '/booking/v1/gyms/*/classes';
  const SLOTS = '/booking/v1/gyms/*/classes/*/slots';

  async function published(cls: string, ref: string) {
    await h.gym('PUT', `/gym/classes/${cls}`, classBody());
    await h.gym('PUT', `/gym/slots/${ref}`, slotBody(cls));
    await h.drain();
    const slot = (await h.gym('GET', `/gym/slots/${ref}`)).body;
    expect(slot.sync).toMatchObject({ state: 'published' });
    return slot;
  }

  function liveSlotsAt(occurDate: string) {
    return [...h.wellhub.state.slots.values()].filter(
      (slot) => !slot.deleted_at && Date.parse(String(slot.fields.occur_date)) === Date.parse(occurDate),
    );
  }

  it('publishes everything once Wellhub is back after two minutes down', async () => {
    for (const path of [CLASSES, SLOTS]) h.wellhub.faults.add({ path, status: 503, count: 1_000 });
    const [cls, ref] = [uniqueRef('down'), uniqueRef('down')];
    await h.gym('PUT', `/gym/classes/${cls}`, classBody());
    await h.gym('PUT', `/gym/slots/${ref}`, slotBody(cls));
    await h.drain();
    const failing = (await h.gym('GET', `/gym/classes/${cls}`)).body;
    expect(failing).toMatchObject({
      sync: { state: 'pending', wellhub_error: expect.stringContaining('503') },
      attempts: 1,
    });

    await h.sweep(new Date(Date.now() + MINUTE));
    expect((await h.gym('GET', `/gym/classes/${cls}`)).body.sync).toMatchObject({ state: 'pending' });

    h.wellhub.faults.clear();
    await h.sweep(new Date(Date.now() + 2 * MINUTE + 30_000));
    await h.drain();
    await h.sweep(new Date(Date.now() + 3 * MINUTE + 30_000));
    await h.drain();
    const cl = (await h.gym('GET', `/gym/classes/${cls}`)).body;
    const slot = (await h.gym('GET', `/gym/slots/${ref}`)).body;
    expect(cl.sync).toMatchObject({ state: 'published' });
    expect(slot.sync).toMatchObject({ state: 'published' });
    expect([...h.wellhub.state.classes.values()].filter((c) => c.fields.reference === cls)).toHaveLength(1);
    expect(liveSlotsAt(String(slot.occur_date))).toHaveLength(1);
  });

  it('makes exactly one slot when the answer to its create is lost', async () => {
    const cls = uniqueRef('lost');
    await h.gym('PUT', `/gym/classes/${cls}`, classBody());
    await h.drain();
    h.wellhub.faults.add({ method: 'POST', path: SLOTS, delay_ms: 1_500 });
    const ref = uniqueRef('lost');
    const body = slotBody(cls, {}, 30);
    await h.gym('PUT', `/gym/slots/${ref}`, body);
    await h.drain();
    expect((await h.gym('GET', `/gym/slots/${ref}`)).body).toMatchObject({
      attempts: 1,
      sync: { state: 'pending' },
    });
    // The delayed create lands at Wellhub after the client gave up on it.
    const until = Date.now() + 5_000;
    while (liveSlotsAt(String(body.occur_date)).length === 0 && Date.now() < until)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(liveSlotsAt(String(body.occur_date))).toHaveLength(1);

    await h.sweep(new Date(Date.now() + 2 * MINUTE));
    const slot = (await h.gym('GET', `/gym/slots/${ref}`)).body;
    expect(slot.sync).toMatchObject({ state: 'published' });
    const live = liveSlotsAt(String(body.occur_date));
    expect(live).toHaveLength(1);
    expect(String(live[0]?.id)).toBe(slot.wellhub_slot_id);
    expect(
      h
        .callsTo('POST')
        .filter(
          (call) =>
            call.path.endsWith('/slots') &&
            call.body &&
            (call.body as Record<string, unknown>).occur_date === body.occur_date,
        ),
    ).toHaveLength(1);
  });

  it('creates again, under a new id, a slot deleted at Wellhub behind our back', async () => {
    const [cls, ref] = [uniqueRef('gone'), uniqueRef('gone')];
    const slot = await published(cls, ref);
    const classId = (await h.gym('GET', `/gym/classes/${cls}`)).body.wellhub_class_id;
    const deleted = await h.raw(
      'DELETE',
      `/booking/v1/gyms/${GYM}/classes/${classId}/slots/${slot.wellhub_slot_id}`,
    );
    expect(deleted.status).toBe(204);

    const report = await reconcile(h.pipeline);
    expect(report.recreated).toBeGreaterThanOrEqual(1);
    await h.drain();
    const again = (await h.gym('GET', `/gym/slots/${ref}`)).body;
    expect(again.sync).toMatchObject({ state: 'published' });
    expect(again.wellhub_slot_id).not.toBe(slot.wellhub_slot_id);
    expect(again.previous_wellhub_slot_ids).toEqual([slot.wellhub_slot_id]);
    expect(liveSlotsAt(String(slot.occur_date))).toHaveLength(1);
    // A booking request for either id still finds the slot.
    expect((await h.store.schedule.slotByWellhubId(String(again.wellhub_slot_id)))?.reference).toBe(ref);
    expect((await h.store.schedule.slotByWellhubId(String(slot.wellhub_slot_id)))?.reference).toBe(ref);
  });

  it('sends the counts again when Wellhub holds other ones', async () => {
    const [cls, ref] = [uniqueRef('drift'), uniqueRef('drift')];
    const slot = await published(cls, ref);
    const classId = (await h.gym('GET', `/gym/classes/${cls}`)).body.wellhub_class_id;
    const path = `/booking/v1/gyms/${GYM}/classes/${classId}/slots/${slot.wellhub_slot_id}`;
    expect((await h.raw('PATCH', path, { total_booked: 9, total_capacity: 10 })).status).toBe(204);

    const report = await reconcile(h.pipeline);
    expect(report.resent).toBeGreaterThanOrEqual(1);
    await h.drain();
    expect(h.wellhub.state.slots.get(Number(slot.wellhub_slot_id))?.fields).toMatchObject({
      total_capacity: 12,
      total_booked: 2,
    });
  });

  it('reports a slot it never created and leaves it alone', async () => {
    const [cls, ref] = [uniqueRef('strange'), uniqueRef('strange')];
    await published(cls, ref);
    const classId = (await h.gym('GET', `/gym/classes/${cls}`)).body.wellhub_class_id;
    const stranger = await h.raw(
      'POST',
      `/booking/v1/gyms/${GYM}/classes/${classId}/slots`,
      validSlot(Date.now(), { room: 'Back room' }, 40),
    );
    expect(stranger.status).toBe(201);
    const strangerId = String((stranger.body as { results: Array<{ id: number }> }).results[0]?.id);

    const report = await reconcile(h.pipeline);
    expect(report.strangers).toBeGreaterThanOrEqual(1);
    const drift = await h.store.schedule.drift([String(GYM)]);
    expect(drift).toContainEqual(
      expect.objectContaining({ wellhub_slot_id: strangerId, wellhub_class_id: String(classId) }),
    );
    expect(h.wellhub.state.slots.get(Number(strangerId))?.deleted_at).toBeUndefined();
    expect(h.callsTo('DELETE').filter((call) => call.path.endsWith(`/${strangerId}`))).toEqual([]);
  });

  it('marks a change Wellhub refuses as failed, with Wellhub’s reason, for ops failures', async () => {
    const cls = uniqueRef('refused');
    await h.gym('PUT', `/gym/classes/${cls}`, classBody({ product_id: 999 }));
    await h.drain();
    const shown = (await h.gym('GET', `/gym/classes/${cls}`)).body;
    expect(shown.sync).toMatchObject({ state: 'failed', wellhub_error: expect.stringContaining('product') });
    expect(await failures({ store: h.store })).toContainEqual(
      expect.objectContaining({
        kind: 'class',
        reference: cls,
        wellhub_error: expect.stringContaining('400'),
      }),
    );
    // Fixed by the gym: the new revision is published.
    await h.gym('PUT', `/gym/classes/${cls}`, classBody());
    await h.drain();
    expect((await h.gym('GET', `/gym/classes/${cls}`)).body.sync).toMatchObject({ state: 'published' });
  });

  it('gives a slot held back for the horizon its hour of retries from when it goes out', async () => {
    const [cls, ref] = [uniqueRef('hzn'), uniqueRef('hzn')];
    await h.gym('PUT', `/gym/classes/${cls}`, classBody());
    await h.gym('PUT', `/gym/slots/${ref}`, slotBody(cls, {}, 20 * 24));
    await h.drain();
    h.wellhub.faults.add({ method: 'POST', path: SLOTS, status: 503, count: 100 });
    await h.sweep(new Date(Date.now() + 6 * 24 * 60 * MINUTE + MINUTE));
    expect((await h.gym('GET', `/gym/slots/${ref}`)).body).toMatchObject({
      attempts: 1,
      sync: { state: 'pending' },
    });
  });

  it('fails at once a slot that started before it could be published', async () => {
    const [cls, ref] = [uniqueRef('past'), uniqueRef('past')];
    await h.gym('PUT', `/gym/classes/${cls}`, classBody());
    await h.gym('PUT', `/gym/slots/${ref}`, slotBody(cls, {}, 1));
    await h.drain();
    // Its class could not be published meanwhile: the slot waited, and now it has started.
    const slot = await h.store.schedule.getSlot(ref);
    if (!slot) throw new Error('no slot');
    await h.store.schedule.saveSlot(
      {
        ...slot,
        wellhub_slot_id: undefined,
        occur_date: new Date(Date.now() - MINUTE).toISOString(),
      } as never,
      slot,
      new Date(),
    );
    await h.drain();
    expect((await h.gym('GET', `/gym/slots/${ref}`)).body).toMatchObject({
      attempts: 1,
      sync: { state: 'failed', wellhub_error: expect.stringContaining('started') },
    });
  });
});
