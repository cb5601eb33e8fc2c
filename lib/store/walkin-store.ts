import type { EventRecord } from '#lib/bookings/records';
import type { CheckinValidation } from '#lib/bookings/validation';
import type { EventKey } from '#lib/inbox/receive';
import { dueQueueOf, FAILED_QUEUE, keys, LIST_INDEX, listings } from './table';
import type { TableAccess } from './table-access';

/**
 * Walk-in check-ins (CONTRACT §12): their validation lives on the event record, owed in the work
 * index like any job, and they are listed by gym and member for the front desk.
 */
export class WalkinStore {
  constructor(private readonly access: TableAccess) {}

  /** Takes the walk-in for one validation job: only while it is owed and no other job holds it. */
  async claim(key: EventKey, now: Date, leaseMs: number): Promise<EventRecord | undefined> {
    const item = await this.access.update({
      Key: keys.event(key),
      UpdateExpression: 'SET lease_until = :until REMOVE job_requested_at',
      ConditionExpression:
        'attribute_exists(work_queue) AND work_queue <> :failed AND (attribute_not_exists(lease_until) OR lease_until < :now)',
      ExpressionAttributeValues: {
        ':until': new Date(now.getTime() + leaseMs).toISOString(),
        ':now': now.toISOString(),
        ':failed': FAILED_QUEUE,
      },
    });
    return item as EventRecord | undefined;
  }

  /**
   * The validation as it now stands, and the lease let go: due again at `retryAt`, in the failed list
   * when it failed, out of the work index otherwise.
   */
  async save(
    key: EventKey,
    validation: CheckinValidation,
    retryAt: Date | undefined,
    at: Date,
  ): Promise<void> {
    const itemKey = keys.event(key);
    const work =
      validation.state === 'pending'
        ? {
            set: 'work_at = :due, work_queue = :queue',
            values: { ':due': (retryAt ?? at).toISOString(), ':queue': dueQueueOf(itemKey.pk) },
          }
        : validation.state === 'failed'
          ? {
              set: 'work_at = :due, work_queue = :queue',
              values: { ':due': at.toISOString(), ':queue': FAILED_QUEUE },
            }
          : undefined;
    await this.access.update({
      Key: itemKey,
      UpdateExpression: `SET validation = :validation${work ? `, ${work.set}` : ''} REMOVE lease_until${work ? '' : ', work_at, work_queue'}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':validation': validation, ...(work?.values ?? {}) },
    });
  }

  /** The front desk asks for it: owed now, whatever `WALKIN_VALIDATION` said. */
  async request(key: EventKey, at: Date): Promise<EventRecord | undefined> {
    const itemKey = keys.event(key);
    const item = await this.access.update({
      Key: itemKey,
      UpdateExpression: 'SET work_at = :at, work_queue = :queue',
      ConditionExpression: 'attribute_exists(validation)',
      ExpressionAttributeValues: { ':at': at.toISOString(), ':queue': dueQueueOf(itemKey.pk) },
    });
    return item as EventRecord | undefined;
  }

  /** On-call has dealt with a failed walk-in: out of the failed list, its validation kept as it ended. */
  async acknowledge(key: EventKey): Promise<boolean> {
    const item = await this.access.update({
      Key: keys.event(key),
      UpdateExpression: 'REMOVE work_at, work_queue',
      ConditionExpression: 'work_queue = :failed',
      ExpressionAttributeValues: { ':failed': FAILED_QUEUE },
    });
    return item !== undefined;
  }

  /** A member's walk-ins at a gym, oldest first. */
  async of(gymId: string, wellhubId: string): Promise<EventRecord[]> {
    const items = await this.access.pages({
      IndexName: LIST_INDEX,
      KeyConditionExpression: 'list_pk = :pk',
      ExpressionAttributeValues: { ':pk': listings.walkins(gymId, wellhubId) },
    });
    return items as unknown as EventRecord[];
  }
}
