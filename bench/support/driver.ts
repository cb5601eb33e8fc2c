/**
 * A section of the benchmark that runs in a process of its own, its driver (schedule/driver.ts,
 * bookings/driver.ts): the gym API handler and the local Wellhub live there, so that they and the
 * figures share one clock, and it starts the pipeline (and a receiver) in processes of their own.
 * The driver runs under tsx; its stdout is discarded (the gym API logs a line per request, as
 * deployed); its progress and its results come back over IPC.
 */
import { spawn } from 'node:child_process';

export type DriverMessage<T> =
  | { readonly type: 'progress'; readonly message: string }
  | { readonly type: 'results'; readonly results: T };

/** Parent side: runs `script` and resolves with the results it sent; past `limitMs` it is killed. */
export function runDriver<T>(
  name: string,
  script: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
  limitMs: number,
  progress: (message: string) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd,
      env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // Structured clone: a figure that could not be taken stays NaN instead of becoming null.
      serialization: 'advanced',
    });
    let stderr = '';
    let results: T | undefined;
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.on('message', (message: DriverMessage<T>) => {
      if (message.type === 'progress') progress(`${name}: ${message.message}`);
      else if (message.type === 'results') results = message.results;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && results !== undefined) resolve(results);
      else
        reject(
          new Error(
            `the ${name} run failed (${signal === 'SIGKILL' ? `killed after ${limitMs} ms` : `exit ${code}`}):\n${stderr}`,
          ),
        );
    });
  });
}

/** Driver side: a line of progress for the parent's stderr. */
export function driverProgress(message: string): void {
  void sendToParent({ type: 'progress', message });
}

/** Driver side: the results, sent before the driver exits. */
export function sendResults<T>(results: T): Promise<void> {
  return sendToParent({ type: 'results', results });
}

function sendToParent<T>(message: DriverMessage<T>): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) throw new Error('started without an IPC channel: run it through `npm run bench`');
    process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * Driver side: runs `main`, then exits (the DynamoDB client's keep-alive sockets would hold the
 * process open), 1 on an error with its stack on stderr.
 */
export function runAsDriver(name: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`bench ${name}: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
