import { createHash } from 'node:crypto';
import type { EventRecord } from '#lib/bookings/records';
import { BadRequest } from '#lib/errors';
import type { EventType } from '#lib/wellhub/routes';
import { compactForm } from '#lib/wellhub/signature';
import { bookingNumberOf, type WellhubEvent } from '#lib/wellhub/wellhub-event';

/** The idempotency key (CONTRACT §4): Wellhub's event id, or a hash of the body when it sends none. */
export interface EventKey {
  readonly type: EventType;
  readonly id: string;
}

/** The one write of the request path: the event record, stored only if it is not there yet. */
export interface Inbox {
  receive(key: EventKey, record: EventRecord, dueAt: Date): Promise<'accepted' | 'duplicate'>;
}

export interface Receipt {
  readonly route: string;
  /** The delivery's request id: also on the record, so a retried write can recognise its own. */
  readonly requestId: string;
  readonly body: string;
  readonly bodyIsBase64: boolean;
  readonly receivedAt: Date;
}

export interface Outcome {
  readonly status: 'accepted' | 'duplicate';
  /** What the response calls `event_id`: Wellhub's id, or the body hash standing in for it. */
  readonly eventId: string;
}

export interface ReceiveOptions {
  readonly retentionDays: number;
}

const DAY_MS = 86_400_000;
/** The stream applies an event within a second; the sweeper steps in for any it has not after this. */
export const APPLY_GRACE_MS = 30_000;

/**
 * Without an event id, the hash of the body in its compact form: the signature check also accepts a
 * body whose compact form was signed (CONTRACT §2), so hashing the bytes as received would let anyone
 * holding one request replay it with other whitespace under a new key. Wellhub's retries repeat the
 * bytes, and a body that is already compact hashes exactly as before.
 */
export function eventKeyOf(event: WellhubEvent, receipt: Receipt): EventKey {
  if (event.eventId !== undefined) return { type: event.type, id: event.eventId };
  const bytes = Buffer.from(receipt.body, receipt.bodyIsBase64 ? 'base64' : 'utf8');
  const canonical = compactForm(bytes) ?? bytes;
  return { type: event.type, id: `sha256:${createHash('sha256').update(canonical).digest('hex')}` };
}

/**
 * Stores a signed, valid event for the pipeline with one conditional write (CONTRACT §4): the first
 * delivery wins and is `accepted`, every other one (a retry, concurrent or later) is `duplicate`.
 * Nothing else is read or written, so no other event can make this one fail.
 */
export async function receiveEvent(
  inbox: Inbox,
  event: WellhubEvent,
  receipt: Receipt,
  options: ReceiveOptions,
): Promise<Outcome> {
  const key = eventKeyOf(event, receipt);
  rejectStale(event, receipt, options.retentionDays);
  const dueAt = new Date(receipt.receivedAt.getTime() + APPLY_GRACE_MS);
  const status = await inbox.receive(key, receivedRecord(key, event, receipt, options), dueAt);
  return { status, eventId: key.id };
}

/** Expired event records are deleted, so an event older than the window could be applied again. */
function rejectStale(event: WellhubEvent, receipt: Receipt, retentionDays: number): void {
  const oldest = receipt.receivedAt.getTime() - retentionDays * DAY_MS;
  if (Date.parse(event.occurredAt) < oldest) {
    throw new BadRequest(
      'stale_event',
      `event occurred at ${event.occurredAt}, before the ${retentionDays}-day replay window: refused as a replay`,
    );
  }
}

function receivedRecord(
  key: EventKey,
  event: WellhubEvent,
  receipt: Receipt,
  options: ReceiveOptions,
): EventRecord {
  const bookingNumber = bookingNumberOf(event);
  return {
    event_key: key.id,
    ...(event.eventId !== undefined ? { event_id: event.eventId } : {}),
    event_type: event.type,
    route: receipt.route,
    request_id: receipt.requestId,
    received_at: receipt.receivedAt.toISOString(),
    occurred_at: event.occurredAt,
    wellhub_id: event.wellhubId,
    gym_id: event.gymId,
    ...(bookingNumber !== undefined ? { booking_number: bookingNumber } : {}),
    raw_body: receipt.body,
    raw_body_base64: receipt.bodyIsBase64,
    expires_at: expiresAt(event, receipt, options.retentionDays),
    state: 'RECEIVED',
  };
}

/**
 * Kept until the event itself turns stale, plus a day: measured from the later of Wellhub's clock and
 * ours, so clock skew can never expire a record while its event would still be accepted.
 */
function expiresAt(event: WellhubEvent, receipt: Receipt, retentionDays: number): number {
  const latest = Math.max(receipt.receivedAt.getTime(), Date.parse(event.occurredAt));
  return Math.ceil((latest + (retentionDays + 1) * DAY_MS) / 1000);
}
