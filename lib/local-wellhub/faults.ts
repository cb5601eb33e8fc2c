/**
 * Injected failures: the next N calls matching a method and a path pattern answer a given status
 * (with an optional `Retry-After` and body), wait first (to provoke client timeouts), stall their
 * body after the headers, or lose their connection. Set through `POST /_sim/faults`.
 */
export interface FaultSpec {
  /** Any method when absent. */
  readonly method?: string;
  /** `/booking/v1/gyms/{gym_id}/classes`: `{name}` or `*` matches any one segment. */
  readonly path: string;
  /** How many matching calls it applies to (default 1). */
  readonly count?: number;
  readonly status?: number;
  readonly retry_after?: string | number;
  readonly body?: unknown;
  /** Wait this long before answering (the real answer, or `status`). */
  readonly delay_ms?: number;
  /** Send the headers, then wait this long before the body. */
  readonly body_delay_ms?: number;
  /** Close the connection without answering. */
  readonly drop?: boolean;
}

export interface ActiveFault extends FaultSpec {
  remaining: number;
}

export class Faults {
  private readonly active: ActiveFault[] = [];

  /** Throws with a message fit for a 400 when the spec does not make sense. */
  add(spec: unknown): ActiveFault {
    const fault = checkFault(spec);
    this.active.push(fault);
    return fault;
  }

  clear(): void {
    this.active.length = 0;
  }

  list(): readonly ActiveFault[] {
    return this.active;
  }

  /** The first fault matching this call, used up by one; undefined when none applies. */
  take(method: string, path: string): FaultSpec | undefined {
    const index = this.active.findIndex(
      (fault) => (fault.method === undefined || fault.method === method) && matchesPattern(fault.path, path),
    );
    const fault = this.active[index];
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.active.splice(index, 1);
    return fault;
  }
}

export function matchesPattern(pattern: string, path: string): boolean {
  const want = pattern.split('?')[0]?.split('/') ?? [];
  const got = path.split('/');
  if (want.length !== got.length) return false;
  return want.every((segment, i) => segment === '*' || /^\{\w+\}$/.test(segment) || segment === got[i]);
}

function checkFault(spec: unknown): ActiveFault {
  if (typeof spec !== 'object' || spec === null) throw new Error('a fault is a JSON object');
  const s = spec as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof s.path !== 'string' || !s.path.startsWith('/')) problems.push('path must start with /');
  if (s.method !== undefined && typeof s.method !== 'string') problems.push('method must be a string');
  for (const name of ['count', 'status', 'delay_ms', 'body_delay_ms']) {
    const value = s[name];
    if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 0))
      problems.push(`${name} must be a non-negative integer`);
  }
  if (s.status !== undefined && ((s.status as number) < 100 || (s.status as number) > 599))
    problems.push('status must be an HTTP status');
  if (s.drop !== undefined && typeof s.drop !== 'boolean') problems.push('drop must be a boolean');
  if (s.status === undefined && s.delay_ms === undefined && s.body_delay_ms === undefined && s.drop !== true)
    problems.push('give at least one of status, delay_ms, body_delay_ms or drop');
  if (problems.length > 0) throw new Error(problems.join('; '));
  const number = (name: string) => (typeof s[name] === 'number' ? { [name]: s[name] as number } : {});
  return {
    path: s.path as string,
    ...(typeof s.method === 'string' ? { method: s.method.toUpperCase() } : {}),
    ...number('status'),
    ...number('delay_ms'),
    ...number('body_delay_ms'),
    ...(typeof s.retry_after === 'string' || typeof s.retry_after === 'number'
      ? { retry_after: s.retry_after }
      : {}),
    ...(s.body !== undefined ? { body: s.body } : {}),
    ...(s.drop === true ? { drop: true } : {}),
    remaining: typeof s.count === 'number' ? s.count : 1,
  };
}
