import type { Config } from '#lib/config';
import { cachedSecret } from '#lib/secrets/cached-secret';

/**
 * Where the Wellhub API token comes from: Secrets Manager when deployed (cached and refreshed by the
 * same cache as the webhook secret), the environment on one machine. `undefined` means "no token
 * configured": calls fail closed and make no request.
 */
export interface WellhubTokenSource {
  /** Rejects (Unavailable) when Secrets Manager cannot be read. */
  token(): Promise<string | undefined>;
}

/** What the stack stores until on-call puts the real token in (README, Talking to Wellhub). */
export const WELLHUB_TOKEN_PLACEHOLDER = 'REPLACE_WITH_THE_WELLHUB_API_TOKEN';

export function wellhubTokenSource(
  config: Pick<Config, 'wellhub' | 'secretMaxAgeSeconds'>,
): WellhubTokenSource {
  const { token, tokenSecretId } = config.wellhub;
  if (token !== undefined) {
    const fixed = parseWellhubToken(token);
    return { token: async () => fixed };
  }
  if (tokenSecretId !== undefined) return secretsManagerToken(tokenSecretId, config.secretMaxAgeSeconds);
  return { token: async () => undefined };
}

export function secretsManagerToken(secretId: string, maxAgeSeconds: number): WellhubTokenSource {
  const secret = cachedSecret({
    secretId,
    maxAgeSeconds,
    parse: parseWellhubToken,
    label: 'the Wellhub API token',
  });
  return { token: () => secret.value() };
}

/**
 * The token as stored: a plain string (surrounding whitespace from a paste is dropped: a token never
 * has any), or `{"token": "..."}` from the console's key/value editor. The placeholder and an empty
 * value mean "not configured yet".
 */
export function parseWellhubToken(stored: string): string | undefined {
  let token = stored.trim();
  if (token.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(token);
      const value = typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, 'token') : undefined;
      if (typeof value === 'string') token = value.trim();
    } catch {
      // Not JSON: a token that happens to start with a brace.
    }
  }
  return token === '' || token === WELLHUB_TOKEN_PLACEHOLDER ? undefined : token;
}
