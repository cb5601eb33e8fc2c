import { bookingOrderKey, EarlierEventFailed, oneBookingAtATime } from '#lib/pipeline/booking-order';

/** A job that finishes only when the test says so, and records when it started. */
function gate(name: string, started: string[]) {
  let open: () => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const done = new Promise<string>((resolve, reject) => {
    open = () => resolve(name);
    fail = reject;
  });
  return {
    run: () => {
      started.push(name);
      return done;
    },
    open,
    fail,
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('events of one booking, one after another', () => {
  it('starts a booking’s later event only once its earlier one has finished', async () => {
    const started: string[] = [];
    const inTurn = oneBookingAtATime();
    const canceled = gate('canceled', started);
    const late = gate('late', started);
    const first = inTurn('BK1', canceled.run);
    const second = inTurn('BK1', late.run);
    await settle();
    expect(started).toEqual(['canceled']);
    canceled.open();
    await expect(first).resolves.toBe('canceled');
    await settle();
    expect(started).toEqual(['canceled', 'late']);
    late.open();
    await expect(second).resolves.toBe('late');
  });

  it('runs other bookings, and items of no booking, side by side', async () => {
    const started: string[] = [];
    const inTurn = oneBookingAtATime();
    const held = gate('BK1', started);
    const other = gate('BK2', started);
    const none = gate('publication', started);
    const jobs = [inTurn('BK1', held.run), inTurn('BK2', other.run), inTurn(undefined, none.run)];
    await settle();
    expect(started).toEqual(['BK1', 'BK2', 'publication']);
    for (const job of [held, other, none]) job.open();
    await expect(Promise.all(jobs)).resolves.toEqual(['BK1', 'BK2', 'publication']);
  });

  it('fails a later event of a booking whose earlier one failed, without running it', async () => {
    const started: string[] = [];
    const inTurn = oneBookingAtATime();
    const canceled = gate('canceled', started);
    const first = inTurn('BK1', canceled.run);
    const second = inTurn('BK1', gate('late', started).run);
    canceled.fail(new Error('store unavailable'));
    await expect(first).rejects.toThrow('store unavailable');
    await expect(second).rejects.toBeInstanceOf(EarlierEventFailed);
    expect(started).toEqual(['canceled']);
  });

  it('orders received events by their booking, and nothing else', () => {
    expect(bookingOrderKey({ kind: 'event', booking_number: 'BK1' })).toBe('BK1');
    expect(bookingOrderKey({ kind: 'event', event_type: 'checkin' })).toBeUndefined();
    // The answer to a booking calls Wellhub and may wait on its retries: it never holds up an event.
    expect(bookingOrderKey({ kind: 'booking', booking_number: 'BK1' })).toBeUndefined();
    expect(bookingOrderKey({ kind: 'slot', reference: 'S1' })).toBeUndefined();
  });
});
