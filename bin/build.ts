import { readdirSync } from 'node:fs';
import { bundleFunction, DIST_DIR, FUNCTIONS_DIR } from '../infra/bundle';

/**
 * `npm run build`: writes every function's deployable bundle (each folder of functions/: the webhook
 * routes, the worker and the sweeper) to dist/<functionName>/ with the one esbuild configuration
 * (infra/bundle.ts) that `cdk synth` also uses, so dist/ is what gets deployed.
 */
const started = performance.now();
const functions = readdirSync(FUNCTIONS_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();
for (const functionName of functions) {
  const bundle = bundleFunction(functionName);
  console.log(`${functionName.padEnd(26)} ${(bundle.bytes / 1024).toFixed(0).padStart(5)} KiB`);
}
console.log(`${functions.length} bundles in ${DIST_DIR} (${Math.round(performance.now() - started)} ms)`);
