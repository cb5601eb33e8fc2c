/**
 * Reads a whole table back and checks what "exactly once, all or nothing" means for the items in it:
 * every booking's history holds each event once and its version counts them; every event record and
 * the booking it changed agree (nothing half-written); customers and Wellhub-ID links point at each
 * other. Used after every load and fault run.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';

type Item = Record<string, unknown>;

export interface HistoryItem {
  readonly event_key: string;
  readonly event_type: string;
  readonly status: string;
  readonly conflict?: boolean;
}

export interface BookingItem {
  readonly booking_number: string;
  readonly status: string;
  readonly version: number;
  readonly history: readonly HistoryItem[];
  readonly slot_id?: string;
  readonly class_id?: string;
  readonly customer_id?: string;
  readonly gym_id: string;
  readonly wellhub_id: string;
}

export interface LedgerSnapshot {
  /** Event records by `<event key>|<event type>`. */
  readonly events: ReadonlyMap<string, Item>;
  readonly bookings: ReadonlyMap<string, BookingItem>;
  readonly customers: ReadonlyMap<string, Item>;
  /** Wellhub ID → customer id. */
  readonly links: ReadonlyMap<string, string>;
  readonly quarantine: readonly Item[];
}

/** Everything the checks read: raw bodies (up to 256 KiB each in quarantine) stay in the table. */
const PROJECTED = [
  'pk',
  'sk',
  'kind',
  'event_key',
  'event_type',
  'booking_number',
  'customer_id',
  'conflict',
  'history',
  'version',
  'status',
  'slot_id',
  'class_id',
  'gym_id',
  'wellhub_id',
  'wellhub_ids',
  'quarantine_id',
  'request_id',
  'reason',
  'state',
];
const projection = {
  ProjectionExpression: PROJECTED.map((_, i) => `#a${i}`).join(', '),
  ExpressionAttributeNames: Object.fromEntries(PROJECTED.map((name, i) => [`#a${i}`, name])),
};

export async function readLedger(endpoint: string, tableName: string): Promise<LedgerSnapshot> {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint }));
  const events = new Map<string, Item>();
  const bookings = new Map<string, BookingItem>();
  const customers = new Map<string, Item>();
  const links = new Map<string, string>();
  const quarantine: Item[] = [];
  let start: Item | undefined;
  try {
    do {
      const page = await client.send(
        new ScanCommand({
          TableName: tableName,
          ConsistentRead: true,
          ExclusiveStartKey: start,
          ...projection,
        }),
      );
      for (const item of page.Items ?? []) {
        switch (item.kind) {
          case 'event':
            events.set(`${String(item.event_key)}|${String(item.event_type)}`, item);
            break;
          case 'booking':
            bookings.set(String(item.booking_number), item as unknown as BookingItem);
            break;
          case 'customer':
            customers.set(String(item.customer_id), item);
            break;
          case 'wellhub_id':
            links.set(String(item.pk).replace(/^WELLHUB#/, ''), String(item.customer_id));
            break;
          case 'quarantine':
            quarantine.push(item);
            break;
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
  } finally {
    client.destroy();
  }
  return { events, bookings, customers, links, quarantine };
}

export interface Integrity {
  /** History entries beyond the first for one event, plus versions above the distinct events. */
  readonly appliedTwice: number;
  /** Half-written or inconsistent items, described. */
  readonly problems: string[];
}

export function checkIntegrity(ledger: LedgerSnapshot): Integrity {
  const problems: string[] = [];
  let appliedTwice = 0;
  for (const booking of ledger.bookings.values()) {
    const keys = booking.history.map((entry) => `${entry.event_key}|${entry.event_type}`);
    const distinct = new Set(keys);
    if (distinct.size !== keys.length) {
      appliedTwice += keys.length - distinct.size;
      problems.push(`booking ${booking.booking_number}: an event appears twice in its history`);
    }
    if (booking.version > distinct.size) {
      appliedTwice += booking.version - Math.max(distinct.size, keys.length);
      problems.push(
        `booking ${booking.booking_number}: version ${booking.version} > ${distinct.size} events`,
      );
    }
    if (booking.version !== keys.length)
      problems.push(`booking ${booking.booking_number}: version ${booking.version}, history ${keys.length}`);
    if (booking.history.at(-1)?.status !== booking.status)
      problems.push(`booking ${booking.booking_number}: status is not its last history entry's`);
    for (const entry of booking.history) {
      const event = ledger.events.get(`${entry.event_key}|${entry.event_type}`);
      if (event === undefined)
        problems.push(`booking ${booking.booking_number}: history entry without event`);
      else if (event.booking_number !== booking.booking_number)
        problems.push(
          `event ${entry.event_key}: history of ${booking.booking_number}, record says otherwise`,
        );
      else if ((event.conflict === true) !== (entry.conflict === true))
        problems.push(`event ${entry.event_key}: conflict flag differs between record and history`);
    }
    if (booking.customer_id !== undefined && !ledger.customers.has(booking.customer_id))
      problems.push(`booking ${booking.booking_number}: customer ${booking.customer_id} does not exist`);
  }
  for (const [key, event] of ledger.events) {
    const bookingNumber = event.booking_number;
    if (event.state !== 'APPLIED') {
      problems.push(`event ${key}: ${String(event.state)} after the drain, not applied`);
      continue;
    }
    if (typeof bookingNumber === 'string') {
      const booking = ledger.bookings.get(bookingNumber);
      const inHistory = booking?.history.some((entry) => `${entry.event_key}|${entry.event_type}` === key);
      if (!inHistory) problems.push(`event ${key}: applied to booking ${bookingNumber}, not in its history`);
    }
    if (typeof event.customer_id === 'string' && !ledger.customers.has(event.customer_id))
      problems.push(`event ${key}: customer ${event.customer_id} does not exist`);
  }
  for (const [wellhubId, customerId] of ledger.links) {
    const ids = ledger.customers.get(customerId)?.wellhub_ids;
    if (!Array.isArray(ids) || !ids.includes(wellhubId))
      problems.push(`Wellhub ID ${wellhubId}: linked to ${customerId}, which does not list it`);
  }
  for (const [customerId, customer] of ledger.customers) {
    const ids = Array.isArray(customer.wellhub_ids) ? customer.wellhub_ids : [];
    for (const id of ids) {
      if (ledger.links.get(String(id)) !== customerId)
        problems.push(`customer ${customerId}: Wellhub ID ${String(id)} is not linked back`);
    }
  }
  return { appliedTwice, problems };
}
