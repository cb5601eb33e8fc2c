/**
 * `npm run bench`: everything Wellhub's 1 s budget depends on, measured side by side with the floor
 * (bench/baseline/) in one run, so that the ratios hold on a noisy machine. Builds the bundles,
 * starts one DynamoDB Local (in memory, free port; the bookings section gets one of its own) and a
 * fake Secrets Manager, then measures
 * cold init, warm latency and throughput of the receivers alone, how long after its answer an event
 * is applied (the worker behind the stream), how long a gym's schedule change takes to reach Wellhub
 * and what importing a schedule costs, how soon and how fast booking requests are answered at Wellhub
 * (and that no slot is overbooked), how soon a booked check-in is validated there, memory, and the cost
 * of each piece; prints one table and writes bench/results.json. Loopback only; every load is
 * bounded in count and time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '#lib/local/dynamodb-local';
import { toGatewayEvent } from '#lib/local/gateway-event';
import { routeOf } from '#lib/wellhub/routes';
import { DIST_DIR, REPO_ROOT } from '../infra/bundle';
import { startFakeSecretsManager } from '../test/support/fake-secrets-manager';
import { type AppliedPlan, type AppliedResults, measureApplied } from './applied/measure';
import { type BookingsPlan, type BookingsResults, measureBookings } from './bookings/measure';
import { bookingsProblems } from './bookings/report';
import { measureColdStarts } from './cold/measure';
import { measurePieces } from './profile/measure';
import { measureSchedule, type SchedulePlan, type ScheduleResults } from './schedule/measure';
import { scheduleProblems } from './schedule/report';
import { buildFloor, buildOurs, buildPipeline, buildReceivers } from './support/bundles';
import {
  APPLIED_TABLE,
  BOOKINGS_TABLE,
  bookingsDriverEnv,
  FLOOR_TABLE,
  floorEnv,
  OURS_TABLE,
  oursLambdaEnv,
  oursLocalEnv,
  PROFILE_TABLE,
  profileEnv,
  SCHEDULE_TABLE,
  SECRET,
  SECRET_ID,
  scheduleDriverEnv,
  workerEnv,
} from './support/environment';
import { newBookings } from './support/events';
import { startReceiver } from './support/receiver-process';
import { renderTable } from './support/render';
import { answerStatus, buildRows } from './support/report';
import { createBenchTable, dropBenchTable } from './support/tables';
import { measureWarm, type WarmPlan } from './warm/measure';

/** At least 15 (the floor); each run is one fresh node process. */
const COLD_ROUNDS = 20;
/** The bundle of ours that is also invoked after its cold start: the heaviest route. */
const INVOKED = 'booking-requested';
const WARM_PLAN: WarmPlan = {
  warmUp: 1_000,
  runs: [
    { connections: 1, events: 600 },
    { connections: 16, events: 2_000 },
  ],
  // 10,000 rather than 20,000: in the runs so far the heap is flat and RSS on its plateau from
  // ~5,000 events on, and the second 10,000 cost two minutes of a run that should take four.
  memoryEvents: 10_000,
  soakChunk: 2_500,
  runLimitMs: 90_000,
};
/**
 * 200 events one at a time, each once the last is applied; then 16 members booking at the same moment,
 * round after round, each round applied before the next (latency, not queueing); then a closed-loop
 * burst faster than the worker applies on DynamoDB Local, for its rate alone. Every event must end
 * `APPLIED`.
 */
const APPLIED_PLAN: AppliedPlan = {
  warmUp: 300,
  oneAtATime: 200,
  rounds: { size: 16, count: 40, warmUpRounds: 3, pauseMs: [100, 300] },
  saturation: { connections: 16, events: 600 },
  runLimitMs: 60_000,
  drainLimitMs: 60_000,
};
/**
 * The gym's schedule: 30 changes of warm-up, then 80 of each kind (slot created, edited, its
 * `booked_elsewhere` changed) one at a time, enough for a p99 over 240; then a first schedule of 5
 * classes and 1,000 slots imported at once, and the same file again.
 */
const SCHEDULE_PLAN: SchedulePlan = {
  changes: { warmUp: 30, perKind: 80, pauseMs: [20, 120], changeLimitMs: 10_000, runLimitMs: 150_000 },
  import: { classes: 5, slots: 1_000, publishLimitMs: 180_000, quietMs: 3_000 },
  limitMs: 480_000,
};
/**
 * Booking requests answered at Wellhub: 30 of warm-up, 200 one at a time and 20 rounds of 16 members
 * at once on slots with free seats (every one RESERVED); then 100 of those members checking in, one at
 * a time, each validated at Wellhub exactly once; then 200 members at once on one slot of 50 seats
 * (exactly 50 RESERVED, 150 CLASS_IS_FULL), and 200 over 100 slots of 2 seats.
 */
const BOOKINGS_PLAN: BookingsPlan = {
  latency: {
    warmUp: 30,
    oneAtATime: 100,
    rounds: { size: 16, count: 6, warmUpRounds: 1 },
    pauseMs: [20, 120],
    answerLimitMs: 15_000,
    runLimitMs: 150_000,
  },
  checkins: {
    count: 60,
    pauseMs: [20, 120],
    validateLimitMs: 10_000,
    quietMs: 3_000,
    runLimitMs: 120_000,
  },
  decisions: {
    // 200 members at once on one slot are not all answered in time on DynamoDB Local yet (README, Limits).
    hot: { requests: 60, capacity: 15 },
    spread: { requests: 60, slots: 30, capacity: 2 },
    answerLimitMs: 60_000,
  },
  // The section's own bound: a stuck run is stopped and reported, never left hanging.
  limitMs: 900_000,
};
const RESULTS_FILE = join(REPO_ROOT, 'bench', 'results.json');

const startedAt = performance.now();

function progress(message: string): void {
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(0).padStart(3);
  process.stderr.write(`bench ${seconds} s: ${message}\n`);
}

async function main(): Promise<void> {
  // This process creates the tables; the children get their own environments (support/environment.ts).
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const work = mkdtempSync(join(tmpdir(), 'wellhub-bench-'));
  const cleanups: Array<() => Promise<void>> = [async () => rmSync(work, { recursive: true, force: true })];
  try {
    progress('building the bundles (npm run build) and the floor');
    const ours = buildOurs();
    const pipelineBundles = buildPipeline();
    const floor = buildFloor(work);
    const receivers = buildReceivers(work);

    progress('starting DynamoDB Local and a fake Secrets Manager');
    const database = await startDynamoDbLocal({});
    cleanups.push(() => database.stop());
    const secrets = await startFakeSecretsManager({ [SECRET_ID]: SECRET });
    cleanups.push(() => secrets.stop());
    const client = new DynamoDBClient({ endpoint: database.endpoint });
    cleanups.push(async () => client.destroy());
    for (const table of [OURS_TABLE, FLOOR_TABLE, PROFILE_TABLE])
      await createBenchTable(client, table, { stream: false });
    for (const table of [APPLIED_TABLE, SCHEDULE_TABLE])
      await createBenchTable(client, table, { stream: true });

    progress(`cold init: ${COLD_ROUNDS} rounds over ${ours.length + 1} bundles`);
    const twoRequests = () =>
      newBookings(2, SECRET).map((event) => gatewayEvent(event.body, event.signature));
    const lambdaEnv = oursLambdaEnv(database.endpoint, secrets.endpoint);
    const samples = await measureColdStarts(
      [
        ...ours.map((bundle) => ({
          bundle,
          env: lambdaEnv,
          ...(bundle.name === INVOKED ? { events: twoRequests } : {}),
        })),
        { bundle: floor, env: floorEnv(database.endpoint), events: twoRequests },
      ],
      COLD_ROUNDS,
    );

    // Before the warm runs, on a nearly empty DynamoDB Local (support/tables.ts): after them the same
    // run took 290 s instead of 40, with DynamoDB Local busy and the worker idle.
    progress('answered → applied: the pipeline (dist/worker, dist/sweeper) and a receiver on its table');
    const pipeline = await startReceiver(
      'pipeline',
      receivers.pipeline,
      workerEnv(database.endpoint, DIST_DIR, join(work, 'stream-checkpoint.json')),
    );
    cleanups.push(() => pipeline.stop());
    const appliedReceiver = await startReceiver('ours, applied run', receivers.ours, {
      ...oursLocalEnv(database.endpoint, APPLIED_TABLE),
      BENCH_DIST_DIR: DIST_DIR,
    });
    cleanups.push(() => appliedReceiver.stop());
    const applied = await measureApplied(
      appliedReceiver,
      pipeline,
      database.endpoint,
      APPLIED_TABLE,
      SECRET,
      APPLIED_PLAN,
    );
    await appliedReceiver.stop();
    await pipeline.stop();
    await dropBenchTable(client, APPLIED_TABLE);

    // Right after the applied run and for the same reason: the stream records of the warm runs'
    // thousands of events are not there yet to slow DynamoDB Local down.
    progress(
      'gym schedule: change → call at Wellhub, then 1,000 slots imported (gym API, dist/worker, a local Wellhub)',
    );
    const schedule = await measureSchedule(
      scheduleDriverEnv(
        database.endpoint,
        {
          pipeline: receivers.pipeline,
          dist: DIST_DIR,
          checkpointFile: join(work, 'schedule-checkpoint.json'),
        },
        SCHEDULE_PLAN,
      ),
      REPO_ROOT,
      SCHEDULE_PLAN.limitMs,
      progress,
    );
    await dropBenchTable(client, SCHEDULE_TABLE);

    progress('warm: starting both receivers');
    const oursReceiver = await startReceiver('ours', receivers.ours, {
      ...oursLocalEnv(database.endpoint),
      BENCH_DIST_DIR: DIST_DIR,
    });
    cleanups.push(() => oursReceiver.stop());
    const floorReceiver = await startReceiver('floor', receivers.floor, floorEnv(database.endpoint));
    cleanups.push(() => floorReceiver.stop());
    progress(`warm: autocannon, then memory over ${WARM_PLAN.memoryEvents} events`);
    const warm = await measureWarm(oursReceiver, floorReceiver, SECRET, WARM_PLAN);
    await oursReceiver.stop();
    await floorReceiver.stop();

    progress('profile: the pieces, in process');
    const pieces = await measurePieces(profileEnv(database.endpoint), REPO_ROOT);

    // On a DynamoDB Local of its own, started once the others are idle: on the shared one, loaded by
    // then with the warm runs' tens of thousands of items, the same plan's answers took seconds
    // (p99 6 s at c=16) where alone they take a few hundred milliseconds.
    progress(
      'bookings: webhook answered → answer at Wellhub, check-in → validate call, and decisions per second on a hot slot (receiver, dist/worker, a local Wellhub, its own DynamoDB Local)',
    );
    const bookingsDatabase = await startDynamoDbLocal({});
    cleanups.push(() => bookingsDatabase.stop());
    const bookingsClient = new DynamoDBClient({ endpoint: bookingsDatabase.endpoint });
    cleanups.push(async () => bookingsClient.destroy());
    await createBenchTable(bookingsClient, BOOKINGS_TABLE, { stream: true });
    const bookings = await measureBookings(
      bookingsDriverEnv(
        bookingsDatabase.endpoint,
        {
          pipeline: receivers.pipeline,
          receiver: receivers.ours,
          dist: DIST_DIR,
          checkpointFile: join(work, 'bookings-checkpoint.json'),
        },
        BOOKINGS_PLAN,
      ),
      REPO_ROOT,
      BOOKINGS_PLAN.limitMs,
      progress,
    );
    bookingsClient.destroy();
    await bookingsDatabase.stop();

    const rows = buildRows(
      { ours, floor, samples, invoked: INVOKED },
      warm,
      applied,
      schedule,
      bookings,
      pieces,
    );
    const seconds = (performance.now() - startedAt) / 1000;
    process.stdout.write(`${renderTable(rows)}\n\n`);
    progress(`done in ${seconds.toFixed(0)} s; results in ${RESULTS_FILE}`);
    writeFileSync(
      RESULTS_FILE,
      `${JSON.stringify(
        {
          when: new Date().toISOString(),
          machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadavg: loadavg() },
          seconds,
          rows,
          cold: {
            bundles: [...ours, floor],
            pipeline: pipelineBundles,
            samples: Object.fromEntries(samples),
          },
          warm,
          applied,
          schedule,
          bookings,
          pieces,
        },
        null,
        2,
      )}\n`,
    );
    await checkOutcomes(warm, samples, applied, schedule, bookings, async (name, eventId) => {
      const table = name === floor.name ? FLOOR_TABLE : OURS_TABLE;
      const key = { pk: { S: `EVENT#${eventId}` }, sk: { S: INVOKED } };
      const { Item } = await client.send(
        new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }),
      );
      return Item !== undefined;
    });
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

function gatewayEvent(body: string, signature: string) {
  const path = routeOf('booking-requested').path;
  return toGatewayEvent({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/json', 'x-gympass-signature': signature, host: 'bench.local' },
    body: Buffer.from(body, 'utf8'),
    sourceIp: '127.0.0.1',
    routePath: path,
  });
}

/**
 * A benchmark of wrong answers is worthless: every new event must be stored and answered 200, every
 * replay a duplicate, and every stored event applied. A new event answered `duplicate` is stored all
 * the same (the SDK's second attempt found the write of a first one that timed out but landed): it
 * is counted on a row of its own, not here, once the cold runs' few are read back from their table
 * and the pipeline's are seen `APPLIED`. Likewise every change the gym made must reach Wellhub and
 * every imported slot be published.
 */
async function checkOutcomes(
  warm: Awaited<ReturnType<typeof measureWarm>>,
  samples: Awaited<ReturnType<typeof measureColdStarts>>,
  applied: AppliedResults,
  schedule: ScheduleResults,
  bookings: BookingsResults,
  isStored: (bundle: string, eventId: string) => Promise<boolean>,
): Promise<void> {
  for (const [name, runs] of samples) {
    const calls = runs.flatMap((run) => run.invocations);
    const wrong = calls.filter((call) => call.status !== 200 || answerStatus(call.body) !== 'accepted');
    const lost: string[] = [];
    for (const call of wrong) {
      const eventId = answerStatus(call.body) === 'duplicate' ? eventIdOf(call.body) : undefined;
      if (call.status !== 200 || eventId === undefined || !(await isStored(name, eventId)))
        lost.push(call.body);
    }
    if (lost.length > 0) {
      progress(`WARNING: ${name} cold runs answered ${lost.length} request(s) wrongly, e.g. ${lost[0]}`);
      process.exitCode = 1;
    }
  }
  for (const run of warm.runs) {
    for (const [name, result] of [
      ['ours', run.ours],
      ['floor', run.floor],
    ] as const) {
      const { accepted = 0, duplicate = 0 } = result.outcomes;
      const right = run.kind === 'new' ? accepted + duplicate : duplicate;
      if (right !== result.requests || result.cutShort) {
        progress(
          `WARNING: ${name} c=${run.connections} ${run.kind}: ${JSON.stringify(result.outcomes)}${result.cutShort ? ', cut short' : ''}`,
        );
        process.exitCode = 1;
      }
    }
  }
  for (const run of [...applied.runs, applied.saturation]) {
    const label = `applied run c=${run.connections} ${run.kind}`;
    if (run.answered !== run.events || run.load.cutShort) {
      progress(
        `WARNING: ${label}: ${JSON.stringify(run.load.outcomes)}${run.load.cutShort ? ', cut short' : ''}`,
      );
      process.exitCode = 1;
    }
    const owed = Object.values(run.notApplied).reduce((sum, count) => sum + count, 0);
    if (owed > 0) {
      progress(
        `WARNING: ${label}: ${owed} events not APPLIED within ${APPLIED_PLAN.drainLimitMs} ms of the last answer: ${JSON.stringify(run.notApplied)}`,
      );
      process.exitCode = 1;
    }
  }
  for (const problem of scheduleProblems(schedule)) {
    progress(`WARNING: schedule: ${problem}`);
    process.exitCode = 1;
  }
  for (const problem of bookingsProblems(bookings)) {
    progress(`WARNING: bookings: ${problem}`);
    process.exitCode = 1;
  }
}

function eventIdOf(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && 'event_id' in parsed)
      return typeof parsed.event_id === 'string' ? parsed.event_id : undefined;
  } catch {
    // Not JSON: no event id.
  }
  return undefined;
}

main().catch((error: unknown) => {
  progress(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
