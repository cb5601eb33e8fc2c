/**
 * The local Wellhub's part in `npm start`, and the defaults that let `npm run ops` and
 * `npm run simulate` find it with no flags. Kept here so that bin/start.ts only calls it.
 */
import { DEFAULT_GYM_ID, type LocalWellhub, startLocalWellhub } from './server';

export const LOCAL_WELLHUB_PORT = '8090';
export const LOCAL_WELLHUB_TOKEN = 'local-wellhub-token';

export interface StartedWellhub {
  /** Lines for the start banner. */
  readonly banner: readonly string[];
  readonly wellhub?: LocalWellhub;
  stop(): Promise<void>;
}

/**
 * Without `WELLHUB_API_URL`, starts the local Wellhub on `$WELLHUB_SIM_PORT` and points the service
 * at it (`WELLHUB_API_URL`, `WELLHUB_SETUP_API_URL`, `WELLHUB_API_TOKEN`): call it before anything
 * reads the configuration. With `WELLHUB_API_URL` set, starts nothing.
 */
export async function startLocalWellhubUnlessConfigured(env: NodeJS.ProcessEnv): Promise<StartedWellhub> {
  if (env.WELLHUB_API_URL) {
    return {
      banner: [`Wellhub API: ${env.WELLHUB_API_URL} (from WELLHUB_API_URL; no local Wellhub started)`],
      stop: async () => undefined,
    };
  }
  const token = env.WELLHUB_API_TOKEN || LOCAL_WELLHUB_TOKEN;
  const port = Number(env.WELLHUB_SIM_PORT || LOCAL_WELLHUB_PORT);
  const receiverUrl = env.RECEIVER_URL || `http://127.0.0.1:${env.PORT ?? '8080'}`;
  let wellhub: LocalWellhub;
  try {
    wellhub = await startLocalWellhub({
      token,
      port,
      receiverUrl,
      ...(env.WELLHUB_WEBHOOK_SECRET ? { webhookSecret: env.WELLHUB_WEBHOOK_SECRET } : {}),
    });
  } catch (error) {
    throw new Error(`cannot start the local Wellhub on 127.0.0.1:${port}: ${(error as Error).message}`);
  }
  env.WELLHUB_API_URL = wellhub.url;
  env.WELLHUB_SETUP_API_URL ||= wellhub.url;
  env.WELLHUB_API_TOKEN = token;
  return {
    wellhub,
    banner: [
      `Local Wellhub on ${wellhub.url} (WELLHUB_API_URL unset): token ${token === LOCAL_WELLHUB_TOKEN ? `${LOCAL_WELLHUB_TOKEN} (the default; WELLHUB_API_TOKEN changes it)` : 'from WELLHUB_API_TOKEN'}`,
      `  gym ${DEFAULT_GYM_ID}; webhooks to ${receiverUrl}; control API ${wellhub.url}/_sim/state; npm run simulate -- book --slot <id>`,
    ],
    stop: () => wellhub.close(),
  };
}

/** For commands run next to `npm start`: the local Wellhub, unless the environment names one. */
export function applyLocalWellhubDefaults(env: NodeJS.ProcessEnv = process.env): void {
  if (env.WELLHUB_API_URL) return;
  const url = `http://127.0.0.1:${env.WELLHUB_SIM_PORT || LOCAL_WELLHUB_PORT}`;
  env.WELLHUB_API_URL = url;
  env.WELLHUB_SETUP_API_URL ||= url;
  env.WELLHUB_API_TOKEN ||= LOCAL_WELLHUB_TOKEN;
}
