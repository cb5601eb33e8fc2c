import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { EventKey } from '#lib/bookings/apply-event';

/**
 * The single table's layout. Every item has `pk` and `sk`; the `kind` attribute says what it is.
 *
 *   EVENT#<event id or sha256:…>  <event type>   one per applied event (TTL)
 *   BOOKING#<booking number>      BOOKING        the gym's booking record
 *   CUSTOMER#<customer id>        PROFILE        a customer profile
 *   WELLHUB#<unique_token>        CUSTOMER       which customer a Wellhub ID belongs to
 *   QUARANTINE                    <id>           signed requests we could not apply (TTL)
 *
 * Event records are keyed by id *and* type: Wellhub's own examples reuse one id across two event
 * types, and a retry always repeats its type, so scoping by type loses no de-duplication.
 */
export const TTL_ATTRIBUTE = 'expires_at';

export interface StoredItem extends Record<string, unknown> {
  readonly pk: string;
  readonly sk: string;
  readonly kind: 'event' | 'booking' | 'customer' | 'wellhub_id' | 'quarantine';
}

export const keys = {
  event: (key: EventKey) => ({ pk: `EVENT#${key.id}`, sk: key.type }),
  eventPartition: (id: string) => `EVENT#${id}`,
  booking: (bookingNumber: string) => ({ pk: `BOOKING#${bookingNumber}`, sk: 'BOOKING' }),
  customer: (customerId: string) => ({ pk: `CUSTOMER#${customerId}`, sk: 'PROFILE' }),
  wellhubId: (wellhubId: string) => ({ pk: `WELLHUB#${wellhubId}`, sk: 'CUSTOMER' }),
  quarantine: (quarantineId: string) => ({ pk: 'QUARANTINE', sk: quarantineId }),
  quarantinePartition: 'QUARANTINE',
} as const;

/** The table as CDK defines it, for the local receiver and tests (DynamoDB Local). */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
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
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    }),
  );
}
