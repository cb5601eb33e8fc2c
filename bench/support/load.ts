/**
 * One load run: autocannon sends a fixed list of signed events, each exactly once, over `connections`
 * keep-alive connections. Latencies come from autocannon's per-response event (high resolution)
 * rather than its histogram, which rounds to whole milliseconds: at loopback latencies of a few
 * milliseconds that rounding would swamp the ratios.
 */
import autocannon from 'autocannon';
import type { SignedEvent } from './events';
import { percentile } from './stats';

export interface LoadResult {
  readonly requests: number;
  readonly connections: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly requestsPerSecond: number;
  /** `status` field of each 200 answer (`accepted`, `duplicate`), or the HTTP status otherwise. */
  readonly outcomes: Readonly<Record<string, number>>;
  readonly errors: number;
  /** True when the run hit its time limit before every event was sent. */
  readonly cutShort: boolean;
}

export const WEBHOOK_PATH = '/booking/requested';

export async function fire(
  url: string,
  events: readonly SignedEvent[],
  connections: number,
  limitMs: number,
): Promise<LoadResult> {
  let next = 0;
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const started = performance.now();
  let lastAnswer = started;
  let settle: (outcome: { error: unknown; result: autocannon.Result | undefined }) => void = () => {};
  const finished = new Promise<{ error: unknown; result: autocannon.Result | undefined }>((resolve) => {
    settle = resolve;
  });
  const instance = autocannon(
    {
      url,
      connections,
      amount: events.length,
      timeout: 10,
      requests: [
        {
          method: 'POST',
          path: WEBHOOK_PATH,
          setupRequest: (request) => {
            // autocannon may prepare a request it will not send; a spare event keeps it distinct.
            const event = events[Math.min(next++, events.length - 1)];
            if (!event) throw new Error('no events to send');
            return {
              ...request,
              body: event.body,
              headers: { 'content-type': 'application/json', 'x-gympass-signature': event.signature },
            };
          },
          onResponse: (status, body) => {
            const outcome = status === 200 ? statusOf(body) : String(status);
            outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
          },
        },
      ],
    },
    (error: unknown, result: autocannon.Result | undefined) => settle({ error, result }),
  );
  instance.on('response', (_client, _status, _bytes, responseTime) => {
    latencies.push(responseTime);
    lastAnswer = performance.now();
  });
  const cutOff = setTimeout(() => instance.stop(), limitMs);
  const { error, result } = await finished;
  clearTimeout(cutOff);
  if (error || !result) throw new Error(`autocannon failed: ${String(error)}`);
  // Up to the last answer: autocannon only notices the end of a run at its next one-second tick.
  const elapsedSeconds = (lastAnswer - started) / 1000;

  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    connections,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? Number.NaN,
    requestsPerSecond: latencies.length / elapsedSeconds,
    outcomes,
    errors: result.errors,
    cutShort: latencies.length < events.length,
  };
}

function statusOf(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && 'status' in parsed) return String(parsed.status);
  } catch {
    // Not JSON: counted as such below.
  }
  return 'unparseable';
}
