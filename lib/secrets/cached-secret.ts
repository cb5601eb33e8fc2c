import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { Unavailable } from '#lib/errors';

/**
 * A Secrets Manager value, parsed and cached: the webhook secret and the Wellhub API token share this
 * one cache, so both follow a change within `maxAgeSeconds` without a cold start.
 */
export interface CachedSecret<T> {
  value(): Promise<T>;
}

export interface CachedSecretOptions<T> {
  readonly secretId: string;
  readonly maxAgeSeconds: number;
  /** Turns the stored string into what callers use; throws when the value is not usable. */
  readonly parse: (secretString: string) => T;
  /** What the secret is, for error messages ("the webhook secret"); never its value. */
  readonly label: string;
}

/** Per attempt (two attempts): a fetch that takes longer than this is treated as a failure. */
const FETCH_TIMEOUT_MS = 350;

/**
 * Cached for `maxAgeSeconds`, then read again, so that a rotation lands within minutes without a
 * cold start. Only the clock drives a fetch: a bad signature or a refused call never does, so
 * callers cannot make us hammer Secrets Manager.
 */
export function cachedSecret<T>(options: CachedSecretOptions<T>): CachedSecret<T> {
  const { secretId, maxAgeSeconds, parse, label } = options;
  const provider = new SecretsProvider({
    clientConfig: {
      maxAttempts: 2,
      // Without these a stuck Secrets Manager holds the request past Wellhub's 1 s and the
      // function's timeout, instead of failing closed.
      requestHandler: {
        requestTimeout: FETCH_TIMEOUT_MS,
        connectionTimeout: FETCH_TIMEOUT_MS,
        throwOnRequestTimeout: true,
      },
    },
  });
  let parsed: { from: string; value: T } | undefined;
  let inFlight: Promise<T> | undefined;

  async function load(): Promise<T> {
    let value: unknown;
    try {
      value = await provider.get(secretId, { maxAge: maxAgeSeconds });
    } catch (cause) {
      throw new Unavailable(`${label} could not be read from Secrets Manager`, { cause });
    }
    if (typeof value !== 'string') throw new Unavailable(`${label} has no string value`);
    if (parsed?.from !== value) {
      try {
        parsed = { from: value, value: parse(value) };
      } catch (cause) {
        throw new Unavailable(`${label} in Secrets Manager is not usable`, { cause });
      }
    }
    return parsed.value;
  }

  return {
    // Callers that arrive together while the cache is cold share one fetch.
    value: () => {
      inFlight ??= load().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
  };
}
