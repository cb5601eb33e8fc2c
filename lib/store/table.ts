import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  type TableDescription,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { EventKey } from '#lib/inbox/receive';

/**
 * The single table's layout. Every item has `pk` and `sk`; the `kind` attribute says what it is.
 *
 *   EVENT#<event id or sha256:…>  <event type>   one per applied event (TTL)
 *   BOOKING#<booking number>      BOOKING        the gym's booking record
 *   CUSTOMER#<customer id>        PROFILE        a customer profile
 *   WELLHUB#<unique_token>        CUSTOMER       which customer a Wellhub ID belongs to
 *   QUARANTINE                    <id>           signed requests we could not apply (TTL)
 *   CLASS#<reference>             CLASS          a class of the gym's schedule
 *   SLOT#<reference>              SLOT           a slot of a class
 *   SLOT#<reference>              MEMBER#<id>    the Wellhub member holding a seat in it (one each)
 *   WSLOT#<Wellhub slot id>       SLOT           which slot a Wellhub slot id is (booking requests carry it)
 *   DRIFT#<gym id>                <Wellhub id>   a slot at Wellhub that reconcile could not match
 *
 * The sparse index `list` lists items under a parent, in order: the classes of the deployment
 * (`CLASSES`, by gym and reference), a gym's slots (`GYM#<gym id>`, by start time) and the bookings on
 * a Wellhub slot (`WSLOT#<id>`, by booking number). Only those items carry `list_pk` and `list_sk`.
 *
 * The sparse index `work` lists what the pipeline still owes (CONTRACT §9): an item is in it while it
 * carries `work_queue` and `work_at`. Pending work sits in one of `DUE_SHARDS` queues (`due#<n>`, so
 * that no single partition takes every write) sorted by when it is due; failed work sits in `failed`.
 * Done work leaves the index, so the sweeper never scans the table.
 *
 * Event records are keyed by id *and* type: Wellhub's own examples reuse one id across two event
 * types, and a retry always repeats its type, so scoping by type loses no de-duplication.
 */
export const TTL_ATTRIBUTE = 'expires_at';

export const WORK_INDEX = 'work';
export const LIST_INDEX = 'list';
export const DUE_SHARDS = 4;
export const FAILED_QUEUE = 'failed';

/** The due queue an item belongs to: fixed per item, so re-scheduling it stays in one partition. */
export function dueQueueOf(pk: string): string {
  let hash = 0;
  for (let i = 0; i < pk.length; i++) hash = (hash * 31 + pk.charCodeAt(i)) >>> 0;
  return `due#${hash % DUE_SHARDS}`;
}

export const DUE_QUEUES: readonly string[] = Array.from({ length: DUE_SHARDS }, (_, n) => `due#${n}`);

export interface StoredItem extends Record<string, unknown> {
  readonly pk: string;
  readonly sk: string;
  readonly kind:
    | 'event'
    | 'booking'
    | 'customer'
    | 'wellhub_id'
    | 'quarantine'
    | 'class'
    | 'slot'
    | 'wellhub_slot'
    | 'seat_holder'
    | 'drift';
}

export const keys = {
  event: (key: EventKey) => ({ pk: `EVENT#${key.id}`, sk: key.type }),
  eventPartition: (id: string) => `EVENT#${id}`,
  booking: (bookingNumber: string) => ({ pk: `BOOKING#${bookingNumber}`, sk: 'BOOKING' }),
  customer: (customerId: string) => ({ pk: `CUSTOMER#${customerId}`, sk: 'PROFILE' }),
  wellhubId: (wellhubId: string) => ({ pk: `WELLHUB#${wellhubId}`, sk: 'CUSTOMER' }),
  quarantine: (quarantineId: string) => ({ pk: 'QUARANTINE', sk: quarantineId }),
  quarantinePartition: 'QUARANTINE',
  gymClass: (reference: string) => ({ pk: `CLASS#${reference}`, sk: 'CLASS' }),
  slot: (reference: string) => ({ pk: `SLOT#${reference}`, sk: 'SLOT' }),
  wellhubSlot: (wellhubSlotId: string) => ({ pk: `WSLOT#${wellhubSlotId}`, sk: 'SLOT' }),
  seatHolder: (slotReference: string, wellhubId: string) => ({
    pk: `SLOT#${slotReference}`,
    sk: `MEMBER#${wellhubId}`,
  }),
  drift: (gymId: string, wellhubSlotId: string) => ({ pk: `DRIFT#${gymId}`, sk: wellhubSlotId }),
  driftPartition: (gymId: string) => `DRIFT#${gymId}`,
} as const;

/** Where an item is listed in the `list` index. */
export const listings = {
  classes: 'CLASSES',
  gymClass: (gymId: string, reference: string) => ({ list_pk: 'CLASSES', list_sk: `${gymId}#${reference}` }),
  gymSlots: (gymId: string) => `GYM#${gymId}`,
  /** By start time in UTC, so that a range of ISO strings is a range of times. */
  slot: (gymId: string, occurDate: string, reference: string) => ({
    list_pk: `GYM#${gymId}`,
    list_sk: `${new Date(occurDate).toISOString()}#${reference}`,
  }),
  slotBookings: (wellhubSlotId: string) => `WSLOT#${wellhubSlotId}`,
  /** A member's walk-in check-ins at a gym, by time: what `ops validate` finds. */
  walkins: (gymId: string, wellhubId: string) => `WALKIN#${gymId}#${wellhubId}`,
  booking: (wellhubSlotId: string, bookingNumber: string) => ({
    list_pk: `WSLOT#${wellhubSlotId}`,
    list_sk: bookingNumber,
  }),
} as const;

/** The table as CDK defines it (stream and index included), for the local receiver and tests. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table) await upgradeTable(client, Table);
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'work_queue', AttributeType: 'S' },
        { AttributeName: 'work_at', AttributeType: 'S' },
        { AttributeName: 'list_pk', AttributeType: 'S' },
        { AttributeName: 'list_sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [workIndex, listIndex],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    }),
  );
}

const workIndex = {
  IndexName: WORK_INDEX,
  KeySchema: [
    { AttributeName: 'work_queue', KeyType: 'HASH' as const },
    { AttributeName: 'work_at', KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: 'ALL' as const },
};

const listIndex = {
  IndexName: LIST_INDEX,
  KeySchema: [
    { AttributeName: 'list_pk', KeyType: 'HASH' as const },
    { AttributeName: 'list_sk', KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: 'ALL' as const },
};

/** A table made before the pipeline or the schedule existed gets its stream and indexes, so old local data keeps working. */
async function upgradeTable(client: DynamoDBClient, table: TableDescription): Promise<void> {
  const tableName = table.TableName;
  if (!table.StreamSpecification?.StreamEnabled) {
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
  }
  if (!table.GlobalSecondaryIndexes?.some((index) => index.IndexName === WORK_INDEX)) {
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: 'work_queue', AttributeType: 'S' },
          { AttributeName: 'work_at', AttributeType: 'S' },
        ],
        GlobalSecondaryIndexUpdates: [{ Create: workIndex }],
      }),
    );
  }
  if (!table.GlobalSecondaryIndexes?.some((index) => index.IndexName === LIST_INDEX)) {
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: 'list_pk', AttributeType: 'S' },
          { AttributeName: 'list_sk', AttributeType: 'S' },
        ],
        GlobalSecondaryIndexUpdates: [{ Create: listIndex }],
      }),
    );
  }
}
