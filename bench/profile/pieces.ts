/**
 * The short in-process profile: what one new event costs in each piece of our handler, next to the
 * same piece of the floor, measured in one process against the benchmark's DynamoDB Local. CPU
 * pieces are timed over thousands of calls; the database piece over a few hundred real writes. Since
 * the pipeline applies events after the answer, the handler's database piece is the same as the
 * floor's: one conditional PutItem of the event record (ours also carries the parsed key fields and the
 * work-index attributes). Started by profile/measure.ts with the deployed function's environment
 * (metrics on), stdout discarded.
 */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { EventRecord, QuarantineRecord } from '#lib/bookings/records';
import { type WebhookDeps, webhookHandler } from '#lib/http/webhook';
import type { EventKey } from '#lib/inbox/receive';
import { toGatewayEvent } from '#lib/local/gateway-event';
import { logger, metrics } from '#lib/log';
import { DynamoDbStore } from '#lib/store/dynamodb-store';
import { parseWellhubEvent } from '#lib/wellhub/parse';
import { routeOf } from '#lib/wellhub/routes';
import { verifySignature } from '#lib/wellhub/signature';
import { handler as floorHandler } from '../baseline/handler';
import { eventKeyOf, putEvent, signatureMatches } from '../baseline/receive';
import { SECRET } from '../support/environment';
import { newBookings, type SignedEvent } from '../support/events';
import { mean } from '../support/stats';

export interface Piece {
  readonly piece: string;
  /** Mean microseconds per request; undefined where that receiver has no such piece. */
  readonly oursUs: number | undefined;
  readonly floorUs: number | undefined;
  readonly note: string;
}

export interface ProfileMessage {
  readonly type: 'profile';
  readonly pieces: Piece[];
}

const CPU_CALLS = 5_000;
const IO_CALLS = 300;
const route = routeOf('booking-requested');

function timeSync(calls: number, run: (i: number) => void): number {
  for (let i = 0; i < calls / 5; i++) run(i);
  const started = performance.now();
  for (let i = 0; i < calls; i++) run(i);
  return ((performance.now() - started) * 1000) / calls;
}

/** Microseconds one call takes, to its answer. */
async function timeOnce(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) * 1000;
}

type Inbox = WebhookDeps['inbox'];

/** Wraps the store to time the request path's one call while the real handler runs. */
class TimedInbox implements Inbox {
  readonly puts: number[] = [];
  constructor(private readonly store: DynamoDbStore) {}
  async receive(key: EventKey, record: EventRecord, dueAt: Date): Promise<'accepted' | 'duplicate'> {
    const started = performance.now();
    const status = await this.store.receive(key, record, dueAt);
    this.puts.push((performance.now() - started) * 1000);
    return status;
  }
  quarantine(record: QuarantineRecord): Promise<void> {
    return this.store.quarantine(record);
  }
}

function gatewayEventOf(event: SignedEvent): APIGatewayProxyEventV2 {
  return toGatewayEvent({
    method: 'POST',
    url: route.path,
    headers: { 'content-type': 'application/json', 'x-gympass-signature': event.signature },
    body: Buffer.from(event.body, 'utf8'),
    sourceIp: '127.0.0.1',
    routePath: route.path,
  });
}

function context(): Context {
  const fail = () => undefined;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: route.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${route.functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: 'bench',
    logGroupName: `/aws/lambda/${route.functionName}`,
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 3_000,
    done: fail,
    fail,
    succeed: fail,
  };
}

async function main(): Promise<Piece[]> {
  const sample = newBookings(1, SECRET)[0];
  if (!sample) throw new Error('no sample event');
  const bytes = Buffer.from(sample.body, 'utf8');
  const parsed: unknown = JSON.parse(sample.body);
  const keys = { current: SECRET };
  const event = parseWellhubEvent(route, parsed);
  const logFields = {
    route: route.path,
    event_type: event.type,
    event_id: event.eventId,
    booking_number: 'BK_1',
    gym_id: event.gymId,
    outcome: 'accepted',
    status: 200,
    latency_ms: 12.34,
    cold_start: false,
    request_id: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
    function_request_id: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
    signature_form: 'raw',
    signature_key: 'current',
    booking_status: 'REQUESTED',
  };

  const gatewayUs = timeSync(CPU_CALLS, () => gatewayEventOf(sample));
  const signatureUs = timeSync(CPU_CALLS, () => verifySignature(bytes, sample.signature, keys));
  const floorSignatureUs = timeSync(CPU_CALLS, () => signatureMatches(bytes, sample.signature));
  const jsonUs = timeSync(CPU_CALLS, () => JSON.parse(sample.body));
  const floorKeyUs = timeSync(CPU_CALLS, () => eventKeyOf(bytes));
  const schemaUs = timeSync(CPU_CALLS, () => parseWellhubEvent(route, parsed));
  const logUs = timeSync(CPU_CALLS, () => logger.info('webhook request', logFields));
  const metricsUs = timeSync(CPU_CALLS, () => {
    metrics.addDimensions({ event_type: event.type, outcome: 'accepted' });
    metrics.addMetric('Requests', 'Count', 1);
    metrics.addMetric('Latency', 'Milliseconds', 12.34);
    metrics.publishStoredMetrics();
  });

  const inbox = new TimedInbox(new DynamoDbStore({ tableName: process.env.TABLE_NAME ?? '' }));
  const ours = webhookHandler('booking-requested', {
    inbox,
    keys: { signingKeys: async () => keys },
    retentionDays: 35,
    problems: [],
  });
  // Warm the connections and the JIT of both before timing either.
  for (const warm of newBookings(50, SECRET)) {
    await ours(gatewayEventOf(warm), context());
    await floorHandler(gatewayEventOf(warm));
  }
  inbox.puts.length = 0;
  // Interleaved, one request of each in turn, so that a noisy moment touches all three alike.
  const samples = { ours: [] as number[], floor: [] as number[], floorPut: [] as number[] };
  for (let i = 0; i < IO_CALLS; i++) {
    const [a, b, c] = newBookings(3, SECRET);
    if (!a || !b || !c) throw new Error('no events');
    // API Gateway builds the event when deployed: built here before the clock starts.
    const [forOurs, forFloor] = [gatewayEventOf(a), gatewayEventOf(b)];
    samples.ours.push(await timeOnce(() => ours(forOurs, context())));
    samples.floor.push(await timeOnce(() => floorHandler(forFloor)));
    samples.floorPut.push(
      await timeOnce(() => putEvent({ type: 'booking-requested', id: c.eventId }, Buffer.from(c.body))),
    );
  }
  const oursUs = mean(samples.ours);
  const floorUs = mean(samples.floor);
  const floorPutUs = mean(samples.floorPut);
  const putUs = mean(inbox.puts);
  const accounted = signatureUs + jsonUs + schemaUs + logUs + metricsUs + putUs;

  return [
    {
      piece: 'gateway event (local receiver only, not in the total)',
      oursUs: gatewayUs,
      floorUs: undefined,
      note: 'API Gateway builds it when deployed',
    },
    { piece: 'signature check (HMAC-SHA1)', oursUs: signatureUs, floorUs: floorSignatureUs, note: '' },
    { piece: 'JSON parse', oursUs: jsonUs, floorUs: floorKeyUs, note: 'floor: parse + pick the id' },
    { piece: 'schema validation (zod)', oursUs: schemaUs, floorUs: undefined, note: '' },
    { piece: 'log line (powertools logger)', oursUs: logUs, floorUs: undefined, note: '' },
    { piece: 'metrics flush (EMF, deployed only)', oursUs: metricsUs, floorUs: undefined, note: '' },
    {
      piece: 'DynamoDB write (1 conditional PutItem)',
      oursUs: putUs,
      floorUs: floorPutUs,
      note: 'both: the event record only; ours adds the parsed key fields and the work index keys',
    },
    {
      piece: 'everything else (middy, event record, responses)',
      // A difference of noisy means: for the floor it is within the noise of its write, so a
      // negative remainder is shown as none rather than as a gain.
      oursUs: Math.max(0, oursUs - accounted),
      floorUs: Math.max(0, floorUs - floorSignatureUs - floorKeyUs - floorPutUs),
      note: 'handler total minus the pieces',
    },
    {
      piece: 'whole handler, in process',
      oursUs,
      floorUs,
      note: 'the Lambda handler as deployed, one request at a time',
    },
  ];
}

main().then(
  (pieces) => {
    process.send?.({ type: 'profile', pieces } satisfies ProfileMessage);
    process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(`bench profile: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
