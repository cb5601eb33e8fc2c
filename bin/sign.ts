/**
 * `npm run --silent sign -- <file>` prints the X-Gympass-Signature value for a body file, signed as
 * Wellhub signs (HMAC-SHA1, upper-case hex) with the configured secret, for replaying the seed's
 * curl examples by hand. The file's bytes are signed exactly as they are: send them with
 * `curl --data-binary @<file>` so that nothing is changed on the way.
 */
import { readFileSync } from 'node:fs';
import { LOCAL_DEFAULTS } from '#lib/local/environment';
import { parseSigningKeys, signBody } from '#lib/wellhub/signature';

const file = process.argv[2];
if (!file) {
  process.stderr.write(
    'usage: sign <body file>   (secret from WELLHUB_WEBHOOK_SECRET, default local-dev-secret)\n',
  );
  process.exit(2);
}
try {
  const keys = parseSigningKeys(process.env.WELLHUB_WEBHOOK_SECRET ?? LOCAL_DEFAULTS.WELLHUB_WEBHOOK_SECRET);
  process.stdout.write(`${signBody(readFileSync(file), keys.current)}\n`);
} catch (error) {
  process.stderr.write(`sign: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
