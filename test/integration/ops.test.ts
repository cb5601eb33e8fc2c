import * as ops from '#lib/ops/commands';
import * as pipelineOps from '#lib/ops/pipeline';
import { bookingEvent } from '../support/fixtures';
import { type Harness, webhookHarness } from '../support/harness';

const bookingFor = (wellhubId: string, bookingNumber: string) =>
  bookingEvent('booking-requested', { wellhubId, bookingNumber });

describe('ops commands', () => {
  let harness: Harness;
  let customerId: string;
  beforeAll(async () => {
    harness = await webhookHarness();
    await harness.deliver('booking-requested', { body: bookingFor('5550000000001', 'BK_OPS_1') });
    await harness.drain();
    customerId = (await ops.customer({ store: harness.store }, '5550000000001')).customer_id;
  });

  it('shows a booking with its identity first and its history', async () => {
    const shown = await ops.booking({ store: harness.store }, 'BK_OPS_1');

    expect(Object.keys(shown).slice(0, 7)).toEqual([
      'booking_number',
      'status',
      'gym_id',
      'slot_id',
      'class_id',
      'wellhub_id',
      'customer_id',
    ]);
    expect(shown.history).toEqual([
      expect.objectContaining({ event_type: 'booking-requested', event_id: 'evt-BK_OPS_1' }),
    ]);
  });

  it('shows a stored event with its raw body', async () => {
    const shown = await pipelineOps.event({ store: harness.store }, 'evt-BK_OPS_1');

    expect(shown).toMatchObject({
      event_type: 'booking-requested',
      state: 'APPLIED',
      route: '/booking/requested',
      booking_number: 'BK_OPS_1',
      booking_status: 'REQUESTED',
    });
    expect(Object.keys(shown as object).slice(0, 4)).toEqual([
      'event_key',
      'event_id',
      'event_type',
      'state',
    ]);
    expect(shown).not.toHaveProperty('work_queue');
    expect(JSON.parse(String((shown as { raw_body: string }).raw_body))).toMatchObject({
      event_type: 'booking-requested',
    });
  });

  it('links a second Wellhub ID to an existing customer, and later bookings from it attach there', async () => {
    const linked = await ops.link({ store: harness.store }, customerId, '5550000000002');
    await harness.deliver('booking-requested', { body: bookingFor('5550000000002', 'BK_OPS_2') });

    expect(linked).toEqual({ customer_id: customerId, wellhub_id: '5550000000002', linked: true });
    await harness.drain();
    expect((await harness.store.getBooking('BK_OPS_2'))?.customer_id).toBe(customerId);
    expect((await ops.customer({ store: harness.store }, '5550000000002')).wellhub_ids).toEqual([
      '5550000000001',
      '5550000000002',
    ]);
  });

  it('refuses to link a Wellhub ID that already belongs to a customer, naming the owner', async () => {
    await expect(ops.link({ store: harness.store }, 'someone-else', '5550000000001')).rejects.toThrow(
      `Wellhub ID 5550000000001 is already attached to customer ${customerId}`,
    );
  });

  it('refuses to link to a customer that does not exist', async () => {
    await expect(ops.link({ store: harness.store }, 'no-such-customer', '5550000000003')).rejects.toThrow(
      'customer no-such-customer does not exist',
    );
    await expect(ops.customer({ store: harness.store }, '5550000000003')).rejects.toThrow(/no customer/);
  });

  it('reports only the answers still owed once the pipeline has drained, and nothing failed', async () => {
    // This harness has no Wellhub client: its two booking requests stay owed an answer, and counted.
    expect(await pipelineOps.pending({ store: harness.store })).toEqual({
      pending: 2,
      waiting_for_retry: 0,
      oldest_due_at: expect.any(String),
    });
    expect(await pipelineOps.failures({ store: harness.store })).toEqual([]);
  });

  it('says what is missing rather than printing nothing', async () => {
    await expect(ops.booking({ store: harness.store }, 'BK_NONE')).rejects.toThrow('no booking BK_NONE');
    await expect(pipelineOps.event({ store: harness.store }, 'evt-none')).rejects.toThrow(
      'no event evt-none',
    );
    await expect(ops.replay({ store: harness.store, webhook: harness.deps }, 'q-none')).rejects.toThrow(
      'no quarantined request q-none',
    );
  });
});
