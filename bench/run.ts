/**
 * `npm run bench`: everything Wellhub's 1 s budget depends on, measured side by side with the floor
 * (bench/baseline/) in one run, so that the ratios hold on a noisy machine. Builds the bundles,
 * starts one DynamoDB Local (in memory, free port) and a fake Secrets Manager, then measures
 * cold init, warm latency and throughput, memory, and the cost of each piece; prints one table and
 * writes bench/results.json. Loopback only; every load is bounded in count and time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '#lib/local/dynamodb-local';
import { toGatewayEvent } from '#lib/local/gateway-event';
import { ensureTable } from '#lib/store/table';
import { routeOf } from '#lib/wellhub/routes';
import { DIST_DIR, REPO_ROOT } from '../infra/bundle';
import { startFakeSecretsManager } from '../test/support/fake-secrets-manager';
import { measureColdStarts } from './cold/measure';
import { measurePieces } from './profile/measure';
import { buildFloor, buildOurs, buildReceivers } from './support/bundles';
import {
  FLOOR_TABLE,
  floorEnv,
  OURS_TABLE,
  oursLambdaEnv,
  oursLocalEnv,
  PROFILE_TABLE,
  profileEnv,
  SECRET,
  SECRET_ID,
} from './support/environment';
import { newBookings } from './support/events';
import { startReceiver } from './support/receiver-process';
import { buildRows, renderTable } from './support/report';
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
  memoryEvents: 20_000,
  soakChunk: 2_500,
  runLimitMs: 90_000,
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
    const floor = buildFloor(work);
    const receivers = buildReceivers(work);

    progress('starting DynamoDB Local and a fake Secrets Manager');
    const database = await startDynamoDbLocal({});
    cleanups.push(() => database.stop());
    const secrets = await startFakeSecretsManager({ [SECRET_ID]: SECRET });
    cleanups.push(() => secrets.stop());
    const client = new DynamoDBClient({ endpoint: database.endpoint });
    for (const table of [OURS_TABLE, FLOOR_TABLE, PROFILE_TABLE]) await ensureTable(client, table);
    client.destroy();

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

    const rows = buildRows({ ours, floor, samples, invoked: INVOKED }, warm, pieces);
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
            samples: Object.fromEntries(samples),
          },
          warm,
          pieces,
        },
        null,
        2,
      )}\n`,
    );
    checkOutcomes(warm, samples);
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

/** A benchmark of wrong answers is worthless: every new event must be accepted, every replay a duplicate. */
function checkOutcomes(
  warm: Awaited<ReturnType<typeof measureWarm>>,
  samples: Awaited<ReturnType<typeof measureColdStarts>>,
): void {
  for (const [name, runs] of samples) {
    const wrong = runs.flatMap((run) => run.invocations).filter((call) => !call.body.includes('"accepted"'));
    if (wrong.length > 0) {
      progress(
        `WARNING: ${name} cold runs answered ${wrong.length} request(s) wrongly, e.g. ${wrong[0]?.body}`,
      );
      process.exitCode = 1;
    }
  }
  for (const run of warm.runs) {
    for (const [name, result] of [
      ['ours', run.ours],
      ['floor', run.floor],
    ] as const) {
      const expected = run.kind === 'new' ? 'accepted' : 'duplicate';
      const right = result.outcomes[expected] ?? 0;
      if (right !== result.requests || result.cutShort) {
        progress(
          `WARNING: ${name} c=${run.connections} ${run.kind}: ${JSON.stringify(result.outcomes)}${result.cutShort ? ', cut short' : ''}`,
        );
        process.exitCode = 1;
      }
    }
  }
}

main().catch((error: unknown) => {
  progress(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
