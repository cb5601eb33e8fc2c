/**
 * On-call's Wellhub commands: `ops wellhub check` (is Wellhub up, does our token work for a gym) and
 * `ops wellhub register-webhooks` (tell Wellhub where our five webhooks are, and their secret).
 */
import { config } from '#lib/config';
import { ROUTES } from '#lib/wellhub/routes';
import { signingKeysSource } from '#lib/wellhub/signing-keys';
import { type WellhubClient, wellhubClient } from '#lib/wellhub-api/client';
import type { WellhubOutcome } from '#lib/wellhub-api/outcome';
import { OpsRefused } from './commands';

export interface WellhubOpsContext {
  readonly client: WellhubClient;
  readonly apiUrl: string | undefined;
  readonly setupApiUrl: string;
  /** The webhook secret Wellhub must sign with (the current key). */
  readonly webhookSecret: () => Promise<string>;
}

export function configuredWellhubOps(): WellhubOpsContext {
  const keys = signingKeysSource(config);
  return {
    client: wellhubClient(config),
    apiUrl: config.wellhub.apiUrl,
    setupApiUrl: config.wellhub.setupApiUrl,
    webhookSecret: async () => (await keys.signingKeys()).current,
  };
}

/** What an outcome says, without its body (bodies may carry personal data). */
function summary(outcome: WellhubOutcome<unknown>) {
  const base = { outcome: outcome.kind, ...('status' in outcome ? { status: outcome.status } : {}) };
  if (outcome.kind === 'done') return base;
  if (outcome.kind === 'retry')
    return { ...base, reason: outcome.reason, ...(outcome.error ? { error: outcome.error } : {}) };
  return { ...base, error: outcome.error };
}

function tokenVerdict(outcome: WellhubOutcome<unknown>): string {
  if (outcome.kind === 'done') return 'works';
  if (outcome.kind === 'retry' && outcome.reason === 'not_configured') return 'not configured';
  if (outcome.kind === 'retry' && outcome.reason === 'token_unavailable')
    return 'unreadable (Secrets Manager)';
  if (outcome.kind === 'retry' && outcome.reason === 'auth_refused')
    return `refused (${outcome.status}): wrong, revoked, or not enabled for this gym`;
  return 'unknown: Wellhub did not answer the class listing';
}

/** Health, then a class listing for the gym: the cheapest call that needs the token. */
export async function wellhubCheck(context: WellhubOpsContext, gymId: string) {
  const health = await context.client.health();
  const classes = await context.client.listClasses(gymId);
  return {
    api_url: context.apiUrl ?? null,
    gym_id: gymId,
    health: summary(health),
    token: tokenVerdict(classes),
    classes: { ...summary(classes), ...(classes.kind === 'done' ? { count: classes.body.length } : {}) },
    ok: health.kind === 'done' && classes.kind === 'done',
  };
}

/** Registers the five webhook URLs under `baseUrl` with the current webhook secret, then reads them back. */
export async function registerWebhooks(context: WellhubOpsContext, gymId: string, baseUrl: string) {
  const base = checkBaseUrl(baseUrl);
  const secret = await context.webhookSecret();
  const webhooks = ROUTES.map((route) => ({ event: route.eventType, url: `${base}${route.path}`, secret }));
  const posted = await context.client.registerWebhooks(gymId, webhooks);
  if (posted.kind !== 'done') {
    throw new OpsRefused(`Wellhub refused the registration: ${JSON.stringify(summary(posted))}`);
  }
  const listed = await context.client.listWebhooks(gymId);
  if (listed.kind !== 'done') {
    throw new OpsRefused(`registered, but reading it back failed: ${JSON.stringify(summary(listed))}`);
  }
  const registered = webhooks.map((wanted) => {
    const found = listed.body.webhooks.find((w) => w.event === wanted.event);
    // Never the secret itself: whether Wellhub holds the same one.
    return { event: wanted.event, url: found?.url ?? null, secret_matches: found?.secret === secret };
  });
  const ok = registered.every((r, i) => r.url === webhooks[i]?.url && r.secret_matches);
  return { setup_api_url: context.setupApiUrl, gym_id: gymId, registered, ok };
}

function checkBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OpsRefused(`--base-url must be a URL, got ${JSON.stringify(raw)}`);
  }
  const local = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
  if (url.protocol !== 'https:' && !(local && url.protocol === 'http:')) {
    throw new OpsRefused('--base-url must be https (http only for 127.0.0.1 or localhost)');
  }
  return raw.replace(/\/+$/, '');
}

/** `ops wellhub …`; undefined on a usage error. */
export function wellhubCommand(
  args: readonly string[],
  context?: WellhubOpsContext,
): Promise<unknown> | undefined {
  const option = (name: string) => {
    const index = args.indexOf(`--${name}`);
    return index >= 0 ? args[index + 1] : undefined;
  };
  const gym = option('gym');
  if (!gym || !/^\d+$/.test(gym)) return undefined;
  if (args[0] === 'check') return wellhubCheck(context ?? configuredWellhubOps(), gym);
  const baseUrl = option('base-url');
  if (args[0] === 'register-webhooks' && baseUrl)
    return registerWebhooks(context ?? configuredWellhubOps(), gym, baseUrl);
  return undefined;
}
