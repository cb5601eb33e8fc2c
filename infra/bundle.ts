import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { type BuildOptions, buildSync } from 'esbuild';

/**
 * The one esbuild configuration of the project. `npm run build` (bin/build.ts) and the stack both call
 * `bundleFunction`, so what is built locally is byte for byte what `cdk deploy` uploads.
 */

export const REPO_ROOT = path.resolve(__dirname, '..');
export const FUNCTIONS_DIR = path.join(REPO_ROOT, 'functions');
export const DIST_DIR = path.join(REPO_ROOT, 'dist');

/** Each bundle directory holds `index.mjs` (the Lambda handler file) and its source map. */
export const BUNDLE_FILE = 'index.mjs';
export const LAMBDA_HANDLER = 'index.handler';

/**
 * Node 20 is what runs locally and the Lambda runtime is newer: `node20` output runs on both, so a
 * bundle is tested here exactly as it is deployed.
 */
export const ESBUILD_TARGET = 'node20';

/**
 * Bundled code is ESM: Middy 6 ships ESM only, and the ESM bundle loads fastest (measured on a real
 * handler, median time to import it in Node 20: ESM 57 ms, the same code as CommonJS 99 ms).
 * esbuild turns a CommonJS dependency's `require` of a Node built-in into a call that throws in ESM
 * unless `require` exists: no dependency does that today, and this banner keeps a future one from
 * failing only once deployed. The odd name cannot collide with bundled code.
 */
export const REQUIRE_BANNER =
  "import { createRequire as __wellhubCreateRequire } from 'node:module'; const require = __wellhubCreateRequire(import.meta.url);";

/**
 * Off, because of what `npm run bench` measured (Node 20, importing a handler): 55 ms without a map,
 * 67-78 ms with --enable-source-maps, once per container. Node scans the whole 440 KB bundle for a
 * linked map (an empty map still costs ~10 ms), and that alone put cold init at 1.6-1.75x the bare
 * minimum receiver's, past the 1.5x target. It bought little: the handlers log errors by name and
 * message, never a stack, so only a crash reported by the Lambda runtime would show minified frames.
 * Set to true to pay those milliseconds for TypeScript file names and lines in such a trace: the
 * stack sets NODE_OPTIONS and ships the map (without sources) accordingly, and the tests follow.
 */
export const ENABLE_SOURCE_MAPS: boolean = false;

/**
 * Options shared by every function. The AWS SDK is bundled rather than taken from the runtime: the
 * version we tested is the one that runs, and one minified, tree-shaken file loads faster than the
 * SDK's hundreds of files (importing a handler: 57 ms bundled, 130 ms with the SDK left external).
 */
export const SHARED_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: ESBUILD_TARGET,
  format: 'esm',
  // Prefer the ES module builds of dependencies: they tree-shake, the CommonJS builds do not.
  mainFields: ['module', 'main'],
  minify: true,
  treeShaking: true,
  // Read by Node when the function runs with NODE_OPTIONS=--enable-source-maps (webhook-function.ts).
  sourcemap: ENABLE_SOURCE_MAPS ? 'linked' : false,
  sourcesContent: false,
  legalComments: 'none',
  charset: 'utf8',
  banner: { js: REQUIRE_BANNER },
  // Paths inside the bundle and its map are relative to the repository, so output does not depend
  // on where the checkout lives.
  absWorkingDir: REPO_ROOT,
  logLevel: 'warning',
} as const satisfies BuildOptions;

export interface BundleOptions {
  /** Folder holding `<functionName>/index.ts`; defaults to the repository's `functions/`. */
  readonly functionsDir?: string;
  /** Folder receiving `<functionName>/index.mjs`; defaults to the repository's `dist/`. */
  readonly outRoot?: string;
}

export interface Bundle {
  readonly functionName: string;
  /** The directory to deploy: it holds the bundle and nothing else. */
  readonly dir: string;
  readonly file: string;
  readonly bytes: number;
}

export function entryOf(functionName: string, functionsDir = FUNCTIONS_DIR): string {
  return path.join(functionsDir, functionName, 'index.ts');
}

/**
 * Bundles one function into `<outRoot>/<functionName>/`, emptying that directory first so that a file
 * left by an earlier build can never be deployed.
 */
export function bundleFunction(functionName: string, options: BundleOptions = {}): Bundle {
  const entry = entryOf(functionName, options.functionsDir);
  const dir = path.join(options.outRoot ?? DIST_DIR, functionName);
  const file = path.join(dir, BUNDLE_FILE);
  try {
    statSync(entry);
  } catch {
    throw new Error(`cannot bundle ${functionName}: ${entry} does not exist`);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  buildSync({ ...SHARED_OPTIONS, entryPoints: [entry], outfile: file });
  return { functionName, dir, file, bytes: statSync(file).size };
}
