import { ROUTES } from '#lib/wellhub/routes';
import { bundleFunction, DIST_DIR } from '../infra/bundle';

/**
 * `npm run build`: writes every function's deployable bundle to dist/<functionName>/ with the one
 * esbuild configuration (infra/bundle.ts) that `cdk synth` also uses, so dist/ is what gets deployed.
 */
const started = performance.now();
for (const route of ROUTES) {
  const bundle = bundleFunction(route.functionName);
  console.log(`${route.functionName.padEnd(26)} ${(bundle.bytes / 1024).toFixed(0).padStart(5)} KiB`);
}
console.log(`${ROUTES.length} bundles in ${DIST_DIR} (${Math.round(performance.now() - started)} ms)`);
