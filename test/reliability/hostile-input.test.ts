/**
 * Property-based: generated and mutated bodies, headers and signatures against the five real
 * handlers and DynamoDB Local (CONTRACT §2, §3, §5). Unsigned requests go to a table of their own, so
 * "changed nothing" is checked by the table staying empty; signed ones to another, whose ledger is
 * audited at the end.
 */
import fc from 'fast-check';
import { dropTestTable } from '../support/dynamodb';
import { countItems } from '../support/table-scan';
import {
  buildReplay,
  buildRequest,
  CURRENT_SECRET,
  type HostileRequest,
  KEPT_BYTES,
  PREVIOUS_SECRET,
  recipes,
  replayRecipes,
} from './support/hostile';
import { checkIntegrity, readLedger } from './support/ledger-audit';
import { recordResult } from './support/results';
import { inPool, type Reply, type Rig, startRig } from './support/rig';
import { fastCheckSeed, sized } from './support/scale';

const BATCH = 25;
const UNSIGNED_INPUTS = sized({ bounded: 2_000, full: 92_000 });
const SIGNED_INPUTS = sized({ bounded: 500, full: 12_000 });
const REPLAYS = sized({ bounded: 50, full: 1_000 });
/** Signed requests one table takes before it is audited and dropped. */
const TABLE_REQUESTS = 3_000;
const BAD_REQUEST_CODES = [
  'invalid_json',
  'invalid_body',
  'missing_field',
  'invalid_field',
  'unknown_event_type',
  'wrong_route',
  'stale_event',
];

const keys = { signingKeys: async () => ({ current: CURRENT_SECRET, previous: PREVIOUS_SECRET }) };

const tally = {
  inputs: 0,
  signed: 0,
  unsigned: 0,
  unsignedAccepted: 0,
  badInput5xx: 0,
  threw: 0,
  byStatus: {} as Record<string, number>,
  validApplied: 0,
  quarantined: 0,
  replays: 0,
  replaysAppliedAgain: 0,
  appliedTwice: 0,
};

function count(request: HostileRequest, reply: Reply): void {
  tally.inputs++;
  if (request.signed) tally.signed++;
  else tally.unsigned++;
  if (reply.threw !== undefined) tally.threw++;
  if (reply.status >= 500 || reply.status < 0) tally.badInput5xx++;
  tally.byStatus[reply.status] = (tally.byStatus[reply.status] ?? 0) + 1;
}

function describeFailure(request: HostileRequest, reply: Reply, problem: string): string {
  return `${problem}: got ${reply.status} ${reply.threw ?? reply.text.slice(0, 200)} for [${request.label}]`;
}

/** What CONTRACT §5 allows for a request without a valid signature: 401, or 413 when oversize. */
function unsignedProblem(request: HostileRequest, reply: Reply, rig: Rig): string | undefined {
  if (reply.threw !== undefined) return 'handler threw';
  const requestId = request.event.requestContext.requestId;
  if (rig.store.quarantined.has(requestId)) return 'an unsigned request was quarantined';
  if (request.oversize) {
    return reply.status === 413 && reply.body?.error === 'payload_too_large' ? undefined : 'expected 413';
  }
  return reply.status === 401 && reply.text === '{"error":"invalid_signature"}' ? undefined : 'expected 401';
}

/** What CONTRACT §5 requires for a validly signed request: applied (200), or 400/413 and kept. */
async function signedProblem(request: HostileRequest, reply: Reply, rig: Rig): Promise<string | undefined> {
  if (reply.threw !== undefined) return 'handler threw';
  const requestId = request.event.requestContext.requestId;
  const kept = rig.store.quarantined.has(requestId);
  if (request.oversize) {
    if (reply.status !== 413 || reply.body?.error !== 'payload_too_large') return 'expected 413';
    if (request.bytes.length <= KEPT_BYTES && !kept) return 'signed 413 not quarantined';
    return undefined;
  }
  if (reply.status === 400) {
    if (!BAD_REQUEST_CODES.includes(String(reply.body?.error))) return '400 without a known error code';
    if (typeof reply.body?.message !== 'string' || reply.body.message === '') return '400 without a message';
    if (!kept) return 'signed 400 not quarantined';
    if (request.valid) return 'a valid event was refused';
    tally.quarantined++;
    return undefined;
  }
  if (reply.status !== 200) return 'expected 200 or 400';
  const status = reply.body?.status;
  const eventId = reply.body?.event_id;
  if ((status !== 'accepted' && status !== 'duplicate') || typeof eventId !== 'string')
    return '200 without status and event_id';
  const stored = (await rig.store.getEvents(eventId)).find((record) => record.event_type === request.route);
  if (!stored) return '200 but no event record';
  if (request.valid && status === 'accepted') {
    if (stored.wellhub_id !== request.valid.wellhubId) return `Wellhub ID stored as ${stored.wellhub_id}`;
    tally.validApplied++;
  }
  return undefined;
}

/**
 * Signed requests fill a table with quarantined bodies of up to 256 KiB, and DynamoDB Local slows
 * down for everyone as its data grows: each table serves a few thousand signed requests, then its
 * ledger is audited and the table dropped.
 */
class SignedTables {
  #rig: Rig | undefined;
  #served = 0;
  readonly problems: string[] = [];

  async rig(requests: number): Promise<Rig> {
    if (this.#rig === undefined || this.#served >= TABLE_REQUESTS) {
      await this.retire();
      this.#rig = await startRig({ keys });
      this.#served = 0;
    }
    this.#served += requests;
    return this.#rig;
  }

  async retire(): Promise<void> {
    const rig = this.#rig;
    if (rig === undefined) return;
    this.#rig = undefined;
    await rig.drain(120_000);
    const integrity = checkIntegrity(await readLedger(rig.endpoint, rig.tableName));
    tally.appliedTwice += integrity.appliedTwice;
    this.problems.push(...integrity.problems);
    await rig.stop();
    await dropTestTable(rig.tableName);
  }
}

describe('webhook handlers under hostile input (CONTRACT §2, §3, §5)', () => {
  let unsignedRig: Rig;
  const signed = new SignedTables();
  beforeAll(async () => {
    unsignedRig = await startRig({ keys });
  });

  afterAll(async () => {
    await signed.retire();
    await unsignedRig.stop();
    await dropTestTable(unsignedRig.tableName);
    recordResult({
      suite: 'hostile-input',
      inputsTried: tally.inputs,
      eventsLost: 0,
      appliedTwice: tally.appliedTwice + tally.replaysAppliedAgain,
      unsignedAccepted: tally.unsignedAccepted,
      badInput5xx: tally.badInput5xx,
      notes: {
        'signed inputs': tally.signed,
        'unsigned inputs': tally.unsigned,
        'valid events applied and checked': tally.validApplied,
        'signed bad requests quarantined': tally.quarantined,
        'handler threw': tally.threw,
        're-serialised replays of accepted events': tally.replays,
        ...Object.fromEntries(Object.entries(tally.byStatus).map(([status, n]) => [`answered ${status}`, n])),
      },
    });
  });

  it(
    'answers 401 (413 when oversize), stores nothing and never fails when the signature is not valid',
    async () => {
      const { received, quarantined } = unsignedRig.store;
      const writes = () => received.accepted + received.duplicate + quarantined.size;
      await fc.assert(
        fc.asyncProperty(recipes(0), async (recipe) => {
          const request = buildRequest(recipe);
          // A mutation that happens to leave a valid signature (e.g. the compact form of a JSON body)
          // is a signed request: it is held to the signed rules, against the other table.
          if (request.signed) {
            const rig = await signed.rig(1);
            const reply = await rig.invoke(request.route, request.event);
            count(request, reply);
            const problem = await signedProblem(request, reply, rig);
            if (problem !== undefined) throw new Error(describeFailure(request, reply, problem));
            return;
          }
          const before = writes();
          const reply = await unsignedRig.invoke(request.route, request.event);
          count(request, reply);
          const problem =
            writes() > before
              ? 'an unsigned request reached the store'
              : unsignedProblem(request, reply, unsignedRig);
          if (problem === undefined) return;
          if (reply.status !== 401 && reply.status !== 413) tally.unsignedAccepted++;
          throw new Error(describeFailure(request, reply, problem));
        }),
        { numRuns: UNSIGNED_INPUTS, ...fastCheckSeed() },
      );

      // Independent of the ledger's own account: the table they were sent against is still empty.
      const items = await countItems(unsignedRig.tableName);
      tally.unsignedAccepted += items;
      expect(items).toBe(0);
      expect(tally.unsignedAccepted).toBe(0);
    },
    sized({ bounded: 60_000, full: 1_800_000 }),
  );

  it(
    'applies, or refuses with 400/413 and quarantines, every validly signed request, and never fails',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(recipes(1), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
          const requests = batch.map((recipe) => buildRequest(recipe)).filter((request) => request.signed);
          const rig = await signed.rig(requests.length);
          const replies = await inPool(requests, 8, (request) => rig.invoke(request.route, request.event));
          const problems: string[] = [];
          for (const [index, request] of requests.entries()) {
            const reply = replies[index] as Reply;
            count(request, reply);
            const problem = await signedProblem(request, reply, rig);
            if (problem !== undefined) problems.push(describeFailure(request, reply, problem));
          }
          if (problems.length > 0) throw new Error(problems.slice(0, 5).join('\n'));
        }),
        // No shrinking: a batch is large and each run writes; the error names the failing requests.
        { numRuns: Math.ceil(SIGNED_INPUTS / BATCH), endOnFailure: true, ...fastCheckSeed() },
      );

      await signed.retire();
      expect(signed.problems).toEqual([]);
      expect(tally.badInput5xx).toBe(0);
      expect(tally.threw).toBe(0);
    },
    sized({ bounded: 60_000, full: 1_800_000 }),
  );

  it(
    'never applies an event twice when a captured request is replayed with other whitespace, escapes or duplicate keys',
    async () => {
      await fc.assert(
        fc.asyncProperty(replayRecipes, async (recipe) => {
          const replay = buildReplay(recipe);
          const rig = await signed.rig(1 + replay.variants.length);
          const appliedBefore = rig.store.received.accepted;
          const genuine = await rig.invoke(replay.route, replay.genuine);
          const replies = [];
          for (const variant of replay.variants) replies.push(await rig.invoke(replay.route, variant));
          const applied = rig.store.received.accepted - appliedBefore;
          tally.inputs += 1 + replies.length;
          tally.signed += 1 + replies.length;
          tally.replays += replies.length;
          if (applied > 1) tally.replaysAppliedAgain += applied - 1;
          const problems = [
            ...(genuine.status === 200 ? [] : [`genuine request answered ${genuine.status} ${genuine.text}`]),
            ...replies
              .filter(
                (reply) =>
                  !(reply.status === 401 || (reply.status === 200 && reply.body?.status === 'duplicate')),
              )
              .map((reply) => `replay answered ${reply.status} ${reply.text}`),
            ...(applied > 1 ? [`applied ${applied} times`] : []),
          ];
          if (problems.length > 0) throw new Error(`${replay.label}: ${problems.join('; ')}`);
        }),
        { numRuns: REPLAYS, ...fastCheckSeed() },
      );

      await signed.retire();
      expect(signed.problems).toEqual([]);
      expect(tally.replaysAppliedAgain).toBe(0);
    },
    sized({ bounded: 30_000, full: 600_000 }),
  );
});
