import { createHmac } from 'node:crypto';
import { parseSigningKeys, type SigningKeys, signBody, verifySignature } from '#lib/wellhub/signature';
import { loadFixture } from '../../support/fixtures';

const SECRET = 'local-dev-secret';
const KEYS: SigningKeys = { current: SECRET };

/** The seed's booking-requested example, corrected to valid JSON and serialised compactly. */
const BOOKING_REQUESTED_COMPACT =
  '{"event_type":"booking-requested","event_data":{"user":{"unique_token":"123456789012","name":"Firstname Lastname","email":"user@email.com"},"slot":{"id":"01234567","gym_id":"012345","class_id":654321,"booking_number":"BK_A1B2C3"},"timestamp":1560983373378,"event_id":"7e8cbb0f-9681-4d3e-8c36-2b3dd6ecbadb"}}';

/**
 * Produced by the reference's own Python snippet (`hmac.new(secret.encode('utf-8'),
 * body.encode('utf-8'), hashlib.sha1).hexdigest().upper()`) with python3, not by this code.
 */
const PYTHON_VECTORS = [
  { body: BOOKING_REQUESTED_COMPACT, secret: SECRET, signature: '2F8F7386D383516B1D5B882E51A9E7E57BBCCD15' },
  {
    body: '{"event_type":"checkin","event_data":{"user":{"first_name":"José"}}}',
    secret: 'chave-secreta-ç',
    signature: 'BF9AD987B6922F6019919E2468B401DD0DDCF6FB',
  },
  { body: '', secret: SECRET, signature: '0F434A4A9C2E804B1BCD88B3CB97D3FE03BE0307' },
  {
    body: '{**Webhook event Body Payload** }',
    secret: '*Secret Key*',
    signature: 'FF35892432AC1ECA86B64CCD168D390B161C946F',
  },
] as const;

/** An independent HMAC, so that the tests do not check signBody against itself. */
function referenceSignature(body: Buffer | string, secret: string): string {
  return createHmac('sha1', secret).update(body).digest('hex').toUpperCase();
}

describe('signBody', () => {
  it.each(PYTHON_VECTORS)(
    'matches the Python reference when signing $body',
    ({ body, secret, signature }) => {
      // Act
      const fromString = signBody(body, secret);
      const fromBuffer = signBody(Buffer.from(body, 'utf8'), secret);

      // Assert
      expect(fromString).toBe(signature);
      expect(fromBuffer).toBe(signature);
    },
  );

  it('signs the corrected seed fixture compactly as the Python vector when serialised with JSON.stringify', () => {
    // Arrange
    const body = JSON.stringify(loadFixture('booking-requested'));

    // Act
    const signature = signBody(body, SECRET);

    // Assert
    expect(body).toBe(BOOKING_REQUESTED_COMPACT);
    expect(signature).toBe(PYTHON_VECTORS[0].signature);
  });

  it('returns 40 uppercase hex digits equal to an independent HMAC-SHA1 when the body is arbitrary bytes', () => {
    // Arrange
    const body = Buffer.from([0x00, 0xff, 0x7b, 0x80, 0x0a]);

    // Act
    const signature = signBody(body, SECRET);

    // Assert
    expect(signature).toMatch(/^[0-9A-F]{40}$/);
    expect(signature).toBe(referenceSignature(body, SECRET));
  });
});

describe('verifySignature', () => {
  const body = Buffer.from(BOOKING_REQUESTED_COMPACT, 'utf8');
  const signature = referenceSignature(body, SECRET);

  it('accepts the raw body under the current key when the header is the uppercase signature', () => {
    // Act
    const check = verifySignature(body, signature, KEYS);

    // Assert
    expect(check).toEqual({ valid: true, form: 'raw', key: 'current' });
  });

  it.each([
    ['lowercase hex', signature.toLowerCase()],
    ['mixed case hex', signature.slice(0, 20).toLowerCase() + signature.slice(20)],
    ['a 0x prefix', `0x${signature}`],
    ['a 0X prefix', `0X${signature}`],
    ['a 0X prefix and lowercase hex', `0X${signature.toLowerCase()}`],
    ['surrounding whitespace', `  ${signature}\t\n`],
    ['whitespace around a prefixed value', ` 0x${signature} `],
  ])('accepts the signature when the header has %s', (_, header) => {
    // Act
    const check = verifySignature(body, header, KEYS);

    // Assert
    expect(check).toEqual({ valid: true, form: 'raw', key: 'current' });
  });

  it('accepts the Python reference vector when it arrives with the seed example header style', () => {
    // Arrange
    const header = `0X${PYTHON_VECTORS[0].signature}`;

    // Act
    const check = verifySignature(Buffer.from(BOOKING_REQUESTED_COMPACT), header, KEYS);

    // Assert
    expect(check.valid).toBe(true);
  });

  it.each([
    ['undefined', undefined],
    ['empty', ''],
    ['only whitespace', ' \t '],
  ])('reports missing when the header is %s', (_, header) => {
    // Act
    const check = verifySignature(body, header, KEYS);

    // Assert
    expect(check).toEqual({ valid: false, reason: 'missing' });
  });

  it.each([
    ['39 hex digits', signature.slice(0, 39)],
    ['41 hex digits', `${signature}0`],
    ['a non-hex digit', `${signature.slice(0, 39)}G`],
    ['only a prefix', '0x'],
    ['a doubled prefix', `0x0x${signature}`],
    ['an x without the 0', `x${signature}`],
    ['whitespace inside', `${signature.slice(0, 20)} ${signature.slice(20)}`],
    ['a sha1= prefix', `sha1=${signature}`],
    ['a 64-digit SHA-256', 'A'.repeat(64)],
    ['a very long value', 'F'.repeat(100_000)],
  ])('reports malformed when the header has %s', (_, header) => {
    // Act
    const check = verifySignature(body, header, KEYS);

    // Assert
    expect(check).toEqual({ valid: false, reason: 'malformed' });
  });

  it('reports mismatch when the body was signed with another secret', () => {
    // Arrange
    const header = referenceSignature(body, 'some-other-secret');

    // Act
    const check = verifySignature(body, header, KEYS);

    // Assert
    expect(check).toEqual({ valid: false, reason: 'mismatch' });
  });

  it('reports mismatch when one byte of the body changed after signing', () => {
    // Arrange
    const tampered = Buffer.from(BOOKING_REQUESTED_COMPACT.replace('BK_A1B2C3', 'BK_A1B2C4'), 'utf8');

    // Act
    const check = verifySignature(tampered, signature, KEYS);

    // Assert
    expect(check).toEqual({ valid: false, reason: 'mismatch' });
  });

  it('accepts the previous key when the secret is being rotated', () => {
    // Arrange
    const keys: SigningKeys = { current: 'new-secret', previous: SECRET };

    // Act
    const check = verifySignature(body, signature, keys);

    // Assert
    expect(check).toEqual({ valid: true, form: 'raw', key: 'previous' });
  });

  it('reports the current key when both keys are configured and the current one signed', () => {
    // Arrange
    const keys: SigningKeys = { current: SECRET, previous: 'old-secret' };

    // Act
    const check = verifySignature(body, signature, keys);

    // Assert
    expect(check).toEqual({ valid: true, form: 'raw', key: 'current' });
  });

  it('reports mismatch when neither the current nor the previous key signed', () => {
    // Arrange
    const keys: SigningKeys = { current: 'new-secret', previous: 'old-secret' };

    // Act
    const check = verifySignature(body, signature, keys);

    // Assert
    expect(check).toEqual({ valid: false, reason: 'mismatch' });
  });

  it('accepts the compact re-serialisation when a pretty-printed body was signed in compact form', () => {
    // Arrange
    const pretty = Buffer.from(JSON.stringify(JSON.parse(BOOKING_REQUESTED_COMPACT), null, 2), 'utf8');
    const compactSignature = PYTHON_VECTORS[0].signature;

    // Act
    const check = verifySignature(pretty, compactSignature, KEYS);

    // Assert
    expect(check).toEqual({ valid: true, form: 'compact', key: 'current' });
  });

  it('accepts the compact re-serialisation under the previous key when the secret is being rotated', () => {
    // Arrange
    const pretty = Buffer.from(JSON.stringify(JSON.parse(BOOKING_REQUESTED_COMPACT), null, 4), 'utf8');
    const keys: SigningKeys = { current: 'new-secret', previous: SECRET };

    // Act
    const check = verifySignature(pretty, signature, keys);

    // Assert
    expect(check).toEqual({ valid: true, form: 'compact', key: 'previous' });
  });

  it('prefers the raw form when the body was signed exactly as sent', () => {
    // Arrange
    const pretty = Buffer.from(JSON.stringify(JSON.parse(BOOKING_REQUESTED_COMPACT), null, 2), 'utf8');
    const header = referenceSignature(pretty, SECRET);

    // Act
    const check = verifySignature(pretty, header, KEYS);

    // Assert
    expect(check).toEqual({ valid: true, form: 'raw', key: 'current' });
  });

  it('reports mismatch when a compact signature comes with a body that is not JSON', () => {
    // Arrange
    const notJson = Buffer.from(`${BOOKING_REQUESTED_COMPACT} trailing`, 'utf8');

    // Act
    const check = verifySignature(notJson, signature, KEYS);

    // Assert
    expect(check).toEqual({ valid: false, reason: 'mismatch' });
  });

  it('accepts a body that is not UTF-8 when its raw bytes were signed', () => {
    // Arrange
    const binary = Buffer.from([0xff, 0xfe, 0x7b, 0x22, 0xc3, 0x28, 0x7d]);
    const header = referenceSignature(binary, SECRET);

    // Act
    const check = verifySignature(binary, header, KEYS);

    // Assert
    expect(check).toEqual({ valid: true, form: 'raw', key: 'current' });
  });

  it('does not try a compact form decoded lossily when the body is JSON except for invalid UTF-8', () => {
    // Arrange: a lossy decoder would turn 0xff into U+FFFD and produce valid JSON.
    const almostJson = Buffer.concat([Buffer.from('{ "a": "'), Buffer.from([0xff]), Buffer.from('" }')]);
    const lossyCompact = JSON.stringify(JSON.parse(almostJson.toString('utf8')));
    const header = referenceSignature(lossyCompact, SECRET);

    // Act
    const check = verifySignature(almostJson, header, KEYS);

    // Assert
    expect(check).toEqual({ valid: false, reason: 'mismatch' });
  });

  it('verifies the empty body when it was signed', () => {
    // Act
    const check = verifySignature(Buffer.alloc(0), PYTHON_VECTORS[2].signature, KEYS);

    // Assert
    expect(check).toEqual({ valid: true, form: 'raw', key: 'current' });
  });

  it.each([
    ['an empty body', Buffer.alloc(0)],
    [
      'a huge JSON body',
      Buffer.from(JSON.stringify({ items: Array.from({ length: 200_000 }, (_, i) => i) })),
    ],
    ['deeply nested JSON', Buffer.from(`${'['.repeat(200_000)}${']'.repeat(200_000)}`)],
    ['random bytes', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))],
  ])('reports mismatch without throwing when the signature is wrong for %s', (_, input) => {
    // Act
    const check = verifySignature(input, 'A'.repeat(40), KEYS);

    // Assert
    expect(check).toEqual({ valid: false, reason: 'mismatch' });
  });
});

describe('parseSigningKeys', () => {
  it('uses a plain string as the current key when the secret is not JSON', () => {
    // Act
    const keys = parseSigningKeys(SECRET);

    // Assert
    expect(keys).toEqual({ current: SECRET });
    expect(keys).not.toHaveProperty('previous');
  });

  it('reads both keys when the secret is the rotation JSON', () => {
    // Act
    const keys = parseSigningKeys('{"current":"new-secret","previous":"old-secret"}');

    // Assert
    expect(keys).toEqual({ current: 'new-secret', previous: 'old-secret' });
  });

  it('reads only the current key when the JSON has no previous key', () => {
    // Act
    const keys = parseSigningKeys('{"current":"new-secret"}');

    // Assert
    expect(keys).toEqual({ current: 'new-secret' });
    expect(keys).not.toHaveProperty('previous');
  });

  it('treats a null previous key as absent when the rotation is over', () => {
    // Act
    const keys = parseSigningKeys('{"current":"new-secret","previous":null}');

    // Assert
    expect(keys).toEqual({ current: 'new-secret' });
  });

  it('reads the JSON when it is surrounded by whitespace', () => {
    // Act
    const keys = parseSigningKeys('\n  {"current": "new-secret"}\n');

    // Assert
    expect(keys).toEqual({ current: 'new-secret' });
  });

  it('uses the text as a plain key when it starts with a brace but is not JSON', () => {
    // Act
    const keys = parseSigningKeys('{not-json-secret');

    // Assert
    expect(keys).toEqual({ current: '{not-json-secret' });
  });

  it('uses a plain key exactly as stored when it has surrounding whitespace', () => {
    // Act
    const keys = parseSigningKeys(' spaced ');

    // Assert
    expect(keys).toEqual({ current: ' spaced ' });
  });

  it.each([
    ['ASCII', 'k'.repeat(100)],
    ['multi-byte characters', 'ç'.repeat(100)],
    ['astral characters', '🔑'.repeat(100)],
  ])('accepts a key of exactly 100 characters when they are %s', (_, key) => {
    // Act
    const keys = parseSigningKeys(key);

    // Assert
    expect(keys.current).toBe(key);
  });

  it.each([
    [
      'a plain secret of 101 characters',
      'p'.repeat(101),
      /current key must be 1 to 100 characters long, got 101/,
    ],
    ['an empty plain secret', '', /current key must be 1 to 100 characters long, got 0/],
    ['an empty current key', '{"current":""}', /current key must be 1 to 100 characters/],
    ['a previous key of 101 characters', `{"current":"ok","previous":"${'q'.repeat(101)}"}`, /previous key/],
    ['an empty previous key', '{"current":"ok","previous":""}', /previous key/],
    ['JSON without current', '{"secret":"zz-top-secret"}', /"current"/],
    ['a numeric current key', '{"current":12345}', /"current"/],
    ['a numeric previous key', '{"current":"ok","previous":12345}', /"previous" must be a string/],
  ])('throws when given %s', (_, secretString, message) => {
    // Act
    const act = () => parseSigningKeys(secretString);

    // Assert
    expect(act).toThrow(message);
  });

  it('never puts the secret in its error message when the secret is rejected', () => {
    // Arrange
    const secrets = [
      's3cr3t-'.repeat(20),
      '{"secret":"s3cr3t-value"}',
      '{"current":"s3cr3t-value","previous":4}',
    ];

    // Act
    const messages = secrets.map((secret) => {
      try {
        parseSigningKeys(secret);
        return '';
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
    });

    // Assert
    for (const message of messages) {
      expect(message).not.toBe('');
      expect(message).not.toContain('s3cr3t');
    }
  });
});
