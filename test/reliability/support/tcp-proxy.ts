/**
 * A TCP proxy that delays every chunk, in both directions, by a configurable time, or refuses
 * connections for a while: put it between a client and DynamoDB Local (or the fake Secrets Manager,
 * or the local Wellhub) to make the service slow or cut off without touching the code under test. Order is kept per direction. Bytes already in flight when the client gives up
 * are still delivered, as on a real network: a write the client timed out on may still land.
 */
import { createServer, type Server, Socket } from 'node:net';

export interface DelayingProxy {
  readonly endpoint: string;
  readonly port: number;
  /** Milliseconds added to every chunk from now on (0: pass-through), plus up to `jitterMs` at random. */
  setDelay(ms: number, jitterMs?: number): void;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Closes the port and every open connection: clients get "connection refused" until accept(). */
  refuse(): Promise<void>;
  /** Listens on the same port again. */
  accept(): Promise<void>;
  stop(): Promise<void>;
}

export async function startDelayingProxy(target: { host?: string; port: number }): Promise<DelayingProxy> {
  const host = target.host ?? '127.0.0.1';
  let delayMs = 0;
  let jitter = 0;
  let connections = 0;
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    connections++;
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    const forget = (socket: Socket) => () => sockets.delete(socket);
    client.on('close', forget(client));
    upstream.on('close', forget(upstream));
    // Either side failing ends both, as a reset would.
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    const delay = () => delayMs + Math.random() * jitter;
    pipeWithDelay(client, upstream, delay);
    pipeWithDelay(upstream, client, delay);
    upstream.connect(target.port, host);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('proxy has no port');

  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    setDelay: (ms, jitterMs = 0) => {
      delayMs = ms;
      jitter = jitterMs;
    },
    get connections() {
      return connections;
    },
    refuse: () => close(),
    accept: async () => {
      if (server.listening) return;
      await new Promise<void>((resolve) => server.listen(address.port, '127.0.0.1', resolve));
    },
    stop: () => close(),
  };

  function close(): Promise<void> {
    return new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server.listening) resolve();
      else server.close(() => resolve());
    });
  }
}

/**
 * Forwards `from` to `to`, each chunk held back by the delay in force when it arrived. A chunk is
 * never overtaken by a later one with a shorter delay; the end of the stream waits for the last chunk.
 */
function pipeWithDelay(from: Socket, to: Socket, delay: () => number): void {
  let releaseAt = 0;
  let pending = 0;
  let ended = false;
  const finish = () => {
    if (ended && pending === 0 && !to.destroyed) to.end();
  };
  from.on('data', (chunk: Buffer) => {
    const ms = delay();
    if (ms <= 0 && pending === 0) {
      if (!to.destroyed) to.write(chunk);
      return;
    }
    releaseAt = Math.max(releaseAt, Date.now() + ms);
    pending++;
    setTimeout(() => {
      pending--;
      if (!to.destroyed) to.write(chunk);
      finish();
    }, releaseAt - Date.now());
  });
  from.on('end', () => {
    ended = true;
    finish();
  });
  from.on('close', () => {
    ended = true;
    finish();
  });
}
