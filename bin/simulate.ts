/**
 * `npm run simulate -- <command>`: act as Wellhub's members against the running local Wellhub
 * (`npm start`), which records the booking or check-in and sends the signed webhook to the receiver.
 * JSON on stdout; exit 1 when refused or the webhook was not accepted, 2 on a usage error.
 */
import { LOCAL_WELLHUB_PORT } from '#lib/local-wellhub/start';

const USAGE = `usage: simulate <command>
  book --slot <wellhub slot id> [--user <wellhub id>]   a member books (default: a free test member)
  cancel <booking_number> [--late]                      the member cancels (late: after cancellable_until)
  checkin <booking_number>                              the member checks in for a reserved booking
  walkin --user <wellhub id> --gym <gym id> [--product <id>]   a check-in without a booking
Talks to WELLHUB_SIM_URL (default http://127.0.0.1:$WELLHUB_SIM_PORT, port ${LOCAL_WELLHUB_PORT}). Webhooks go to
RECEIVER_URL and are signed with WELLHUB_WEBHOOK_SECRET when those are set, else as the local Wellhub was started.`;

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
}

function request(argv: string[]): { path: string; body: Record<string, unknown> } | undefined {
  const [command, ...args] = argv;
  const first = args[0]?.startsWith('--') ? undefined : args[0];
  const number = (value: string | undefined) =>
    value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
  switch (command) {
    case 'book': {
      const slot = number(option(args, 'slot'));
      const user = option(args, 'user');
      return slot === undefined
        ? undefined
        : { path: '/_sim/bookings', body: { slot_id: slot, ...(user ? { user } : {}) } };
    }
    case 'cancel':
      return first
        ? {
            path: `/_sim/bookings/${encodeURIComponent(first)}/cancel`,
            body: { late: args.includes('--late') },
          }
        : undefined;
    case 'checkin':
      return first ? { path: '/_sim/checkins', body: { booking_number: first } } : undefined;
    case 'walkin': {
      const user = option(args, 'user');
      const gym = number(option(args, 'gym'));
      const product = number(option(args, 'product'));
      if (!user || gym === undefined) return undefined;
      return {
        path: '/_sim/checkins',
        body: { user, gym_id: gym, ...(product !== undefined ? { product_id: product } : {}) },
      };
    }
    default:
      return undefined;
  }
}

async function main(argv: string[]): Promise<number> {
  const wanted = request(argv);
  if (!wanted) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const env = process.env;
  const base = env.WELLHUB_SIM_URL || `http://127.0.0.1:${env.WELLHUB_SIM_PORT || LOCAL_WELLHUB_PORT}`;
  const body = {
    ...wanted.body,
    ...(env.RECEIVER_URL ? { receiver_url: env.RECEIVER_URL } : {}),
    ...(env.WELLHUB_WEBHOOK_SECRET ? { webhook_secret: env.WELLHUB_WEBHOOK_SECRET } : {}),
  };
  let response: Response;
  try {
    response = await fetch(`${base}${wanted.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    process.stderr.write(
      `simulate: no local Wellhub at ${base} (is npm start running?): ${(error as Error).message}\n`,
    );
    return 1;
  }
  const answer = (await response.json()) as {
    error?: string;
    webhook?: { delivered?: boolean; url?: string };
  };
  if (!response.ok) {
    process.stderr.write(
      `simulate: refused (${response.status}): ${answer.error ?? JSON.stringify(answer)}\n`,
    );
    return 1;
  }
  process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
  if (answer.webhook?.delivered) return 0;
  process.stderr.write(
    `simulate: the webhook was not accepted by ${answer.webhook?.url} (see webhook.attempts)\n`,
  );
  return 1;
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
