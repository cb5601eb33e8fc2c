import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { EventChange } from '#lib/bookings/apply-event';
import type { EventRecord } from '#lib/bookings/records';
import type { EventKey } from '#lib/inbox/receive';
import type { FailedAttempt } from '#lib/jobs/attempts';
import { bookingItem, releaseSeatItems } from './booking-writes';
import { dueQueueOf, FAILED_QUEUE, keys, listings, TTL_ATTRIBUTE } from './table';

/**
 * The writes that move an event through the pipeline, as DynamoDB requests. Each one is conditional
 * on the state it expects, which is what makes every job safe to run twice or at the same time.
 */
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** The request path's only write: absent, or expired but not yet deleted by TTL (CONTRACT §4). */
export function receivedPut(table: string, key: EventKey, record: EventRecord, dueAt: Date) {
  const itemKey = keys.event(key);
  return {
    TableName: table,
    Item: {
      ...itemKey,
      kind: 'event',
      ...record,
      work_queue: dueQueueOf(itemKey.pk),
      work_at: dueAt.toISOString(),
    },
    ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
    ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
    ExpressionAttributeValues: { ':now': Math.floor(Date.now() / 1000) },
  };
}

/** The event's own item comes first, so a cancellation reason at index 0 means "not RECEIVED any more". */
export function appliedTransaction(table: string, change: EventChange, at: Date): TransactItem[] {
  const sets = ['#state = :applied', 'applied_at = :at'];
  const values: Record<string, unknown> = {
    ':applied': 'APPLIED',
    ':received': 'RECEIVED',
    ':at': at.toISOString(),
  };
  // Named, not spelled out: some field names (`conflict`) are DynamoDB reserved words.
  const names: Record<string, string> = { '#state': 'state' };
  Object.entries(change.applied).forEach(([name, value], n) => {
    sets.push(`#f${n} = :f${n}`);
    names[`#f${n}`] = name;
    values[`:f${n}`] = value;
  });
  // A walk-in validated by the service stays in the work index, handed to the stream for its call;
  // every walk-in is listed by gym and member, for the front desk's `ops validate`.
  const walkin = change.walkin;
  if (walkin !== undefined) {
    sets.push('list_pk = :listPk', 'list_sk = :listSk');
    values[':listPk'] = listings.walkins(walkin.gymId, walkin.wellhubId);
    values[':listSk'] = change.applied.validation?.checked_in_at ?? at.toISOString();
    if (walkin.auto) sets.push('work_at = :at', 'job_requested_at = :at');
  }
  const owes = walkin?.auto === true;
  const items: TransactItem[] = [
    {
      Update: {
        TableName: table,
        Key: keys.event(change.key),
        UpdateExpression: `SET ${sets.join(', ')}${owes ? '' : ' REMOVE work_queue, work_at'}`,
        ConditionExpression: '#state = :received',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    },
  ];
  if (change.booking) {
    const { record, expectedVersion } = change.booking;
    items.push(bookingItem(table, record, expectedVersion));
    if (change.booking.released)
      items.push(...releaseSeatItems(table, change.booking.released, record.wellhub_id, at));
  }
  if (change.customer) {
    const customer = change.customer;
    items.push(
      {
        Put: {
          TableName: table,
          Item: { ...keys.customer(customer.customer_id), kind: 'customer', ...customer },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: table,
          Item: {
            ...keys.wellhubId(customer.wellhub_ids[0] ?? ''),
            kind: 'wellhub_id',
            customer_id: customer.customer_id,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    );
  }
  return items;
}

/**
 * Records a failed attempt on a still-received event: due again later, or `FAILED` after the last.
 * Conditional on the attempts it counted from, so two runners failing at once record one attempt each
 * at most, never a lost count.
 */
export function failedAttemptUpdate(
  table: string,
  key: EventKey,
  previousAttempts: number,
  failure: FailedAttempt,
) {
  const itemKey = keys.event(key);
  const common = {
    ':received': 'RECEIVED',
    ':attempts': failure.attempts,
    ':error': failure.error,
    ':at': failure.at.toISOString(),
    ...(previousAttempts > 0 ? { ':previous': previousAttempts } : {}),
  };
  const counted = previousAttempts > 0 ? 'attempts = :previous' : 'attribute_not_exists(attempts)';
  const base = {
    TableName: table,
    Key: itemKey,
    ConditionExpression: `#state = :received AND ${counted}`,
    ExpressionAttributeNames: { '#state': 'state' },
  };
  if (failure.retryAt !== undefined) {
    return {
      ...base,
      UpdateExpression:
        'SET attempts = :attempts, last_error = :error, last_attempt_at = :at, work_at = :retry',
      ExpressionAttributeValues: { ...common, ':retry': failure.retryAt.toISOString() },
    };
  }
  return {
    ...base,
    UpdateExpression:
      'SET #state = :failed, attempts = :attempts, last_error = :error, last_attempt_at = :at, failed_at = :at, work_queue = :queue, work_at = :at',
    ExpressionAttributeValues: { ...common, ':failed': 'FAILED', ':queue': FAILED_QUEUE },
  };
}

/**
 * On-call re-drives a failed event: received again, due now, its attempts cleared so that the stream
 * hands it to the worker at once (the worker's filter skips records that carry attempts).
 */
export function retryUpdate(table: string, key: EventKey, at: Date) {
  const itemKey = keys.event(key);
  return {
    TableName: table,
    Key: itemKey,
    UpdateExpression:
      'SET #state = :received, retried_at = :at, work_queue = :queue, work_at = :at, previous_error = last_error REMOVE attempts, failed_at',
    ConditionExpression: '#state = :failed',
    ExpressionAttributeNames: { '#state': 'state' },
    ExpressionAttributeValues: {
      ':received': 'RECEIVED',
      ':failed': 'FAILED',
      ':at': at.toISOString(),
      ':queue': dueQueueOf(itemKey.pk),
    },
  };
}
