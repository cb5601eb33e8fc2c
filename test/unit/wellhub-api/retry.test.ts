import type { WellhubOutcome } from '#lib/wellhub-api/outcome';
import { nextAttemptAt, retryUntilDeadline, retryWellhubCall } from '#lib/wellhub-api/retry';

const BACKOFF = { baseMs: 100, capMs: 1000 };
const NOW = 1_000_000;

describe('nextAttemptAt', () => {
  it('draws the wait from [0, base * 2^(attempt - 1)] with full jitter', () => {
    const at = (attempt: number, random: number) =>
      nextAttemptAt(attempt, NOW, { deadline: NOW + 60_000, backoff: BACKOFF, random: () => random });

    expect([1, 2, 3, 4].map((attempt) => at(attempt, 0.999_999))).toEqual([
      NOW + 99,
      NOW + 199,
      NOW + 399,
      NOW + 799,
    ]);
    expect(at(3, 0)).toBe(NOW);
    expect(at(3, 0.5)).toBe(NOW + 200);
  });

  it('never draws from a window wider than the cap, however many attempts failed', () => {
    const at = nextAttemptAt(5000, NOW, {
      deadline: NOW + 60_000,
      backoff: BACKOFF,
      random: () => 0.999_999,
    });

    expect(at).toBe(NOW + 999);
  });

  it('waits at least Retry-After, even when the jitter draws less', () => {
    const at = nextAttemptAt(1, NOW, {
      deadline: NOW + 60_000,
      backoff: BACKOFF,
      retryAfterMs: 5000,
      random: () => 0,
    });

    expect(at).toBe(NOW + 5000);
  });

  it('keeps the jitter when it is longer than Retry-After', () => {
    const at = nextAttemptAt(4, NOW, {
      deadline: NOW + 60_000,
      backoff: BACKOFF,
      retryAfterMs: 10,
      random: () => 0.5,
    });

    expect(at).toBe(NOW + 400);
  });

  it('gives up when the next attempt would come after the deadline', () => {
    const options = { backoff: BACKOFF, random: () => 0.5 };

    expect(nextAttemptAt(2, NOW, { ...options, deadline: NOW + 100 })).toBe(NOW + 100);
    expect(nextAttemptAt(2, NOW, { ...options, deadline: NOW + 99 })).toBeUndefined();
    expect(
      nextAttemptAt(1, NOW, { ...options, deadline: NOW + 60_000, retryAfterMs: 61_000 }),
    ).toBeUndefined();
  });
});

describe('retryUntilDeadline (fake timers)', () => {
  beforeEach(() => jest.useFakeTimers({ now: NOW }));
  afterEach(() => jest.useRealTimers());

  const retry = (): WellhubOutcome<string> => ({ kind: 'retry', reason: 'server_error', status: 503 });
  const done = (): WellhubOutcome<string> => ({ kind: 'done', status: 200, body: 'ok' });

  it('retries until the call succeeds, sleeping the drawn wait between attempts', async () => {
    const results = [retry(), retry(), done()];
    const startedAt: number[] = [];
    const call = async (attempt: number) => {
      startedAt.push(Date.now());
      return results[attempt - 1] ?? done();
    };

    const running = retryWellhubCall(call, { deadline: NOW + 60_000, backoff: BACKOFF, random: () => 0.5 });
    await jest.runAllTimersAsync();
    const outcome = await running;

    expect(outcome).toEqual({ result: done(), attempts: 3, exhausted: false });
    expect(startedAt).toEqual([NOW, NOW + 50, NOW + 150]);
  });

  it('passes the attempt number to the call, for its log line', async () => {
    const seen: number[] = [];
    const running = retryWellhubCall(
      async (attempt) => {
        seen.push(attempt);
        return attempt < 4 ? retry() : done();
      },
      { deadline: NOW + 60_000, backoff: BACKOFF, random: () => 0 },
    );
    await jest.runAllTimersAsync();
    await running;

    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('does not retry refused, adopted or done outcomes', async () => {
    const refused: WellhubOutcome<string> = { kind: 'refused', status: 400, error: { fields: [], keys: [] } };
    const adopt: WellhubOutcome<string> = { kind: 'adopt', status: 409, error: { fields: [], keys: [] } };
    for (const result of [refused, adopt, done()]) {
      const call = jest.fn(async () => result);
      const outcome = await retryWellhubCall(call, { deadline: NOW + 60_000 });
      expect(outcome).toEqual({ result, attempts: 1, exhausted: false });
    }
  });

  it('honours Retry-After from the outcome', async () => {
    const startedAt: number[] = [];
    const running = retryWellhubCall(
      async (attempt) => {
        startedAt.push(Date.now());
        return attempt === 1
          ? { kind: 'retry', reason: 'throttled', status: 429, retryAfterMs: 7000 }
          : done();
      },
      { deadline: NOW + 60_000, backoff: BACKOFF, random: () => 0 },
    );
    await jest.runAllTimersAsync();
    await running;

    expect(startedAt).toEqual([NOW, NOW + 7000]);
  });

  it('stops at the deadline and says the last result still wanted a retry', async () => {
    const call = jest.fn(async () => retry());
    const running = retryWellhubCall(call, { deadline: NOW + 1000, backoff: BACKOFF, random: () => 0.999 });
    await jest.runAllTimersAsync();
    const outcome = await running;

    expect(outcome.exhausted).toBe(true);
    expect(outcome.result).toEqual(retry());
    // Waits of 99, 199, 399 ms fit before the deadline (697 ms in); the next (799 ms) would not.
    expect(call).toHaveBeenCalledTimes(4);
    expect(Date.now()).toBeLessThanOrEqual(NOW + 1000);
  });

  it('stops after maxAttempts even with time left', async () => {
    const call = jest.fn(async () => retry());
    const running = retryWellhubCall(call, { deadline: NOW + 60_000, maxAttempts: 2, random: () => 0 });
    await jest.runAllTimersAsync();

    expect(await running).toMatchObject({ attempts: 2, exhausted: true });
  });

  it('uses the injected clock and sleep instead of timers when given', async () => {
    let clock = NOW;
    const sleeps: number[] = [];
    const outcome = await retryUntilDeadline(async (attempt) => attempt, {
      classify: (attempt) => (attempt < 3 ? { retry: true } : { retry: false }),
      deadline: NOW + 60_000,
      backoff: BACKOFF,
      random: () => 0.5,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    });

    expect(outcome).toEqual({ result: 3, attempts: 3, exhausted: false });
    expect(sleeps).toEqual([50, 100]);
  });
});
