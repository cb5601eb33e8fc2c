/**
 * A local Wellhub per test file, a client pointed at it, and a raw HTTP helper for asserting the
 * simulator's own answers. Everything goes over real HTTP on 127.0.0.1.
 */
import { type LocalWellhub, type LocalWellhubOptions, startLocalWellhub } from '#lib/local-wellhub/server';
import { WellhubClient } from '#lib/wellhub-api/client';

/** Distinctive so that the log audit can prove it never reaches a log line. */
export const WELLHUB_TEST_TOKEN = 'wellhub-test-token-7f3a9c';
export const GYM = 100001;
export const PRODUCT = 100001;

export interface Raw {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Headers;
}

export async function localWellhub(options: Partial<LocalWellhubOptions> = {}) {
  const wellhub: LocalWellhub = await startLocalWellhub({ token: WELLHUB_TEST_TOKEN, ...options });
  const client = (overrides: { token?: string | undefined; timeoutMs?: number; baseUrl?: string } = {}) =>
    new WellhubClient({
      baseUrl: overrides.baseUrl ?? wellhub.url,
      setupBaseUrl: wellhub.url,
      tokens: { token: async () => ('token' in overrides ? overrides.token : WELLHUB_TEST_TOKEN) },
      timeoutMs: overrides.timeoutMs ?? 2000,
      now: wellhub.clock.now,
    });

  /** A raw call, authorized with the test token unless `headers.authorization` says otherwise. */
  async function raw(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Raw> {
    const response = await fetch(`${wellhub.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${WELLHUB_TEST_TOKEN}`,
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text === '' ? undefined : JSON.parse(text),
      headers: response.headers,
    };
  }

  return { wellhub, client, raw };
}

export function validClass(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Cycle',
    description: 'Indoor cycling, 45 minutes',
    bookable: true,
    visible: true,
    product_id: PRODUCT,
    reference: 'cycle-1',
    ...overrides,
  };
}

/** A slot `hoursAhead` from the simulator's now, in local time with an offset. */
export function validSlot(
  now: number,
  overrides: Record<string, unknown> = {},
  hoursAhead = 2,
): Record<string, unknown> {
  return {
    occur_date: withOffset(now + hoursAhead * 3_600_000, '+01:00'),
    length_in_minutes: 45,
    total_capacity: 12,
    total_booked: 0,
    product_id: PRODUCT,
    room: 'Studio 1',
    ...overrides,
  };
}

/** `2026-12-10T18:00:00+01:00` for an instant and an offset of whole hours. */
export function withOffset(epochMs: number, offset: '+01:00' | '-03:00'): string {
  const hours = Number(offset.slice(0, 3));
  const local = new Date(Math.floor(epochMs / 1000) * 1000 + hours * 3_600_000).toISOString().slice(0, 19);
  return `${local}${offset}`;
}
