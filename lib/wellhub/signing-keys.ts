import type { Config } from '#lib/config';
import { Unavailable } from '#lib/errors';
import { cachedSecret } from '#lib/secrets/cached-secret';
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

/** Cached and refreshed by the one secret cache (lib/secrets/cached-secret.ts). */
export function secretsManagerKeys(secretId: string, maxAgeSeconds: number): SigningKeysSource {
  const secret = cachedSecret({
    secretId,
    maxAgeSeconds,
    parse: parseSigningKeys,
    label: 'the webhook secret',
  });
  return { signingKeys: () => secret.value() };
}
