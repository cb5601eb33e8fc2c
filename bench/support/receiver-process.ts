/**
 * Starts a receiver (ours or the floor) in a process of its own, so that neither shares a heap, an
 * event loop or a JIT with the load generator or with the other receiver.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { ChildMessage, UsageQuestion, UsageReport } from './protocol';

export interface ReceiverProcess {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  /** CPU time so far, and RSS and heap after a full GC in the receiver. */
  usage(): Promise<UsageReport>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const ANSWER_TIMEOUT_MS = 10_000;
const KILL_AFTER_MS = 3_000;

/**
 * `script` is a bundle (support/bundles.ts), run by plain `node`. `nodeArgs` is for looking into a
 * receiver by hand, e.g. `--cpu-prof`: the profile is written when the receiver exits on stop().
 */
export async function startReceiver(
  name: string,
  script: string,
  env: NodeJS.ProcessEnv,
  nodeArgs: readonly string[] = [],
): Promise<ReceiverProcess> {
  // stdout ignored: our receiver writes one log line per request, as in Lambda; /dev/null keeps
  // the cost of writing it without making this process read it.
  const child = spawn(process.execPath, [...nodeArgs, '--expose-gc', script], {
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // Closing the channel makes the receiver exit by itself (protocol.ts), so that exit hooks run.
    if (child.connected) child.disconnect();
    else child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    await exited;
    clearTimeout(killer);
  };

  try {
    const ready = await nextMessage(child, 'ready', READY_TIMEOUT_MS, exited);
    const pid = child.pid ?? -1;
    return {
      name,
      url: `http://127.0.0.1:${ready.port}`,
      pid,
      usage: async () => {
        const question: UsageQuestion = { type: 'usage?' };
        const answer = nextMessage(child, 'usage', ANSWER_TIMEOUT_MS, exited);
        child.send(question);
        return answer;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw new Error(
      `${name} receiver did not start: ${error instanceof Error ? error.message : String(error)}\n${stderr}`,
    );
  }
}

function nextMessage<T extends ChildMessage['type']>(
  child: ChildProcess,
  type: T,
  timeoutMs: number,
  exited: Promise<void>,
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ChildMessage) => {
      if (message.type !== type) return;
      cleanup();
      resolve(message as Extract<ChildMessage, { type: T }>);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no '${type}' message within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
    };
    child.on('message', onMessage);
    void exited.then(() => {
      cleanup();
      reject(new Error('the process exited'));
    });
  });
}
