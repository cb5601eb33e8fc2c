/**
 * An HTTP proxy in front of DynamoDB Local that records the operation of every request it forwards
 * (`X-Amz-Target`), so a test can count what a handler really sends over the wire. It can also hold
 * back the answer to the next request: the request reaches the database at once (its write lands)
 * but the client hears nothing until after its own timeout.
 */
import { createServer, request } from 'node:http';

export interface CountingProxy {
  readonly endpoint: string;
  /** Operations seen since the last reset, e.g. `PutItem`. */
  readonly operations: string[];
  reset(): void;
  /** The next request of `operation` is forwarded at once, and its answer delivered only after `ms`. */
  holdNextAnswer(operation: string, ms: number): void;
  stop(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const operations: string[] = [];
  let hold: { operation: string; ms: number } | undefined;
  const server = createServer((req, res) => {
    const operation =
      String(req.headers['x-amz-target'] ?? 'unknown')
        .split('.')
        .pop() ?? 'unknown';
    const heldFor = hold?.operation === operation ? hold.ms : undefined;
    if (heldFor !== undefined) hold = undefined;
    operations.push(operation);
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        const deliver = () => {
          if (res.destroyed) return answer.resume();
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        };
        if (heldFor === undefined) deliver();
        else setTimeout(deliver, heldFor);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('proxy has no port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    operations,
    reset: () => {
      operations.length = 0;
    },
    holdNextAnswer: (operation, ms) => {
      hold = { operation, ms };
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
