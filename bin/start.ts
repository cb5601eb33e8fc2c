/**
 * `npm start`: the whole receiver on one machine. DynamoDB Local (data under $DATA_DIR, so a restart
 * loses nothing), the table, and the five Lambda handlers behind http://127.0.0.1:$PORT, each fed
 * the same API Gateway event it gets when deployed.
 */
import { applyLocalDefaults } from '#lib/local/environment';

applyLocalDefaults();

async function main(): Promise<void> {
  const env = process.env;
  // Wellhub: the local one unless WELLHUB_API_URL names a real one. First, so that the handlers and
  // anything else that reads the configuration see its URL and token.
  const { startLocalWellhubUnlessConfigured } = await import('#lib/local-wellhub/start');
  const wellhub = await startLocalWellhubUnlessConfigured(env);
  const { startDynamoDbLocal } = await import('#lib/local/dynamodb-local');
  const database = await startDynamoDbLocal({
    port: Number(env.DYNAMODB_LOCAL_PORT),
    dataDir: env.DATA_DIR ?? '.data',
  });
  let server: import('node:http').Server | undefined;
  const stop = async (signal: string) => {
    process.stderr.write(`\n${signal}: stopping\n`);
    server?.close();
    server?.closeAllConnections();
    await wellhub.stop();
    await database.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const { ensureTable } = await import('#lib/store/table');
  await ensureTable(new DynamoDBClient({ endpoint: database.endpoint }), env.TABLE_NAME ?? '');

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
  const receiver = createLocalReceiver({ handlers });
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
        `DynamoDB Local on ${database.endpoint}, table ${env.TABLE_NAME}, data in ${env.DATA_DIR}`,
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
