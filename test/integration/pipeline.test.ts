import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import type { EventChange } from '#lib/bookings/apply-event';
import type { EventRecord } from '#lib/bookings/records';
import { runJob } from '#lib/jobs/router';
import { failures, retry } from '#lib/ops/pipeline';
import { sweep } from '#lib/pipeline/sweeper';
import { streamWorker } from '#lib/pipeline/worker';
import type { DynamoDbStore } from '#lib/store/dynamodb-store';
import { keys } from '#lib/store/table';
import { startCountingProxy } from '../support/counting-proxy';
import { bookingEvent } from '../support/fixtures';
import { lambdaContext, webhookHarness } from '../support/harness';

const requested = (bookingNumber: string, wellhubId = '4440000000001') =>
  bookingEvent('booking-requested', { bookingNumber, wellhubId });
const MINUTE = 60_000;

/** The stream record Lambda would hand the worker for an item as it is stored now. */
async function streamEventOf(store: DynamoDbStore, bookingNumber: string): Promise<DynamoDBStreamEvent> {
  return streamEventOfEvents(store, [`evt-${bookingNumber}`]);
}

/** One batch of the stream holding these received events, in this order. */
async function streamEventOfEvents(store: DynamoDbStore, eventKeys: string[]): Promise<DynamoDBStreamEvent> {
  const records = await Promise.all(
    eventKeys.map(async (eventKey, n) => {
      const [record] = await store.getEvents(eventKey);
      if (!record) throw new Error(`no event ${eventKey}`);
      const key = keys.event({ type: record.event_type, id: record.event_key });
      const item = { ...key, kind: 'event', ...record };
      return {
        eventID: String(n + 1),
        eventName: 'INSERT' as const,
        eventSource: 'aws:dynamodb',
        dynamodb: {
          Keys: marshall(key) as never,
          NewImage: marshall(item, { removeUndefinedValues: true }) as never,
          SequenceNumber: String(100 + n),
          StreamViewType: 'NEW_AND_OLD_IMAGES' as const,
        },
      };
    }),
  );
  return { Records: records };
}

describe('the request path (CONTRACT §4)', () => {
  it('makes exactly one DynamoDB call for a new event and one for each retry', async () => {
    const proxy = await startCountingProxy(process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '');
    const { deliver } = await webhookHarness({ stream: false, inboxEndpoint: proxy.endpoint });
    try {
      const body = requested('BK_ONE_CALL');
      expect((await deliver('booking-requested', { body })).body.status).toBe('accepted');
      expect(proxy.operations).toEqual(['PutItem']);

      proxy.reset();
      expect((await deliver('booking-requested', { body })).body.status).toBe('duplicate');
      expect(proxy.operations).toEqual(['PutItem']);
    } finally {
      await proxy.stop();
    }
  });
});

describe('the worker and the sweeper (CONTRACT §9)', () => {
  it('changes nothing when the same stream record is delivered twice', async () => {
    const harness = await webhookHarness({ stream: false });
    await harness.deliver('booking-requested', { body: requested('BK_TWICE') });
    const record = await streamEventOf(harness.store, 'BK_TWICE');
    const context = lambdaContext('booking-requested', 'worker-test');

    const first = await harness.worker(record, context);
    const applied = await harness.store.getBooking('BK_TWICE');
    const second = await harness.worker(record, context);

    expect(first.batchItemFailures).toEqual([]);
    expect(second.batchItemFailures).toEqual([]);
    expect(applied?.history).toHaveLength(1);
    expect(await harness.store.getBooking('BK_TWICE')).toEqual(applied);
  });

  it('applies an event once when the stream and the sweeper run it at the same moment', async () => {
    const harness = await webhookHarness({ stream: false });
    await harness.deliver('booking-requested', { body: requested('BK_RACE_SWEEP', '4440000000002') });
    const record = await streamEventOf(harness.store, 'BK_RACE_SWEEP');
    const [due] = await harness.store.dueWork(new Date(Date.now() + MINUTE), 10);
    if (!due) throw new Error('the event is not due');

    // The sweeper's own step for a due item, at the same moment as the stream's delivery.
    const [byStream, bySweeper] = await Promise.all([
      harness.worker(record, lambdaContext('booking-requested', 'worker-race')),
      runJob(due, harness.pipeline, 'sweeper'),
    ]);

    expect(byStream.batchItemFailures).toEqual([]);
    expect(['applied', 'done']).toContain(bySweeper.outcome);
    const booking = await harness.store.getBooking('BK_RACE_SWEEP');
    expect(booking?.history).toHaveLength(1);
    expect(booking?.version).toBe(1);
    expect((await harness.store.getEvents('evt-BK_RACE_SWEEP'))[0]?.state).toBe('APPLIED');
    // Only its booking's answer is still owed (this harness calls no Wellhub): nothing applied again.
    expect((await harness.sweep(new Date(Date.now() + MINUTE))).outcomes.applied).toBeUndefined();
  });

  describe('events of one booking handed over together apply in the order received (CONTRACT §6)', () => {
    /**
     * The cancellation's write is held back until the late cancellation's has been made, or for
     * HOLD_MS: applied side by side, the later event would land first and win.
     */
    const HOLD_MS = 300;
    async function canceledThenLateCanceled(bookingNumber: string, wellhubId: string) {
      const harness = await webhookHarness({ stream: false });
      const changes = { bookingNumber, wellhubId };
      await harness.deliver('booking-canceled', {
        body: bookingEvent('booking-canceled', { ...changes, eventId: `evt-${bookingNumber}-canceled` }),
      });
      await harness.deliver('booking-late-canceled', {
        body: bookingEvent('booking-late-canceled', { ...changes, eventId: `evt-${bookingNumber}-late` }),
      });
      let lateTried: () => void = () => undefined;
      const lateTriedOnce = new Promise<void>((resolve) => {
        lateTried = resolve;
      });
      const store = harness.pipeline.store;
      const holding = new Proxy(store, {
        get(target, property) {
          if (property === 'commitApplied') {
            return async (change: EventChange, at: Date) => {
              if (!change.key.id.endsWith('-late')) {
                await Promise.race([lateTriedOnce, new Promise((r) => setTimeout(r, HOLD_MS))]);
                return target.commitApplied(change, at);
              }
              const result = await target.commitApplied(change, at);
              lateTried();
              return result;
            };
          }
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      return { harness, pipeline: { ...harness.pipeline, store: holding } };
    }

    async function expectCanceledFirst(store: DynamoDbStore, bookingNumber: string) {
      const booking = await store.getBooking(bookingNumber);
      expect(booking?.status).toBe('CANCELED');
      expect(booking?.history.map((entry) => [entry.event_type, entry.conflict ?? false])).toEqual([
        ['booking-canceled', false],
        ['booking-late-canceled', true],
      ]);
    }

    it('in one stream batch', async () => {
      const { harness, pipeline } = await canceledThenLateCanceled('BK_ORDER_STREAM', '4440000000301');
      const batch = await streamEventOfEvents(harness.store, [
        'evt-BK_ORDER_STREAM-canceled',
        'evt-BK_ORDER_STREAM-late',
      ]);

      const result = await streamWorker(() => pipeline)(batch, lambdaContext('booking-canceled', 'order'));

      expect(result.batchItemFailures).toEqual([]);
      await expectCanceledFirst(harness.store, 'BK_ORDER_STREAM');
    });

    it('in one sweep', async () => {
      const { harness, pipeline } = await canceledThenLateCanceled('BK_ORDER_SWEEP', '4440000000302');

      const report = await sweep({ ...pipeline, now: () => new Date(Date.now() + MINUTE) });

      expect(report.outcomes.applied).toBe(2);
      await expectCanceledFirst(harness.store, 'BK_ORDER_SWEEP');
    });
  });

  it('leaves a just-received event to the stream, and sweeps it once it is 30 s old', async () => {
    const harness = await webhookHarness({ stream: false });
    await harness.deliver('booking-requested', { body: requested('BK_SWEPT', '4440000000003') });

    expect((await harness.sweep(new Date())).due).toBe(0);
    expect(await harness.store.getBooking('BK_SWEPT')).toBeUndefined();

    const report = await harness.sweep(new Date(Date.now() + 31_000));
    expect(report.outcomes).toEqual({ applied: 1 });
    expect((await harness.store.getBooking('BK_SWEPT'))?.status).toBe('REQUESTED');
    expect((await harness.sweep(new Date(Date.now() + 2 * MINUTE))).outcomes.applied).toBeUndefined();
  });

  it('applies through the stream a booking request that carries no personal data', async () => {
    const harness = await webhookHarness();
    const anonymous = bookingEvent('booking-requested', {
      bookingNumber: 'BK_NO_PERSON',
      wellhubId: '4440000000005',
      data: (data) => {
        data.user = { unique_token: '4440000000005' };
      },
    });
    await harness.deliver('booking-requested', { body: anonymous });

    await harness.drain(10_000);

    expect((await harness.store.getEvents('evt-BK_NO_PERSON'))[0]?.state).toBe('APPLIED');
    expect((await harness.store.getBooking('BK_NO_PERSON'))?.status).toBe('REQUESTED');
  });

  it('applies an event received while the worker was stopped once the stream starts again', async () => {
    const harness = await webhookHarness();
    await harness.deliver('booking-requested', { body: requested('BK_BEFORE_STOP', '4440000000004') });
    await harness.drain();
    await harness.stopStream();

    await harness.deliver('booking-requested', { body: requested('BK_WHILE_STOPPED', '4440000000004') });
    expect((await harness.store.getEvents('evt-BK_WHILE_STOPPED'))[0]?.state).toBe('RECEIVED');
    await harness.startStream();
    await harness.drain();

    expect((await harness.store.getBooking('BK_WHILE_STOPPED'))?.status).toBe('REQUESTED');
    expect((await harness.store.getBooking('BK_BEFORE_STOP'))?.history).toHaveLength(1);
  });

  it('marks an event whose apply always throws FAILED after its attempts, without delaying the rest', async () => {
    const harness = await webhookHarness();
    // A record no code path writes: its stored body is not an event, so applying it throws every time.
    const broken = brokenEvent('evt-BROKEN');
    await harness.store.receive({ type: 'booking-requested', id: 'evt-BROKEN' }, broken, new Date());
    for (const n of [1, 2, 3]) {
      await harness.deliver('booking-requested', { body: requested(`BK_BEHIND_${n}`, `444000000010${n}`) });
    }
    await harness.drain();

    for (const n of [1, 2, 3])
      expect((await harness.store.getBooking(`BK_BEHIND_${n}`))?.status).toBe('REQUESTED');
    const [afterStream] = await harness.store.getEvents('evt-BROKEN');
    expect(afterStream).toMatchObject({ state: 'RECEIVED', attempts: 1 });
    expect(afterStream?.last_error).toMatch(/^BadRequest: event_data/);

    let at = Date.now();
    for (
      let sweeps = 0;
      sweeps < 10 && (await harness.store.getEvents('evt-BROKEN'))[0]?.state !== 'FAILED';
      sweeps++
    ) {
      at += 20 * MINUTE;
      await harness.sweep(new Date(at));
    }

    const [failed] = await harness.store.getEvents('evt-BROKEN');
    expect(failed).toMatchObject({ state: 'FAILED', attempts: 5 });
    expect(await failures({ store: harness.store })).toEqual([
      expect.objectContaining({ event_key: 'evt-BROKEN', attempts: 5, last_error: failed?.last_error }),
    ]);
    expect((await harness.sweep(new Date(at + 60 * MINUTE))).failed).toBe(1);
  });

  it('settles an event left to the sweeper behind more owed answers than one sweep takes', async () => {
    // This runner has no Wellhub client: every booking's answer stays owed, due since its request.
    const harness = await webhookHarness();
    for (let n = 0; n < 210; n++) {
      await harness.deliver('booking-requested', {
        body: requested(`BK_OWED_${n}`, `4440000${String(n).padStart(6, '0')}`),
      });
    }
    await harness.drain();
    const body = requested('BK_BEHIND', '4440000000400');
    await harness.deliver('booking-requested', { body });
    await harness.drain();
    // Its first apply failed: from then on only the sweeper runs it, due after every answer owed.
    await harness.stopStream();
    const key = { type: 'booking-canceled' as const, id: 'evt-BK_BEHIND-cancel' };
    await harness.deliver('booking-canceled', {
      body: bookingEvent('booking-canceled', { bookingNumber: 'BK_BEHIND', eventId: key.id }),
    });
    const retried = await harness.store.recordFailedAttempt(key, 0, {
      attempts: 1,
      error: 'Unavailable: DynamoDB call failed: TimeoutError',
      at: new Date(),
      retryAt: new Date(Date.now() + MINUTE),
    });
    expect(retried).toBe(true);

    await harness.settle(30_000);

    expect((await harness.store.getEvents(key.id))[0]?.state).toBe('APPLIED');
    expect((await harness.store.getBooking('BK_BEHIND'))?.status).toBe('CANCELED');
  }, 120_000);

  it('re-drives a failed event with ops retry, and applies it once its cause is gone', async () => {
    const harness = await webhookHarness({ stream: false });
    const key = { type: 'booking-requested' as const, id: 'evt-BK_RETRIED' };
    const body = requested('BK_RETRIED', '4440000000201');
    await harness.deliver('booking-requested', { body });
    const [received] = await harness.store.getEvents('evt-BK_RETRIED');
    if (!received) throw new Error('not received');
    // Failed for a cause since fixed: the stored record is intact.
    for (let attempt = 0; attempt < 5; attempt++) {
      await harness.store.recordFailedAttempt(key, attempt, {
        attempts: attempt + 1,
        error: 'Unavailable: DynamoDB call failed: TimeoutError',
        at: new Date(),
        retryAt: attempt < 4 ? new Date(Date.now() + MINUTE) : undefined,
      });
    }
    expect((await harness.store.getEvents('evt-BK_RETRIED'))[0]?.state).toBe('FAILED');

    const result = await retry({ store: harness.store, pipeline: harness.pipeline }, 'evt-BK_RETRIED');

    expect(result).toMatchObject({ outcome: 'applied', state: 'APPLIED' });
    expect((await harness.store.getBooking('BK_RETRIED'))?.status).toBe('REQUESTED');
    expect(await failures({ store: harness.store })).toEqual([]);
    await expect(
      retry({ store: harness.store, pipeline: harness.pipeline }, 'evt-BK_RETRIED'),
    ).rejects.toThrow('event evt-BK_RETRIED has not failed (APPLIED)');
  });
});

function brokenEvent(eventKey: string): EventRecord {
  const now = new Date();
  return {
    event_key: eventKey,
    event_id: eventKey,
    event_type: 'booking-requested',
    route: '/booking/requested',
    request_id: 'test-broken',
    received_at: now.toISOString(),
    occurred_at: now.toISOString(),
    wellhub_id: '4440000000100',
    gym_id: '1',
    booking_number: 'BK_BROKEN',
    raw_body: '{"event_type":"booking-requested"}',
    raw_body_base64: false,
    expires_at: Math.floor(now.getTime() / 1000) + 86_400,
    state: 'RECEIVED',
  };
}
