/**
 * `npm start`: the whole service on one machine. DynamoDB Local (data under $DATA_DIR, so a restart
 * loses nothing; or the one already running at $AWS_ENDPOINT_URL_DYNAMODB), the table, the five
 * webhook Lambda handlers behind http://127.0.0.1:$PORT, each fed the same API Gateway event it gets
 * when deployed, and the pipeline behind them: the worker fed from the table's stream, and the
 * sweeper every minute.
 */
import { applyLocalDefaults } from '#lib/local/environment';

// Read before the defaults fill it in: set by the user, it names a DynamoDB that is already running.
const externalDynamoDb = process.env.AWS_ENDPOINT_URL_DYNAMODB;
applyLocalDefaults();

async function main(): Promise<void> {
  const env = process.env;
  // Wellhub: the local one unless WELLHUB_API_URL names a real one. First, so that the handlers and
  // anything else that reads the configuration see its URL and token.
  const { startLocalWellhubUnlessConfigured } = await import('#lib/local-wellhub/start');
  const wellhub = await startLocalWellhubUnlessConfigured(env);
  const { startDynamoDbLocal } = await import('#lib/local/dynamodb-local');
  const database = externalDynamoDb
    ? { endpoint: externalDynamoDb, stop: async () => undefined }
    : await startDynamoDbLocal({ port: Number(env.DYNAMODB_LOCAL_PORT), dataDir: env.DATA_DIR ?? '.data' });
  let server: import('node:http').Server | undefined;
  let pipeline: import('#lib/local/pipeline').LocalPipeline | undefined;
  const stop = async (signal: string) => {
    process.stderr.write(`\n${signal}: stopping\n`);
    server?.close();
    server?.closeAllConnections();
    // The poller checkpoints what it has handled, so a restart resumes exactly there.
    await pipeline?.stop();
    await wellhub.stop();
    await database.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const { ensureTable } = await import('#lib/store/table');
  const dynamodb = new DynamoDBClient({ endpoint: database.endpoint });
  await ensureTable(dynamodb, env.TABLE_NAME ?? '');

  const { join } = await import('node:path');
  const { startLocalPipeline } = await import('#lib/local/pipeline');
  const worker: typeof import('../functions/worker/index') = await import('../functions/worker/index');
  const sweeper: typeof import('../functions/sweeper/index') = await import('../functions/sweeper/index');
  const reconcile: typeof import('../functions/reconcile/index') = await import(
    '../functions/reconcile/index'
  );
  pipeline = await startLocalPipeline({
    dynamodb,
    endpoint: database.endpoint,
    tableName: env.TABLE_NAME ?? '',
    checkpointFile: join(env.DATA_DIR ?? '.data', 'stream-checkpoint.json'),
    worker: worker.handler,
    sweeper: sweeper.handler,
    reconciler: reconcile.handler,
    // EventBridge Scheduler runs it every minute; a developer may want it sooner.
    sweepEveryMs: Number(env.SWEEP_EVERY_SECONDS ?? 60) * 1000,
  });

  // Imported only now: the handlers read their configuration when they load.
  const { ROUTES } = await import('#lib/wellhub/routes');
  const { createLocalReceiver } = await import('#lib/local/server');
  const handlers = new Map(
    await Promise.all(
      ROUTES.map(async (route) => {
        const module: { handler: import('#lib/local/server').LambdaHttpHandler } = await import(
          `../functions/${route.functionName}/index.ts`
        );
        return [route.path, module.handler] as const;
      }),
    ),
  );
  const port = Number(env.PORT);
  const gymApi: typeof import('../functions/gym-api/index') = await import('../functions/gym-api/index');
  const gymApiToken = env.GYM_API_TOKEN ?? '';
  const receiver = createLocalReceiver({ handlers, gymApi: { handler: gymApi.handler, token: gymApiToken } });
  server = receiver;
  receiver.on('error', (error) => {
    process.stderr.write(`start: cannot serve on 127.0.0.1:${port}: ${error.message}\n`);
    void database.stop().then(() => process.exit(1));
  });
  receiver.listen(port, '127.0.0.1', () => {
    const base = `http://127.0.0.1:${port}`;
    process.stderr.write(
      [
        `Wellhub webhook receiver listening on ${base}`,
        ...ROUTES.map((route) => `  POST ${base}${route.path}`),
        `  GET  ${base}/health`,
        `Gym API on ${base}/gym/... (Authorization: Bearer ${gymApiToken === 'local-gym-token' ? 'local-gym-token, the default; set GYM_API_TOKEN to change it' : '$GYM_API_TOKEN'})`,
        externalDynamoDb
          ? `DynamoDB at ${database.endpoint} (from AWS_ENDPOINT_URL_DYNAMODB; none started), table ${env.TABLE_NAME}`
          : `DynamoDB Local on ${database.endpoint}, table ${env.TABLE_NAME}, data in ${env.DATA_DIR}`,
        'Pipeline: the worker follows the table stream; the sweeper runs every minute, reconcile every 15',
        ...wellhub.banner,
        `Webhook secret: ${env.WELLHUB_WEBHOOK_SECRET === 'local-dev-secret' ? 'local-dev-secret (the default; set WELLHUB_WEBHOOK_SECRET to change it)' : 'from WELLHUB_WEBHOOK_SECRET'}`,
        'Ctrl-C stops everything.',
        '',
      ].join('\n'),
    );
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
