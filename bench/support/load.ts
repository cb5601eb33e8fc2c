/**
 * One load run: autocannon sends a fixed list of signed events, each exactly once, over `connections`
 * keep-alive connections. Latencies come from autocannon's per-response event (high resolution)
 * rather than its histogram, which rounds to whole milliseconds: at loopback latencies of a few
 * milliseconds that rounding would swamp the ratios.
 */
import { Agent, request } from 'node:http';
import autocannon from 'autocannon';
import type { SignedEvent } from './events';
import { percentile, sortedCopy } from './stats';

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

/**
 * `answeredAt`, when given, gets the wall-clock moment (epoch ms, the clock every process of the
 * machine shares) each 200 answer arrived, keyed by the `event_id` it answered for.
 */
export async function fire(
  url: string,
  events: readonly SignedEvent[],
  connections: number,
  limitMs: number,
  answeredAt?: Map<string, number>,
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
            // Read first: parsing the body must not count as time the pipeline took.
            const now = Date.now();
            const answer = status === 200 ? answerOf(body) : undefined;
            const outcome = answer?.status ?? String(status);
            outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
            if (answeredAt && answer?.eventId !== undefined) answeredAt.set(answer.eventId, now);
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

/**
 * Keep-alive connections for `fireAtOnce`, one per request of a round, so that a round opens none
 * (the first, unmeasured rounds do).
 */
export function roundAgent(size: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: size, maxFreeSockets: size, scheduling: 'fifo' });
}

export interface RoundAnswers {
  /** Time from sending to the end of the answer, per request, in the order the answers came. */
  readonly latencies: readonly number[];
  /** As `LoadResult.outcomes`, with `error` for a request that got no answer at all. */
  readonly outcomes: Readonly<Record<string, number>>;
}

/**
 * One round of simultaneous requests: every event sent at the same moment, each on a connection of
 * its own, as when that many members book at once. Not autocannon: it only notices the end of a run
 * at its next one-second tick, which would set the pace of the rounds. `answeredAt` as in `fire`.
 */
export async function fireAtOnce(
  url: string,
  events: readonly SignedEvent[],
  agent: Agent,
  timeoutMs: number,
  answeredAt?: Map<string, number>,
): Promise<RoundAnswers> {
  const target = new URL(WEBHOOK_PATH, url);
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const count = (outcome: string) => {
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  };
  const one = (event: SignedEvent) =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const sent = request(
        target,
        {
          method: 'POST',
          agent,
          timeout: timeoutMs,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(event.body),
            'x-gympass-signature': event.signature,
          },
        },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            body += chunk;
          });
          response.on('end', () => {
            // Read first, as in `fire`: parsing the body is not time the pipeline took.
            const now = Date.now();
            latencies.push(performance.now() - started);
            const answer = response.statusCode === 200 ? answerOf(body) : undefined;
            count(answer?.status ?? String(response.statusCode));
            if (answeredAt && answer?.eventId !== undefined) answeredAt.set(answer.eventId, now);
            resolve();
          });
        },
      );
      sent.on('timeout', () => sent.destroy(new Error('timed out')));
      sent.on('error', () => {
        count('error');
        resolve();
      });
      sent.end(event.body);
    });
  await Promise.all(events.map(one));
  return { latencies, outcomes };
}

/** A `LoadResult` over several rounds of `fireAtOnce` (no rate: the rounds set it). */
export function roundsResult(rounds: readonly RoundAnswers[], connections: number, sent: number): LoadResult {
  const latencies = sortedCopy(rounds.flatMap((round) => round.latencies));
  const outcomes: Record<string, number> = {};
  for (const round of rounds)
    for (const [outcome, count] of Object.entries(round.outcomes))
      outcomes[outcome] = (outcomes[outcome] ?? 0) + count;
  return {
    requests: latencies.length,
    connections,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? Number.NaN,
    requestsPerSecond: Number.NaN,
    outcomes,
    errors: outcomes.error ?? 0,
    cutShort: latencies.length < sent,
  };
}

/** The `status` and `event_id` of a 200 answer. */
function answerOf(body: string): { status: string; eventId?: string } {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && 'status' in parsed) {
      const eventId = 'event_id' in parsed ? parsed.event_id : undefined;
      return { status: String(parsed.status), ...(typeof eventId === 'string' ? { eventId } : {}) };
    }
  } catch {
    // Not JSON: counted as such below.
  }
  return { status: 'unparseable' };
}
