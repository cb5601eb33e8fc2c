/**
 * An HTTP proxy in front of DynamoDB Local that records the operation of every request it forwards
 * (`X-Amz-Target`), so a test can count what a handler really sends over the wire.
 */
import { createServer, request } from 'node:http';

export interface CountingProxy {
  readonly endpoint: string;
  /** Operations seen since the last reset, e.g. `PutItem`. */
  readonly operations: string[];
  reset(): void;
  stop(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const operations: string[] = [];
  const server = createServer((req, res) => {
    const operation =
      String(req.headers['x-amz-target'] ?? 'unknown')
        .split('.')
        .pop() ?? 'unknown';
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
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
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
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
