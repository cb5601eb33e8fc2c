/**
 * Captures what the service writes while a test runs: Powertools' logger writes INFO to stdout and
 * WARN/ERROR to stderr (both end in CloudWatch), its metrics go to stdout.
 */
export interface CapturedLogs {
  /** Every line written, raw. */
  readonly lines: string[];
  /** The lines that are log records (not metric records), parsed. */
  records(): Record<string, unknown>[];
  stop(): void;
}

type Write = typeof process.stdout.write;

export function captureLogs(): CapturedLogs {
  const lines: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write);
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((line) => line.trim() !== ''),
      );
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as Write;
  }
  return {
    lines,
    records: () =>
      lines
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((record) => !('_aws' in record)),
    stop: () => {
      streams.forEach((stream, index) => {
        stream.write = originals[index] as Write;
      });
    },
  };
}
