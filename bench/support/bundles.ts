/**
 * The bundles whose cold init is measured: ours exactly as `npm run build` writes them (the same
 * `bundleFunction` call, into dist/), and the floor's, built with the same esbuild options minus the
 * source map, which a bare-minimum function would not ship.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';
import { ROUTES } from '#lib/wellhub/routes';
import {
  BUNDLE_FILE,
  bundleFunction,
  ENABLE_SOURCE_MAPS,
  REPO_ROOT,
  SHARED_OPTIONS,
} from '../../infra/bundle';

export interface BuiltBundle {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** How Lambda starts Node for it: ours runs with --enable-source-maps when maps are on (webhook-function.ts). */
  readonly nodeArgs: readonly string[];
}

export const FLOOR_BUNDLE = 'floor';

export function buildOurs(): BuiltBundle[] {
  return ROUTES.map((route) => {
    const bundle = bundleFunction(route.functionName);
    return describe(route.functionName, bundle.file, ENABLE_SOURCE_MAPS ? ['--enable-source-maps'] : []);
  });
}

/**
 * The worker and the sweeper, into dist/ as `npm run build` writes them: the answered-to-applied run
 * loads them from there (applied/pipeline.ts). Not timed for cold init: no answer waits on them.
 */
export function buildPipeline(): BuiltBundle[] {
  return ['worker', 'sweeper'].map((name) => describe(name, bundleFunction(name).file, []));
}

export function buildFloor(outDir: string): BuiltBundle {
  const file = join(outDir, FLOOR_BUNDLE, BUNDLE_FILE);
  buildSync({
    ...BARE_OPTIONS,
    entryPoints: [join(REPO_ROOT, 'bench', 'baseline', 'handler.ts')],
    outfile: file,
  });
  return describe(FLOOR_BUNDLE, file, []);
}

/**
 * The two HTTP receivers of the warm runs and the pipeline process of the applied run, as single
 * files for plain `node`: tsx would add its loader thread and its transpiling to their memory and CPU.
 */
export function buildReceivers(outDir: string): { ours: string; floor: string; pipeline: string } {
  const build = (entry: string, name: string) => {
    const outfile = join(outDir, 'receivers', `${name}.mjs`);
    buildSync({ ...BARE_OPTIONS, entryPoints: [join(REPO_ROOT, 'bench', ...entry.split('/'))], outfile });
    return outfile;
  };
  return {
    ours: build('ours/server.ts', 'ours'),
    floor: build('baseline/server.ts', 'floor'),
    pipeline: build('applied/pipeline.ts', 'pipeline'),
  };
}

const BARE_OPTIONS = { ...SHARED_OPTIONS, sourcemap: false } as const;

function describe(name: string, file: string, nodeArgs: readonly string[]): BuiltBundle {
  const code = readFileSync(file);
  return { name, file, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length, nodeArgs };
}
