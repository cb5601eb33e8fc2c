import { createHash, randomUUID } from 'node:crypto';
import { BadRequest, Unavailable } from '#lib/errors';
import type { EventType } from '#lib/wellhub/routes';
import { compactForm } from '#lib/wellhub/signature';
import { bookingNumberOf, type WellhubEvent } from '#lib/wellhub/wellhub-event';
import { applyToBooking } from './booking';
import type { BookingRecord, CustomerRecord, EventRecord } from './records';

/** The idempotency key (CONTRACT §4): Wellhub's event id, or a hash of the body when it sends none. */
export interface EventKey {
  readonly type: EventType;
  readonly id: string;
}

export interface LedgerState {
  readonly eventSeen: boolean;
  readonly booking: BookingRecord | undefined;
  readonly customerId: string | undefined;
}

/** Everything one event changes, written at once or not at all. */
export interface LedgerChange {
  readonly key: EventKey;
  readonly event: EventRecord;
  /** `expectedVersion` undefined means the booking must not exist yet. */
  readonly booking?: { readonly record: BookingRecord; readonly expectedVersion: number | undefined };
  /** A new profile, claimed together with its Wellhub ID so that two first bookings make one. */
  readonly customer?: CustomerRecord;
}

export type CommitResult = 'applied' | 'duplicate' | 'contended';

/** What applying events needs from storage; the DynamoDB adapter in lib/store implements it. */
export interface Ledger {
  read(key: EventKey, bookingNumber: string | undefined, wellhubId: string): Promise<LedgerState>;
  commit(change: LedgerChange): Promise<CommitResult>;
}

export interface Receipt {
  readonly route: string;
  readonly body: string;
  readonly bodyIsBase64: boolean;
  readonly receivedAt: Date;
}

export interface Outcome {
  readonly status: 'accepted' | 'duplicate';
  /** What the response calls `event_id`: Wellhub's id, or the body hash standing in for it. */
  readonly eventId: string;
  readonly booking?: BookingRecord;
  readonly customerId?: string;
  readonly conflict: boolean;
}

export interface ApplyOptions {
  readonly retentionDays: number;
  readonly newCustomerId?: () => string;
}

const MAX_ATTEMPTS = 5;
const DAY_MS = 86_400_000;

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
 * Applies one event exactly once. Concurrent deliveries of the same event race on one conditional
 * write: one wins, the others see `duplicate`. A write that loses to a different event touching the
 * same booking or customer is re-read and retried.
 */
export async function applyEvent(
  ledger: Ledger,
  event: WellhubEvent,
  receipt: Receipt,
  options: ApplyOptions,
): Promise<Outcome> {
  const key = eventKeyOf(event, receipt);
  const bookingNumber = bookingNumberOf(event);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const state = await ledger.read(key, bookingNumber, event.wellhubId);
    if (state.eventSeen) return { status: 'duplicate', eventId: key.id, conflict: false };
    rejectStale(event, receipt, options.retentionDays);
    const change = decide(key, event, receipt, state, options);
    const result = await ledger.commit(change);
    if (result === 'duplicate') return { status: 'duplicate', eventId: key.id, conflict: false };
    if (result === 'applied') {
      return {
        status: 'accepted',
        eventId: key.id,
        ...(change.booking ? { booking: change.booking.record } : {}),
        ...(change.event.customer_id !== undefined ? { customerId: change.event.customer_id } : {}),
        conflict: change.event.conflict === true,
      };
    }
  }
  throw new Unavailable(`event ${key.id} lost ${MAX_ATTEMPTS} write races in a row`);
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

function decide(
  key: EventKey,
  event: WellhubEvent,
  receipt: Receipt,
  state: LedgerState,
  options: ApplyOptions,
): LedgerChange {
  const receivedAt = receipt.receivedAt.toISOString();
  const customer = state.customerId === undefined ? newCustomer(event, receivedAt, options) : undefined;
  const customerId = state.customerId ?? customer?.customer_id;
  const bookingChange =
    event.type === 'checkin'
      ? undefined
      : applyToBooking(state.booking, event, { eventKey: key.id, receivedAt, customerId });
  const record: EventRecord = {
    event_key: key.id,
    ...(event.eventId !== undefined ? { event_id: event.eventId } : {}),
    event_type: event.type,
    route: receipt.route,
    received_at: receivedAt,
    occurred_at: event.occurredAt,
    wellhub_id: event.wellhubId,
    gym_id: event.gymId,
    ...(bookingChange ? { booking_number: bookingChange.booking.booking_number } : {}),
    ...(customerId !== undefined ? { customer_id: customerId } : {}),
    ...(bookingChange ? { booking_status: bookingChange.booking.status } : {}),
    ...(bookingChange?.conflict ? { conflict: true as const } : {}),
    raw_body: receipt.body,
    raw_body_base64: receipt.bodyIsBase64,
    expires_at: expiresAt(event, receipt, options.retentionDays),
  };
  return {
    key,
    event: record,
    ...(bookingChange
      ? { booking: { record: bookingChange.booking, expectedVersion: state.booking?.version } }
      : {}),
    ...(customer ? { customer } : {}),
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

function newCustomer(
  event: WellhubEvent,
  createdAt: string,
  options: ApplyOptions,
): CustomerRecord | undefined {
  const createsProfile =
    event.type === 'booking-requested' || (event.type === 'checkin' && event.person.name !== undefined);
  if (!createsProfile) return undefined;
  const { name, email, phone } = event.person;
  return {
    customer_id: (options.newCustomerId ?? randomUUID)(),
    wellhub_ids: [event.wellhubId],
    ...(name !== undefined ? { name } : {}),
    ...(email !== undefined ? { email } : {}),
    ...(phone !== undefined ? { phone } : {}),
    created_at: createdAt,
    created_from: 'wellhub',
  };
}
