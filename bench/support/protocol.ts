/**
 * How the benchmark talks to the receivers it starts (each in its own process, over Node's IPC
 * channel): a receiver says where it listens, and reports its resource usage on request. Memory is
 * read after a full GC, so that what is left is what it keeps, not garbage waiting to be collected;
 * CPU time tells the receiver's own work apart from DynamoDB Local's.
 */
import type { Server } from 'node:http';

export interface Ready {
  readonly type: 'ready';
  readonly port: number;
}

export interface UsageReport {
  readonly type: 'usage';
  readonly rss: number;
  readonly heapUsed: number;
  /** User plus system CPU time of the process so far, in microseconds, read before the GC... */
  readonly cpuMicros: number;
  /** ...and after it, so that the benchmark's own GCs are never counted as a run's work. */
  readonly cpuMicrosAfterGc: number;
}

export type ChildMessage = Ready | UsageReport;

export interface UsageQuestion {
  readonly type: 'usage?';
}

/** Child side: called once the server listens. */
export function announce(server: Server): void {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the receiver has no TCP address');
  announceReady(address.port);
}

/**
 * Child side, for a process that serves nothing (the pipeline's worker): ready with port 0, and it
 * reports its usage like a receiver, so that its CPU per event can be read the same way.
 */
export function announceReady(port = 0): void {
  send({ type: 'ready', port });
  process.on('message', (message: UsageQuestion) => {
    if (message.type !== 'usage?') return;
    const cpuMicros = cpuNow();
    // Started with --expose-gc by the benchmark; without it the numbers include garbage.
    (globalThis as { gc?: () => void }).gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    send({ type: 'usage', rss, heapUsed, cpuMicros, cpuMicrosAfterGc: cpuNow() });
  });
  // The benchmark stops us by closing the channel, so that exit hooks (e.g. --cpu-prof) run.
  process.on('disconnect', () => process.exit(0));
}

function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

function send(message: ChildMessage): void {
  if (!process.send) throw new Error('started without an IPC channel: run it through `npm run bench`');
  process.send(message);
}
