/**
 * The booking run's own process, started by bookings/measure.ts: the gym API handler and the local
 * Wellhub live here, as in the schedule run (schedule/driver.ts). It starts our receiver (the `dist/`
 * bundles behind the local API Gateway stand-in, bench/ours/server.ts) and the pipeline
 * (applied/pipeline.ts: dist/worker fed by the stream, calling this local Wellhub) in processes of
 * their own. Members book at this local Wellhub, and some then check in, which sends its webhooks to
 * that receiver; the moment each webhook was answered and the moment each answer (or validate call)
 * arrived are both read here, on one clock (Date.now).
 */
import { type LocalWellhub, startLocalWellhub } from '#lib/local-wellhub/server';
import { DynamoDbStore } from '#lib/store/dynamodb-store';
import { gymApi } from '../schedule/gym';
import { driverProgress as progress, runAsDriver, sendResults } from '../support/driver';
import { oursLocalEnv, SECRET, scheduleWorkerEnv, WELLHUB_TOKEN } from '../support/environment';
import { type ReceiverProcess, startReceiver } from '../support/receiver-process';
import { measureCheckins, reservedBookings } from './checkins';
import { measureDecisions } from './decisions';
import { type PublishedSlot, publishTimetable, type SlotSpec } from './gym';
import { measureLatency } from './latency';
import type { BookingsPlan, BookingsResults } from './measure';
import { memberIds } from './members';

/** The gym API's store as deployed (lib/pipeline/deps.ts: the gym API runs on the jobs' store). */
const GYM_API_DYNAMODB_TIMEOUT_MS = 3_000;
/** Classes and every slot of the run published at Wellhub before the first member books. */
const TIMETABLE_LIMIT_MS = 180_000;
/** Wellhub's own limit on a slot's capacity. */
const MAX_CAPACITY = 32_000;
const CLASSES = [
  { reference: 'bk-latency', name: 'Cycle' },
  { reference: 'bk-hot', name: 'Spinning' },
  { reference: 'bk-spread', name: 'Yoga' },
];

async function main(): Promise<void> {
  const {
    BENCH_PIPELINE_SCRIPT: script,
    BENCH_RECEIVER_SCRIPT: receiverScript,
    BENCH_DIST_DIR: dist,
    BENCH_CHECKPOINT_FILE: checkpointFile,
    BENCH_BOOKINGS_PLAN: planJson,
    TABLE_NAME: tableName,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
  } = process.env;
  if (!script || !receiverScript || !dist || !checkpointFile || !planJson || !tableName || !endpoint)
    throw new Error(
      'BENCH_* settings, TABLE_NAME or the endpoint are not set: run it through `npm run bench`',
    );
  const plan = JSON.parse(planJson) as BookingsPlan;
  let receiver: ReceiverProcess | undefined;
  let wellhub: LocalWellhub | undefined;
  let pipeline: ReceiverProcess | undefined;
  try {
    receiver = await startReceiver('bookings receiver', receiverScript, {
      ...oursLocalEnv(endpoint, tableName),
      BENCH_DIST_DIR: dist,
    });
    wellhub = await startLocalWellhub({
      token: WELLHUB_TOKEN,
      receiverUrl: receiver.url,
      webhookSecret: SECRET,
    });
    pipeline = await startReceiver(
      'bookings pipeline',
      script,
      scheduleWorkerEnv(endpoint, dist, checkpointFile, wellhub.url, tableName),
    );
    const store = new DynamoDbStore({ tableName, timeoutMs: GYM_API_DYNAMODB_TIMEOUT_MS });
    const { latency, checkins, decisions } = plan;

    const latencySlots = Array.from({ length: latency.rounds.size }, (_, i) => `bk-lat-${i}`);
    const perLatencySlot =
      Math.ceil((latency.warmUp + latency.oneAtATime) / latencySlots.length) +
      latency.rounds.warmUpRounds +
      latency.rounds.count;
    const spreadSlots = Array.from({ length: decisions.spread.slots }, (_, i) => `bk-spread-${i}`);
    const specs: SlotSpec[] = [
      // Twice the seats the plan can take: every latency request finds a free seat.
      ...latencySlots.map((reference) => ({
        reference,
        classReference: 'bk-latency',
        capacity: Math.min(MAX_CAPACITY, 2 * perLatencySlot),
      })),
      { reference: 'bk-hot', classReference: 'bk-hot', capacity: decisions.hot.capacity },
      ...spreadSlots.map((reference) => ({
        reference,
        classReference: 'bk-spread',
        capacity: decisions.spread.capacity,
      })),
    ];
    progress(`publishing ${CLASSES.length} classes and ${specs.length} slots through the gym API`);
    const published = await publishTimetable(gymApi(store), store, CLASSES, specs, TIMETABLE_LIMIT_MS);
    const slot = (reference: string) => published.get(reference) as PublishedSlot;

    const run = { wellhub, receiverUrl: receiver.url, pipeline, member: memberIds() };
    const latencyResults = await measureLatency(run, latencySlots.map(slot), latency, progress);
    // Before the bursts: their hundreds of answers would be on the stream with the check-ins.
    const reserved = reservedBookings(
      wellhub,
      latencySlots.map((reference) => slot(reference).wellhubId),
    );
    const checkinResults = await measureCheckins(run, store, reserved, checkins, progress);
    const decisionResults = await measureDecisions(
      run,
      store,
      slot('bk-hot'),
      spreadSlots.map(slot),
      decisions,
      progress,
    );
    await sendResults<BookingsResults>({
      latency: latencyResults,
      checkins: checkinResults,
      decisions: decisionResults,
    });
  } finally {
    await pipeline?.stop();
    await wellhub?.close();
    await receiver?.stop();
  }
}

runAsDriver('bookings', main);
