/**
 * The part of the DynamoDB Streams API the local poller uses, small enough that a test can wrap a real
 * `DynamoDBStreamsClient` or stand in for it, plus how its failures are told apart.
 */
import type {
  DescribeStreamCommand,
  DescribeStreamCommandOutput,
  GetRecordsCommand,
  GetRecordsCommandOutput,
  GetShardIteratorCommand,
  GetShardIteratorCommandOutput,
} from '@aws-sdk/client-dynamodb-streams';

export interface StreamsCallOptions {
  readonly abortSignal?: AbortSignal;
}

/** Satisfied by `DynamoDBStreamsClient` itself. */
export interface StreamsApi {
  send(command: DescribeStreamCommand, options?: StreamsCallOptions): Promise<DescribeStreamCommandOutput>;
  send(
    command: GetShardIteratorCommand,
    options?: StreamsCallOptions,
  ): Promise<GetShardIteratorCommandOutput>;
  send(command: GetRecordsCommand, options?: StreamsCallOptions): Promise<GetRecordsCommandOutput>;
}

export type StreamsFailure =
  /** The iterator is no good any more (15 min old, or from before a restart): get a new one. */
  | 'iterator-expired'
  /** The position is older than the stream keeps (24 h): records were lost before anyone read them. */
  | 'trimmed'
  /** The shard (or the stream) is not there: describe the stream again to see what became of it. */
  | 'not-found'
  /** Anything else, e.g. connection refused while DynamoDB Local restarts: wait and try again. */
  | 'transient';

export function classifyStreamsError(error: unknown): StreamsFailure {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'ExpiredIteratorException' || /invalid shard ?iterator/i.test(message))
    return 'iterator-expired';
  if (name === 'TrimmedDataAccessException') return 'trimmed';
  if (name === 'ResourceNotFoundException' || /invalid shard ?id|shard does not exist/i.test(message)) {
    return 'not-found';
  }
  return 'transient';
}

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code =
    (error.cause as NodeJS.ErrnoException | undefined)?.code ?? (error as NodeJS.ErrnoException).code;
  return `${error.name}: ${error.message}${code === undefined ? '' : ` (${code})`}`;
}

/** Waits `ms`, or less if `signal` aborts; never keeps the process alive once aborted. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A wait that someone else can cut short; a wake with nobody waiting cuts the next wait short. */
export class Wakeup {
  private waiting: (() => void) | undefined;
  private requested = false;

  wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.requested || signal.aborted) {
      this.requested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiting = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.waiting = done;
    });
  }

  wake(): void {
    if (this.waiting) this.waiting();
    else this.requested = true;
  }
}

/** Capped exponential backoff with full jitter, so restarts are noticed within a few seconds. */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly baseMs = 50,
    private readonly capMs = 2_000,
  ) {}

  get attempts(): number {
    return this.failures;
  }

  reset(): void {
    this.failures = 0;
  }

  /** Counts a failure without waiting, so a second one in a row does wait. */
  skip(): void {
    this.failures++;
  }

  wait(signal: AbortSignal): Promise<void> {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** this.failures);
    this.failures++;
    return sleep(ceiling / 2 + (Math.random() * ceiling) / 2, signal);
  }
}
