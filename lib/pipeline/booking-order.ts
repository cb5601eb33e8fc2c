/**
 * Events of one booking are applied in the order they were received, one after another, while
 * everything else runs side by side. The first terminal event wins (CONTRACT §6), so a late
 * cancellation received after a cancellation must not be applied before it just because both were
 * handed over at once (one stream batch, or one sweep).
 */

export class EarlierEventFailed extends Error {
  override readonly name = 'EarlierEventFailed';
}

/** The booking an item's job must wait its turn for: received Wellhub events that name one. */
export function bookingOrderKey(item: Record<string, unknown>): string | undefined {
  return item.kind === 'event' && typeof item.booking_number === 'string' ? item.booking_number : undefined;
}

/**
 * A queue per booking, for one batch: `run` starts once every earlier job of the same booking has
 * settled. When one of them threw, the later one throws too instead of overtaking it, so both are
 * retried in their order. Jobs are queued in the order this is called.
 */
export function oneBookingAtATime() {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string | undefined, run: () => Promise<T>): Promise<T> => {
    if (key === undefined) return run();
    const earlier = tails.get(key);
    const job =
      earlier === undefined
        ? run()
        : earlier.then(run, () => {
            throw new EarlierEventFailed(`an earlier event of booking ${key} failed; this one waits for it`);
          });
    tails.set(key, job);
    return job;
  };
}
