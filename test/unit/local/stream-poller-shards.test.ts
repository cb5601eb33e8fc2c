import { readFileSync } from 'node:fs';
import { type StreamPoller, type StreamPollerOptions, startStreamPoller } from '#lib/local/stream-poller';
import { SimulatedStream, type StreamCall } from '../../support/simulated-stream';
import { checkpointPath, RecordingHandler } from '../../support/streams';

const pollers: StreamPoller[] = [];

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
});

function start(
  stream: SimulatedStream,
  options: Partial<StreamPollerOptions> & Pick<StreamPollerOptions, 'handler'>,
) {
  const poller = startStreamPoller({
    streams: stream.api,
    streamArn: stream.streamArn,
    checkpointFile: checkpointPath(),
    filters: [],
    describeIntervalMs: 50,
    ...options,
  });
  pollers.push(poller);
  return poller;
}

function keys(count: number, from = 1): string[] {
  return Array.from({ length: count }, (_, i) => `K${from + i}`);
}

/** Where in the call log a shard was first read, and where its last read said it had ended. */
function firstRead(calls: readonly StreamCall[], shardId: string): number {
  return calls.findIndex((call) => call.command === 'GetRecords' && call.shardId === shardId);
}

function endOf(calls: readonly StreamCall[], shardId: string): number {
  return calls.findIndex((call) => call.command === 'GetRecords' && call.shardId === shardId && call.ended);
}

describe('startStreamPoller across shards', () => {
  it('keeps every record across a rollover and reads the child only once the parent is finished', async () => {
    const stream = new SimulatedStream();
    stream.addShard('parent');
    stream.write('parent', keys(3));
    const recording = new RecordingHandler();
    const poller = start(stream, { handler: recording.handler, batchSize: 2 });
    await recording.until(() => recording.records.length === 3);

    stream.write('parent', keys(2, 4));
    stream.rollOver('parent', 'child');
    stream.write('child', keys(3, 6));
    await recording.until(() => recording.records.length >= 8);
    await poller.caughtUp();

    expect(recording.keys).toEqual(keys(8));
    expect(endOf(stream.calls, 'parent')).toBeGreaterThan(-1);
    expect(firstRead(stream.calls, 'child')).toBeGreaterThan(endOf(stream.calls, 'parent'));
  });

  it('reads a lineage of closed shards oldest first when all of them are listed at start', async () => {
    // One shard per DescribeStream page, so the listing is only complete once paginated through.
    const stream = new SimulatedStream(1);
    stream.addShard('grandparent');
    stream.write('grandparent', keys(2));
    stream.rollOver('grandparent', 'parent');
    stream.write('parent', keys(2, 3));
    stream.rollOver('parent', 'child');
    stream.write('child', keys(2, 5));
    const recording = new RecordingHandler();
    const poller = start(stream, { handler: recording.handler });

    await recording.until(() => recording.records.length >= 6);
    await poller.caughtUp();

    expect(recording.keys).toEqual(keys(6));
    expect(firstRead(stream.calls, 'parent')).toBeGreaterThan(endOf(stream.calls, 'grandparent'));
    expect(firstRead(stream.calls, 'child')).toBeGreaterThan(endOf(stream.calls, 'parent'));
  });

  it('resumes in the child after a restart, without reading the finished parent again', async () => {
    const stream = new SimulatedStream();
    stream.addShard('parent');
    stream.write('parent', keys(2));
    stream.rollOver('parent', 'child');
    stream.write('child', keys(2, 3));
    const checkpointFile = checkpointPath();
    const before = new RecordingHandler();
    const first = start(stream, { handler: before.handler, checkpointFile });
    await before.until(() => before.records.length >= 4);
    await first.stop();
    expect(JSON.parse(readFileSync(checkpointFile, 'utf8')).shards.parent).toEqual({
      sequenceNumber: expect.any(String),
      finished: true,
    });

    stream.write('child', keys(2, 5));
    const readsBefore = stream.calls.length;
    const after = new RecordingHandler();
    const second = start(stream, { handler: after.handler, checkpointFile });
    await after.until(() => after.records.length >= 2);
    await second.caughtUp();

    expect(after.keys).toEqual(keys(2, 5));
    expect(firstRead(stream.calls.slice(readsBefore), 'parent')).toBe(-1);
  });

  it('recovers from expired iterators and trimmed answers without losing or repeating a record', async () => {
    const stream = new SimulatedStream();
    stream.addShard('shard');
    stream.write('shard', keys(2));
    stream.failNextRead('expired');
    const logged: Record<string, unknown>[] = [];
    const recording = new RecordingHandler();
    const poller = start(stream, { handler: recording.handler, log: (line) => logged.push(line) });
    await recording.until(() => recording.records.length >= 2);

    stream.failNextRead('trimmed');
    stream.failNextRead('expired');
    stream.write('shard', keys(3, 3));
    await recording.until(() => recording.records.length >= 5);
    await poller.caughtUp();

    expect(recording.keys).toEqual(keys(5));
    expect(logged.map((line) => line.failure)).toEqual(
      expect.arrayContaining(['iterator-expired', 'trimmed']),
    );
    // Nothing about the records themselves reaches the log.
    expect(JSON.stringify(logged)).not.toMatch(/K\d/);
  });

  it('reads independent shards concurrently, so a shard whose handler is stuck holds up no other', async () => {
    const stream = new SimulatedStream(10);
    stream.addShard('stuck');
    stream.addShard('free');
    stream.write('stuck', ['S1']);
    stream.write('free', ['F1']);
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const recording = new RecordingHandler(async (event) => {
      if (event.Records[0]?.dynamodb?.Keys?.pk?.S === 'S1') await held;
      return undefined;
    });
    start(stream, { handler: recording.handler });

    await recording.until(() => recording.keys.includes('F1'));
    release();
    await recording.until(() => recording.records.length === 2);
  });

  it('moves on to the child when the shard it was reading is trimmed away', async () => {
    const stream = new SimulatedStream(10);
    stream.addShard('parent');
    stream.write('parent', keys(1));
    const logged: Record<string, unknown>[] = [];
    const recording = new RecordingHandler();
    const poller = start(stream, { handler: recording.handler, log: (line) => logged.push(line) });
    await recording.until(() => recording.records.length === 1);

    stream.rollOver('parent', 'child');
    stream.trim('parent');
    stream.write('child', keys(1, 2));
    await recording.until(() => recording.records.length === 2);
    await poller.caughtUp();

    expect(recording.keys).toEqual(keys(2));
    expect(logged).toContainEqual(
      expect.objectContaining({ message: expect.stringMatching(/gone|finished/) }),
    );
  });

  it('finishes the handler call in flight when stopped, checkpoints it, and never delivers it again', async () => {
    const stream = new SimulatedStream();
    stream.addShard('shard');
    stream.write('shard', keys(1));
    const checkpointFile = checkpointPath();
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let called: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => {
      called = resolve;
    });
    const first = start(stream, {
      checkpointFile,
      handler: async () => {
        called();
        await held;
      },
    });
    await inFlight;

    let stopped = false;
    const stopping = first.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    release();
    await stopping;

    stream.write('shard', keys(1, 2));
    const after = new RecordingHandler();
    const second = start(stream, { handler: after.handler, checkpointFile });
    await after.until(() => after.records.length >= 1);
    await second.caughtUp();
    expect(after.keys).toEqual(['K2']);
  });
});
