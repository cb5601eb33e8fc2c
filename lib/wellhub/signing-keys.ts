import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { Config } from '#lib/config';
import { Unavailable } from '#lib/errors';
import { parseSigningKeys, type SigningKeys } from './signature';

/** Where the webhook secret comes from: Secrets Manager on AWS, the environment on one machine. */
export interface SigningKeysSource {
  signingKeys(): Promise<SigningKeys>;
}

export function signingKeysSource(config: Config): SigningKeysSource {
  if (config.webhookSecret !== undefined) return fixedKeys(config.webhookSecret);
  if (config.webhookSecretId !== undefined) {
    return secretsManagerKeys(config.webhookSecretId, config.secretMaxAgeSeconds);
  }
  return {
    signingKeys: () => Promise.reject(new Unavailable('no webhook secret is configured')),
  };
}

function fixedKeys(secret: string): SigningKeysSource {
  let keys: SigningKeys | undefined;
  return {
    signingKeys: async () => {
      try {
        keys ??= parseSigningKeys(secret);
        return keys;
      } catch (cause) {
        throw new Unavailable('the configured webhook secret is not usable', { cause });
      }
    },
  };
}

/** Per attempt (two attempts): a fetch that takes longer than this is treated as a failure. */
const FETCH_TIMEOUT_MS = 350;

/**
 * Cached for `maxAgeSeconds`, then read again, so that a rotation lands within minutes without a
 * cold start. Only the clock drives a fetch: a bad signature never does, so callers cannot make us
 * hammer Secrets Manager.
 */
export function secretsManagerKeys(secretId: string, maxAgeSeconds: number): SigningKeysSource {
  const provider = new SecretsProvider({
    clientConfig: {
      maxAttempts: 2,
      // As for the database: without these a stuck Secrets Manager holds the request past Wellhub's
      // 1 s and the function's timeout, instead of failing closed with a 503 that Wellhub retries.
      requestHandler: {
        requestTimeout: FETCH_TIMEOUT_MS,
        connectionTimeout: FETCH_TIMEOUT_MS,
        throwOnRequestTimeout: true,
      },
    },
  });
  let parsed: { from: string; keys: SigningKeys } | undefined;
  let inFlight: Promise<SigningKeys> | undefined;

  async function load(): Promise<SigningKeys> {
    let value: unknown;
    try {
      value = await provider.get(secretId, { maxAge: maxAgeSeconds });
    } catch (cause) {
      throw new Unavailable('the webhook secret could not be read from Secrets Manager', { cause });
    }
    if (typeof value !== 'string') throw new Unavailable('the webhook secret has no string value');
    if (parsed?.from !== value) {
      try {
        parsed = { from: value, keys: parseSigningKeys(value) };
      } catch (cause) {
        throw new Unavailable('the webhook secret in Secrets Manager is not usable', { cause });
      }
    }
    return parsed.keys;
  }

  return {
    // Requests that arrive together while the cache is cold share one fetch.
    signingKeys: () => {
      inFlight ??= load().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
  };
}
