import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROUTES } from '#lib/wellhub/routes';
import {
  BUNDLE_FILE,
  bundleFunction,
  DIST_DIR,
  ENABLE_SOURCE_MAPS,
  ESBUILD_TARGET,
  REPO_ROOT,
  SHARED_OPTIONS,
} from '../../infra/bundle';

/**
 * The one bundling configuration: what `npm run build` writes to dist/ is what the stack deploys
 * (test/infra/webhook-stack.test.ts compares the deployed asset with infra/bundle.ts's output).
 */
let work: string;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'wellhub-bundle-'));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bundleFunction', () => {
  it('bundles everything, AWS SDK included, into minified ESM that runs on the local Node 20', () => {
    expect(SHARED_OPTIONS).toMatchObject({
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      minify: true,
      treeShaking: true,
    });
    expect(ESBUILD_TARGET).toBe('node20');
    expect('external' in SHARED_OPTIONS).toBe(false);
  });

  it('writes the same bytes every time, and only the bundle (and its map when maps are on)', () => {
    const route = ROUTES[0];
    if (!route) throw new Error('no routes');
    const first = bundleFunction(route.functionName, { outRoot: work });
    const written = readdirSync(first.dir)
      .sort()
      .map((name) => readFileSync(path.join(first.dir, name)));
    const second = bundleFunction(route.functionName, { outRoot: work });
    const files = ENABLE_SOURCE_MAPS ? [BUNDLE_FILE, `${BUNDLE_FILE}.map`] : [BUNDLE_FILE];
    expect(readdirSync(second.dir).sort()).toEqual(files);
    files.forEach((name, i) => {
      expect(readFileSync(path.join(second.dir, name)).equals(written[i] ?? Buffer.alloc(0))).toBe(true);
    });
  });

  it('names the missing entry when a function does not exist', () => {
    expect(() => bundleFunction('no-such-function', { outRoot: work })).toThrow(
      /cannot bundle no-such-function: .*functions\/no-such-function\/index\.ts does not exist/,
    );
  });
});

describe('npm run build (bin/build.ts)', () => {
  it('writes to dist/ the bundles the stack deploys, and each exports a handler when loaded by Node', () => {
    const build = spawnSync(path.join(REPO_ROOT, 'node_modules/.bin/tsx'), ['bin/build.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(build.stderr).toBe('');
    expect(build.status).toBe(0);

    for (const route of ROUTES) {
      const built = path.join(DIST_DIR, route.functionName, BUNDLE_FILE);
      const reference = bundleFunction(route.functionName, { outRoot: work });
      expect(readFileSync(built).equals(readFileSync(reference.file))).toBe(true);

      // Loading the bundle runs its module scope (config, clients) exactly as a cold start does.
      const load = spawnSync(
        process.execPath,
        [
          // As the function runs (infra/webhook-function.ts).
          ...(ENABLE_SOURCE_MAPS ? ['--enable-source-maps'] : []),
          '--input-type=module',
          '-e',
          'const m = await import(process.argv[1]); if (typeof m.handler !== "function") process.exit(3);',
          built,
        ],
        {
          encoding: 'utf8',
          env: {
            PATH: process.env.PATH,
            AWS_REGION: 'eu-west-1',
            TABLE_NAME: 'wellhub-webhooks-test',
            WEBHOOK_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:wellhub-webhooks/test',
            POWERTOOLS_SERVICE_NAME: 'wellhub-webhooks',
            POWERTOOLS_METRICS_NAMESPACE: 'WellhubWebhooks',
          },
        },
      );
      expect({ function: route.functionName, status: load.status }).toEqual({
        function: route.functionName,
        status: 0,
      });
    }
  });
});
