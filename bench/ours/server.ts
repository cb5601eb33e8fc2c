/**
 * Our receiver as `npm start` serves it (lib/local/server.ts, the API Gateway stand-in) in front of
 * the deployable bundles from dist/, on the benchmark's DynamoDB Local instead of one of its own, so
 * that both receivers share one database. Bundled and started by bench/run.ts, like the floor's
 * server: no TypeScript loader runs in either measured process. Unlike `npm start`, no pipeline runs
 * here: deployed, the worker is another Lambda, so the receiver's latency and throughput are measured
 * without it taking the CPU. The answered-to-applied run starts it in a process of its own
 * (applied/pipeline.ts).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { applyLocalDefaults } from '#lib/local/environment';
import { createLocalReceiver, type LambdaHttpHandler } from '#lib/local/server';
import { ROUTES } from '#lib/wellhub/routes';
import { announce } from '../support/protocol';

applyLocalDefaults();

async function main(): Promise<void> {
  const dist = process.env.BENCH_DIST_DIR;
  if (!dist) throw new Error('BENCH_DIST_DIR is not set: run it through `npm run bench`');
  const handlers = new Map<string, LambdaHttpHandler>();
  for (const route of ROUTES) {
    const module: { handler: LambdaHttpHandler } = await import(
      pathToFileURL(join(dist, route.functionName, 'index.mjs')).href
    );
    handlers.set(route.path, module.handler);
  }
  const server = createLocalReceiver({ handlers });
  server.listen(0, '127.0.0.1', () => announce(server));
}

main().catch((error: unknown) => {
  process.stderr.write(`bench receiver: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
