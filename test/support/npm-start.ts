/**
 * `npm start` as a user runs it, on free ports and a data folder of its own, with the local Wellhub
 * beside it: for the tests that drive the whole service over HTTP and the CLIs.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports';

const run = promisify(execFile);
export const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

/** Settings a developer's shell might carry that would point the service elsewhere. */
const INHERITED = [
  'AWS_ENDPOINT_URL_DYNAMODB',
  'TABLE_NAME',
  'WELLHUB_WEBHOOK_SECRET',
  'WELLHUB_API_URL',
  'WELLHUB_SETUP_API_URL',
  'WELLHUB_API_TOKEN',
  'WELLHUB_API_TOKEN_SECRET_ID',
  'GYM_API_TOKEN',
  'RECEIVER_URL',
];

export interface StartedService {
  /** The receiver and the gym API. */
  readonly base: string;
  /** The local Wellhub. */
  readonly wellhub: string;
  readonly simPort: number;
  readonly dataDir: string;
  /** What the service and the CLIs run with. */
  readonly env: NodeJS.ProcessEnv;
  readonly child: ChildProcess;
  /** Everything it wrote to stderr (the banner first, and error log lines). */
  readonly stderr: () => string;
  /** Everything it wrote to stdout (its log lines). */
  readonly stdout: () => string;
  /** Both, in the order they came. */
  readonly output: readonly string[];
  /** A CLI (`bin/ops.ts`, `bin/simulate.ts`) next to it: its exit code and its JSON answer. */
  tsx(
    script: string,
    ...args: string[]
  ): Promise<{ code: number; out: ReturnType<typeof JSON.parse>; err: string }>;
  /** Stops it as Ctrl-C would (SIGTERM, which npm passes on), outright if it lingers; removes its data. */
  kill(): Promise<void>;
  /** Stops it as Ctrl-C would and starts it again on the same ports and data. */
  restart(): Promise<StartedService>;
  /**
   * Kills it outright (SIGKILL to its whole process group, as a crash or an OOM kill would), with no
   * chance to checkpoint or close anything. Only for a service started `crashable`.
   */
  crash(): Promise<void>;
}

export interface ServiceOptions {
  /** Settings on top of the defaults (`WELLHUB_API_URL` to use a local Wellhub of the test's own). */
  readonly env?: Record<string, string>;
  /**
   * In a process group of its own, so that crash() reaches every process of it. Such a service does
   * not get the terminal's Ctrl-C: the test must stop it.
   */
  readonly crashable?: boolean;
}

export async function startService(options: ServiceOptions = {}): Promise<StartedService> {
  const [port, dynamoDbPort, simPort] = [await freePort(), await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), 'wellhub-start-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    DYNAMODB_LOCAL_PORT: String(dynamoDbPort),
    WELLHUB_SIM_PORT: String(simPort),
    DATA_DIR: dataDir,
  };
  for (const name of INHERITED) delete env[name];
  Object.assign(env, options.env);
  return launch(env, options.crashable === true);
}

async function launch(env: NodeJS.ProcessEnv, crashable: boolean): Promise<StartedService> {
  const dataDir = env.DATA_DIR ?? '';
  const simPort = Number(env.WELLHUB_SIM_PORT);
  const base = `http://127.0.0.1:${env.PORT}`;
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: crashable,
  });
  let stderr = '';
  let stdout = '';
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    output.push(chunk.toString());
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    output.push(chunk.toString());
  });
  const deadline = Date.now() + 45_000;
  for (;;) {
    const health = await fetch(`${base}/health`).catch(() => undefined);
    if (health?.status === 200) break;
    if (Date.now() > deadline) throw new Error(`npm start did not become healthy:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    base,
    wellhub: `http://127.0.0.1:${simPort}`,
    simPort,
    dataDir,
    env,
    child,
    stderr: () => stderr,
    stdout: () => stdout,
    output,
    async tsx(script, ...args) {
      try {
        const { stdout, stderr: err } = await run(TSX, [script, ...args], { cwd: ROOT, env });
        return { code: 0, out: stdout.trim() === '' ? undefined : JSON.parse(stdout), err };
      } catch (error) {
        const failed = error as { code?: number; stdout?: string; stderr?: string };
        return { code: failed.code ?? -1, out: failed.stdout, err: failed.stderr ?? '' };
      }
    },
    async kill() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    async restart() {
      await stop();
      return launch(env, crashable);
    },
    async crash() {
      if (!crashable || child.pid === undefined) throw new Error('crash() needs a service started crashable');
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGKILL');
      else return;
      await exited;
      // npm is gone; its children die with the same signal, but the port is free only once they have.
      while ((await fetch(`${base}/health`).catch(() => undefined)) !== undefined)
        await new Promise((resolve) => setTimeout(resolve, 50));
    },
  };

  async function stop(): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const lingering = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(lingering);
  }
}
