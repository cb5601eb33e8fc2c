import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Wellhub's `X-Gympass-Signature` (CONTRACT §2): uppercase hex HMAC-SHA1 of the request body, keyed
 * with the shared secret. Pure: the secret is fetched and cached elsewhere.
 */

export interface SigningKeys {
  readonly current: string;
  readonly previous?: string;
}

/** Wellhub accepts secrets of at most 100 characters. */
const MAX_KEY_CHARACTERS = 100;

function checkKey(role: 'current' | 'previous', key: string): string {
  // Characters, not UTF-16 units or bytes: Wellhub states the limit in characters.
  const characters = [...key].length;
  if (characters < 1 || characters > MAX_KEY_CHARACTERS) {
    throw new Error(
      `Wellhub signing secret: the ${role} key must be 1 to ${MAX_KEY_CHARACTERS} characters long, got ${characters}`,
    );
  }
  return key;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? Object.fromEntries(Object.entries(parsed))
      : undefined;
  } catch {
    // Deliberately swallowed: the parse error would quote the secret.
    return undefined;
  }
}

/**
 * Reads the stored secret: a plain string, or JSON `{"current": "...", "previous": "..."}` during a
 * rotation. A value that parses as a JSON object must be that shape, otherwise it is refused rather
 * than used as a plain key: an object such as `{"secret": "..."}` is a configuration mistake (the
 * console's key/value editor makes them), and keying with its JSON text would turn every genuine
 * call into a 401 that looks like an attack. Text that starts with `{` but is not JSON is a plain key.
 * Keys are used exactly as stored (no trimming), because Wellhub signs with exactly what it was given.
 */
export function parseSigningKeys(secretString: string): SigningKeys {
  const json = secretString.trimStart().startsWith('{') ? parseJsonObject(secretString) : undefined;
  if (json === undefined) return { current: checkKey('current', secretString) };

  const current = json.current;
  const previous = json.previous;
  if (typeof current !== 'string') {
    throw new Error(
      'Wellhub signing secret: a JSON secret must be {"current": "<key>", "previous"?: "<key>"}',
    );
  }
  if (previous !== undefined && previous !== null && typeof previous !== 'string') {
    throw new Error('Wellhub signing secret: "previous" must be a string when present');
  }
  const keys: SigningKeys = { current: checkKey('current', current) };
  return typeof previous === 'string' ? { ...keys, previous: checkKey('previous', previous) } : keys;
}

/** Exactly as Wellhub's reference snippets sign: HMAC-SHA1 over the UTF-8 body, uppercase hex. */
export function signBody(body: Buffer | string, secret: string): string {
  return hmac(typeof body === 'string' ? Buffer.from(body, 'utf8') : body, secret)
    .toString('hex')
    .toUpperCase();
}

export type SignatureCheck =
  | { valid: true; form: 'raw' | 'compact'; key: 'current' | 'previous' }
  | { valid: false; reason: 'missing' | 'malformed' | 'mismatch' };

function hmac(body: Buffer, secret: string): Buffer {
  return createHmac('sha1', Buffer.from(secret, 'utf8')).update(body).digest();
}

const HEX_SHA1 = /^[0-9a-fA-F]{40}$/;
/**
 * Keeps a byte order mark in the text: JSON's grammar has none and the body parser refuses one, so a
 * body starting with it is not JSON here either (a decoder that dropped it would accept a signature
 * over a text the handler never parses, and quarantine an unsigned request).
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The body as Wellhub's snippets would have signed it, when it is valid UTF-8 JSON and differs from
 * the bytes as received; undefined otherwise.
 */
export function compactForm(body: Buffer): Buffer | undefined {
  try {
    const text = utf8.decode(body);
    const compact = JSON.stringify(JSON.parse(text));
    return compact === text ? undefined : Buffer.from(compact, 'utf8');
  } catch {
    // Not UTF-8, not JSON, or too deep to re-serialise: only the raw form can match.
    return undefined;
  }
}

function matchingKey(body: Buffer, expected: Buffer, keys: SigningKeys): 'current' | 'previous' | undefined {
  const candidates: Array<['current' | 'previous', string]> = [['current', keys.current]];
  if (keys.previous !== undefined) candidates.push(['previous', keys.previous]);
  for (const [name, secret] of candidates) {
    const actual = hmac(body, secret);
    if (actual.length === expected.length && timingSafeEqual(actual, expected)) return name;
  }
  return undefined;
}

/**
 * Checks `X-Gympass-Signature` against the body bytes as received, under the current then the
 * previous key; only when both fail and the body is JSON, against its compact re-serialisation (the
 * reference says the body is "stringified" before signing). Never throws.
 */
export function verifySignature(body: Buffer, header: string | undefined, keys: SigningKeys): SignatureCheck {
  try {
    if (typeof header !== 'string' || header.trim() === '') return { valid: false, reason: 'missing' };
    const trimmed = header.trim();
    // The reference's own example value carries an `0X` prefix.
    const hex = trimmed.startsWith('0x') || trimmed.startsWith('0X') ? trimmed.slice(2) : trimmed;
    if (!HEX_SHA1.test(hex)) return { valid: false, reason: 'malformed' };
    const expected = Buffer.from(hex, 'hex');

    const raw = matchingKey(body, expected, keys);
    if (raw !== undefined) return { valid: true, form: 'raw', key: raw };

    const compact = compactForm(body);
    const key = compact === undefined ? undefined : matchingKey(compact, expected, keys);
    if (key !== undefined) return { valid: true, form: 'compact', key };
    return { valid: false, reason: 'mismatch' };
  } catch {
    // A caller that passes something other than a Buffer must still get an answer, not a 500.
    return { valid: false, reason: 'mismatch' };
  }
}
