import type { EventRecord } from '#lib/bookings/records';
import { runEventJob, runPublishJob } from '#lib/jobs/router';
import type { PipelineDeps } from '#lib/pipeline/deps';
import { bookingFailures, retryBooking, validationFailure } from './bookings';
import { retryWalkin } from './checkins';
import { type OpsContext, ordered, refuse } from './commands';

/** On-call's view of the pipeline (CONTRACT §9, §15): where an event is, what failed, and a re-drive. */
const EVENT_ORDER = [
  'event_key',
  'event_id',
  'event_type',
  'state',
  'attempts',
  'last_error',
  'last_attempt_at',
  'route',
  'occurred_at',
  'received_at',
  'applied_at',
  'failed_at',
  'booking_number',
  'booking_status',
];

export interface PipelineContext extends OpsContext {
  readonly pipeline: PipelineDeps;
}

/** One record per event type stored under the id (normally exactly one). */
export async function event({ store }: OpsContext, eventId: string) {
  const records = await store.getEvents(eventId);
  if (records.length === 0) refuse(`no event ${eventId}`);
  const shown = records.map((record) => ordered(withoutWork(record), EVENT_ORDER));
  return shown.length === 1 ? shown[0] : shown;
}

/** Failed jobs, oldest first: what they were, how often they were tried and the last error. */
export async function failures({ store }: OpsContext) {
  const items = await store.failures();
  return items.flatMap((item): Record<string, unknown>[] => {
    if (item.kind === 'booking') return bookingFailures(item);
    if (item.kind === 'class' || item.kind === 'slot') {
      return [
        {
          kind: item.kind,
          reference: item.reference,
          gym_id: item.gym_id,
          changed_at: (item.sync as { changed_at?: string } | undefined)?.changed_at,
          failed_at: item.last_attempt_at,
          attempts: item.attempts,
          last_error: item.last_error,
          wellhub_error: (item.sync as { wellhub_error?: string } | undefined)?.wellhub_error,
          retry: `ops retry ${item.kind}:${String(item.reference)}`,
        },
      ];
    }
    const record = item as unknown as EventRecord;
    if (record.validation?.state === 'failed')
      return [
        validationFailure({
          gym_id: record.gym_id,
          event_key: record.event_key,
          ...(record.validation ? { validation: record.validation } : {}),
        }),
      ];
    return [
      {
        event_key: record.event_key,
        event_type: record.event_type,
        booking_number: record.booking_number,
        received_at: record.received_at,
        failed_at: record.failed_at,
        attempts: record.attempts,
        last_error: record.last_error,
      },
    ];
  });
}

/**
 * Re-drives a failed job, run once right here: an event (received again, its attempts cleared), a
 * publication named `class:<reference>` or `slot:<reference>` (owed again, from its first attempt),
 * or a booking's message to Wellhub named `booking:<booking_number>` (see retryBooking).
 */
export async function retry(context: PipelineContext, id: string) {
  const booking = /^booking:(.+)$/.exec(id);
  if (booking) return retryBooking(context, booking[1] ?? '');
  const publication = /^(class|slot):(.+)$/.exec(id);
  if (publication) return retryPublication(context, publication[1] as 'class' | 'slot', publication[2] ?? '');
  return retryEvent(context, id);
}

async function retryPublication(
  { store, pipeline }: PipelineContext,
  kind: 'class' | 'slot',
  reference: string,
) {
  const record = (await store.schedule.getRecord(kind, reference)) ?? refuse(`no ${kind} ${reference}`);
  if (record.sync.state !== 'failed') refuse(`${kind} ${reference} has not failed (${record.sync.state})`);
  await store.schedule.requestPublication(kind, reference, {}, pipeline.now());
  const report = await runPublishJob(kind, reference, pipeline, 'ops');
  const after = await store.schedule.getRecord(kind, reference);
  return { kind, reference, outcome: report.outcome, sync: after?.sync };
}

async function retryEvent({ store, pipeline }: PipelineContext, eventId: string) {
  const records = await store.getEvents(eventId);
  if (records.length === 0) refuse(`no event ${eventId}`);
  const failed = records.filter((record) => record.state === 'FAILED');
  const walkin = records.find((record) => record.validation?.state === 'failed');
  if (failed.length === 0 && walkin !== undefined) return retryWalkin({ store, pipeline }, walkin);
  if (failed.length === 0) {
    refuse(`event ${eventId} has not failed (${records.map((record) => record.state).join(', ')})`);
  }
  const results = [];
  for (const record of failed) {
    const key = { type: record.event_type, id: record.event_key };
    const now = pipeline.now();
    if (!(await store.retryFailed(key, now))) refuse(`event ${eventId} changed while it was being retried`);
    const again = await store.getEvent(key);
    const report = again ? await runEventJob(again, pipeline, 'ops') : undefined;
    const after = await store.getEvent(key);
    results.push({
      event_key: record.event_key,
      event_type: record.event_type,
      outcome: report?.outcome ?? 'done',
      state: after?.state,
      ...(after?.last_error !== undefined && after.state !== 'APPLIED'
        ? { last_error: after.last_error }
        : {}),
    });
  }
  return results.length === 1 ? results[0] : results;
}

/** How much the pipeline still owes: 0 means drained (tests and deploys wait on it). */
export async function pending({ store }: OpsContext) {
  const work = await store.pendingWork();
  return { pending: work.count, waiting_for_retry: work.waiting, oldest_due_at: work.oldest ?? null };
}

function withoutWork(record: EventRecord): Omit<EventRecord, never> {
  const {
    work_queue: _queue,
    work_at: _at,
    ...shown
  } = record as EventRecord & {
    work_queue?: string;
    work_at?: string;
  };
  return shown;
}

/**
 * Waits until the stream has nothing left to do: every event received so far is applied, failed, or
 * waiting for its retry. Polls the work index, which the request path writes before it answers.
 */
const QUIET_MS = 150;

export async function waitForDrain(
  store: Pick<OpsContext['store'], 'pendingWork'>,
  options: { timeoutMs?: number; kinds?: readonly string[] } = {},
): Promise<{ pending: number; waiting_for_retry: number }> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let quietSince: number | undefined;
  for (;;) {
    const work = await store.pendingWork(options.kinds ? { kinds: options.kinds } : {});
    // Drained only when it stays so a moment: a job that just finished may be handing work on (a
    // class published hands its waiting slots to the stream with a write of its own).
    if (work.count === work.waiting) {
      quietSince ??= Date.now();
      if (Date.now() - quietSince >= QUIET_MS)
        return { pending: work.count, waiting_for_retry: work.waiting };
    } else quietSince = undefined;
    if (Date.now() > deadline) {
      throw new Error(`pipeline not drained: ${work.count - work.waiting} events still owed by the stream`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
