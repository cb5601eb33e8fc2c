/**
 * Cold init, measured inside fresh Node processes (cold/runner.mjs), round-robin over the bundles so
 * that a noisy moment of the machine hits every bundle alike rather than one of them.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { BuiltBundle } from '../support/bundles';

export interface ColdTarget {
  readonly bundle: BuiltBundle;
  readonly env: NodeJS.ProcessEnv;
  /** When set, the runner also invokes the handler with these events (first, then warm). */
  readonly events?: () => APIGatewayProxyEventV2[];
}

export interface ColdSample {
  readonly init: number;
  /** Time from Node's start to the import, for the record: it includes the sandbox's CA bundle. */
  readonly nodeStart: number;
  readonly invocations: ReadonlyArray<{ ms: number; status: number; body: string }>;
}

const RUN_TIMEOUT_MS = 20_000;
const RUNNER = join(__dirname, 'runner.mjs');

export async function measureColdStarts(
  targets: readonly ColdTarget[],
  rounds: number,
): Promise<Map<string, ColdSample[]>> {
  const samples = new Map<string, ColdSample[]>(targets.map((target) => [target.bundle.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < targets.length; i++) {
      // Rotate who goes first: the first run after a pause can be slower.
      const target = targets[(round + i) % targets.length];
      if (!target) continue;
      samples.get(target.bundle.name)?.push(await runOnce(target));
    }
  }
  return samples;
}

function runOnce(target: ColdTarget): Promise<ColdSample> {
  const env = { ...target.env, BENCH_EVENTS: JSON.stringify(target.events?.() ?? []) };
  const args = [...target.bundle.nodeArgs, RUNNER, pathToFileURL(target.bundle.file).href];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-2000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.once('close', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((text) => text.startsWith('BENCH_RESULT '));
      if (code !== 0 || !line) {
        reject(new Error(`cold run of ${target.bundle.name} failed (exit ${code}):\n${stderr}`));
        return;
      }
      const sample = sampleFrom(JSON.parse(line.slice('BENCH_RESULT '.length)));
      if (sample) resolve(sample);
      else reject(new Error(`cold run of ${target.bundle.name} printed an unexpected result: ${line}`));
    });
  });
}

/** The runner's line, checked rather than trusted: a broken runner must not become a figure. */
function sampleFrom(value: unknown): ColdSample | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { init, nodeStart, invocations } = value as Record<string, unknown>;
  if (typeof init !== 'number' || typeof nodeStart !== 'number' || !Array.isArray(invocations))
    return undefined;
  const calls = invocations.filter(
    (call): call is ColdSample['invocations'][number] =>
      typeof call === 'object' &&
      call !== null &&
      typeof call.ms === 'number' &&
      typeof call.status === 'number' &&
      typeof call.body === 'string',
  );
  return calls.length === invocations.length ? { init, nodeStart, invocations: calls } : undefined;
}
