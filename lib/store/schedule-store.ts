import type { BookingUpdate } from '#lib/bookings/answer';
import type { BookingRecord } from '#lib/bookings/records';
import type { DriftRecord, GymClassRecord, GymSlotRecord } from '#lib/schedule/records';
import { BookingStore } from './booking-store';
import { dueQueueOf, FAILED_QUEUE, keys, LIST_INDEX, listings, type StoredItem } from './table';
import type { TableAccess } from './table-access';

export type ScheduleKind = 'class' | 'slot';
type ScheduleRecord = GymClassRecord | GymSlotRecord;

/** Every write of a schedule record counts up `version`; a change by the gym expects the one it read. */
export type Versioned<T> = T & { readonly version: number };

/** What a publication learnt about the record at Wellhub, written whatever the gym changed meanwhile. */
export type PublicationFacts = Record<string, unknown>;

export interface PublishFailure {
  readonly attempts: number;
  readonly error: string;
  /** Wellhub's own refusal, shown in `sync.wellhub_error`. */
  readonly wellhubError?: string;
  /** Undefined: the last attempt; the record is `failed`. */
  readonly retryAt: Date | undefined;
}

/**
 * The schedule's records in the one table (CONTRACT §10). A change by the gym is a whole-record put,
 * conditional on the version read, that also marks the record as owing a publication (work index,
 * `publish_requested_at` for the stream filter). The publication's own writes are updates of the
 * fields they own, so they never undo a change the gym made while Wellhub was being called.
 */
export class ScheduleStore {
  constructor(private readonly access: TableAccess) {}

  async getClass(reference: string): Promise<Versioned<GymClassRecord> | undefined> {
    return (await this.access.get(keys.gymClass(reference))) as Versioned<GymClassRecord> | undefined;
  }

  async getSlot(reference: string): Promise<Versioned<GymSlotRecord> | undefined> {
    return (await this.access.get(keys.slot(reference))) as Versioned<GymSlotRecord> | undefined;
  }

  async getRecord(kind: ScheduleKind, reference: string) {
    return kind === 'class' ? this.getClass(reference) : this.getSlot(reference);
  }

  /** The slot a booking request is for: booking events carry Wellhub's slot id, not ours. */
  async slotByWellhubId(wellhubSlotId: string): Promise<Versioned<GymSlotRecord> | undefined> {
    const link = await this.access.get(keys.wellhubSlot(wellhubSlotId));
    return typeof link?.slot_reference === 'string' ? this.getSlot(link.slot_reference) : undefined;
  }

  /** False when someone else wrote the record since `previous` was read: read again and decide again. */
  async saveClass(record: GymClassRecord, previous: Versioned<GymClassRecord> | undefined, at: Date) {
    return this.save('class', record, previous, at, listings.gymClass(record.gym_id, record.reference));
  }

  async saveSlot(record: GymSlotRecord, previous: Versioned<GymSlotRecord> | undefined, at: Date) {
    return this.save(
      'slot',
      record,
      previous,
      at,
      listings.slot(record.gym_id, record.occur_date, record.reference),
    );
  }

  /** Every class of the deployment, by gym and reference. */
  async classes(): Promise<GymClassRecord[]> {
    return (await this.list(listings.classes)) as unknown as GymClassRecord[];
  }

  /** A gym's slots starting in `[from, to]`, by start time. */
  async slotsOfGym(gymId: string, from: Date, to: Date): Promise<GymSlotRecord[]> {
    return (await this.list(listings.gymSlots(gymId), {
      from: from.toISOString(),
      to: `${to.toISOString()}#\uffff`,
    })) as unknown as GymSlotRecord[];
  }

  /** Bookings made on a Wellhub slot id: the sign-in list, and what a canceled slot cancels. */
  async bookingsOfSlot(wellhubSlotId: string): Promise<BookingRecord[]> {
    return (await this.list(listings.slotBookings(wellhubSlotId))) as unknown as BookingRecord[];
  }

  /**
   * Takes the record for one publication job: only while it still owes one, and no other job holds
   * it. The claim clears `publish_requested_at`, so the stream record of the claim itself wakes no one.
   */
  async claim(kind: ScheduleKind, reference: string, now: Date, leaseMs: number) {
    const item = await this.access.update({
      Key: this.key(kind, reference),
      UpdateExpression: 'SET lease_until = :until ADD version :one REMOVE publish_requested_at',
      ConditionExpression:
        'attribute_exists(work_queue) AND work_queue <> :failed AND (attribute_not_exists(lease_until) OR lease_until < :now)',
      ExpressionAttributeValues: {
        ':until': new Date(now.getTime() + leaseMs).toISOString(),
        ':now': now.toISOString(),
        ':one': 1,
        ':failed': FAILED_QUEUE,
      },
    });
    return item as Versioned<ScheduleRecord> | undefined;
  }

  /**
   * Records what Wellhub now holds. When the gym changed nothing meanwhile the record is published and
   * leaves the work index; otherwise it stays owed and is handed back to the stream at once.
   */
  async finish(
    kind: ScheduleKind,
    reference: string,
    revision: number,
    facts: PublicationFacts,
    at: Date,
  ): Promise<'published' | 'changed'> {
    const { sets, removes, values, names } = assignments(facts);
    const published = await this.access.update({
      Key: this.key(kind, reference),
      UpdateExpression: expression({
        set: [...sets, '#sync.#state = :published', '#sync.published_at = :at'],
        add: ['version :one'],
        remove: [
          ...removes,
          'lease_until',
          'work_queue',
          'work_at',
          'attempts',
          'last_error',
          '#sync.wellhub_error',
          '#sync.publish_at',
        ],
      }),
      ConditionExpression: 'revision = :revision',
      ExpressionAttributeNames: { ...names, '#sync': 'sync', '#state': 'state' },
      ExpressionAttributeValues: {
        ...values,
        ':published': 'published',
        ':at': at.toISOString(),
        ':one': 1,
        ':revision': revision,
      },
    });
    if (published) return 'published';
    await this.handBack(kind, reference, facts, at);
    return 'changed';
  }

  /** A failed attempt: due again at `retryAt`, or `failed` with the reason after the last one. */
  async recordFailure(
    kind: ScheduleKind,
    reference: string,
    revision: number,
    failure: PublishFailure,
    at: Date,
  ) {
    const last = failure.retryAt === undefined;
    const recorded = await this.access.update({
      Key: this.key(kind, reference),
      UpdateExpression: `SET attempts = :attempts, last_error = :error, last_attempt_at = :at, #sync.#state = :state, #sync.wellhub_error = :reason, work_at = :due${last ? ', work_queue = :failed' : ''} ADD version :one REMOVE lease_until`,
      ConditionExpression: 'revision = :revision',
      ExpressionAttributeNames: { '#sync': 'sync', '#state': 'state' },
      ExpressionAttributeValues: {
        ':attempts': failure.attempts,
        ':error': failure.error,
        ':reason': failure.wellhubError ?? failure.error,
        ':at': at.toISOString(),
        ':state': last ? 'failed' : 'pending',
        ':due': (failure.retryAt ?? at).toISOString(),
        ':one': 1,
        ':revision': revision,
        ...(last ? { ':failed': FAILED_QUEUE } : {}),
      },
    });
    // The gym changed it meanwhile: the new revision starts afresh.
    if (!recorded) await this.handBack(kind, reference, {}, at);
    return recorded !== undefined;
  }

  /** Nothing to do yet (its class is not at Wellhub, or it is beyond the horizon): due again `dueAt`. */
  async postpone(kind: ScheduleKind, reference: string, dueAt: Date, publishAt?: Date) {
    await this.access.update({
      Key: this.key(kind, reference),
      UpdateExpression: `SET work_at = :due${publishAt ? ', #sync.publish_at = :publishAt' : ''} ADD version :one REMOVE lease_until`,
      ConditionExpression: 'attribute_exists(work_queue)',
      ...(publishAt ? { ExpressionAttributeNames: { '#sync': 'sync' } } : {}),
      ExpressionAttributeValues: {
        ':due': dueAt.toISOString(),
        ':one': 1,
        ...(publishAt ? { ':publishAt': publishAt.toISOString() } : {}),
      },
    });
  }

  /**
   * Makes the record owe a publication now, with `facts` written first: the gym changed nothing, but
   * Wellhub must be told again (its class was just published, or reconcile found drift).
   */
  async requestPublication(kind: ScheduleKind, reference: string, facts: PublicationFacts, at: Date) {
    const { sets, removes, values, names } = assignments(facts);
    const key = this.key(kind, reference);
    await this.access.update({
      Key: key,
      UpdateExpression: expression({
        set: [
          ...sets,
          'publish_requested_at = :at',
          'work_at = :at',
          'work_queue = :queue',
          '#sync.#state = :pending',
          '#sync.changed_at = :at',
        ],
        add: ['version :one'],
        remove: [...removes, 'attempts', 'last_error', 'lease_until', '#sync.published_at'],
      }),
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { ...names, '#sync': 'sync', '#state': 'state' },
      ExpressionAttributeValues: {
        ...values,
        ':at': at.toISOString(),
        ':queue': dueQueueOf(key.pk),
        ':pending': 'pending',
        ':one': 1,
      },
    });
  }

  /** So that a booking request for this Wellhub slot id finds the slot. */
  async linkWellhubSlot(wellhubSlotId: string, reference: string): Promise<void> {
    await this.access.put({
      ...keys.wellhubSlot(wellhubSlotId),
      kind: 'wellhub_slot',
      wellhub_slot_id: wellhubSlotId,
      slot_reference: reference,
    });
  }

  async getBooking(bookingNumber: string): Promise<BookingRecord | undefined> {
    return (await this.access.get(keys.booking(bookingNumber))) as BookingRecord | undefined;
  }

  /**
   * A booking the gym canceled, and the seat it held given back to its slot in the same transaction,
   * so a seat is released exactly once. False when the booking changed since it was read.
   */
  async saveBooking(update: BookingUpdate, expectedVersion: number, at: Date): Promise<boolean> {
    return new BookingStore(this.access).save(update, expectedVersion, at);
  }

  /** What reconcile found at Wellhub for a gym and could not repair, replacing the last report. */
  async replaceDrift(gymId: string, drift: readonly DriftRecord[]): Promise<void> {
    const found = new Set(drift.map((d) => d.wellhub_slot_id));
    for (const old of await this.access.query(keys.driftPartition(gymId))) {
      const id = String(old.wellhub_slot_id);
      if (!found.has(id)) {
        await this.access.delete(keys.drift(gymId, id));
      }
    }
    for (const record of drift) {
      await this.access.put({ ...keys.drift(gymId, record.wellhub_slot_id), kind: 'drift', ...record });
    }
  }

  async drift(gymIds: readonly string[]): Promise<DriftRecord[]> {
    const pages = await Promise.all(gymIds.map((gymId) => this.access.query(keys.driftPartition(gymId))));
    return pages.flat() as unknown as DriftRecord[];
  }

  private async save(
    kind: ScheduleKind,
    record: ScheduleRecord,
    previous: Versioned<ScheduleRecord> | undefined,
    at: Date,
    listing: { list_pk: string; list_sk: string },
  ): Promise<boolean> {
    const key = this.key(kind, record.reference);
    const { version: _version, lease_until: _lease, ...fields } = record as Versioned<ScheduleRecord>;
    const item: StoredItem = {
      ...key,
      kind,
      ...fields,
      // A job holding the record keeps its lease: the gym's change is published after it.
      ...(previous?.lease_until !== undefined ? { lease_until: previous.lease_until } : {}),
      version: (previous?.version ?? 0) + 1,
      ...listing,
      work_queue: dueQueueOf(key.pk),
      work_at: at.toISOString(),
      publish_requested_at: at.toISOString(),
    };
    return previous === undefined
      ? this.access.conditionalPut(item, 'attribute_not_exists(pk)')
      : this.access.conditionalPut(item, 'version = :version', { ':version': previous.version });
  }

  /** Facts written and the lease let go, still owed and handed to the stream at once. */
  private async handBack(kind: ScheduleKind, reference: string, facts: PublicationFacts, at: Date) {
    const { sets, removes, values, names } = assignments(facts);
    await this.access.update({
      Key: this.key(kind, reference),
      UpdateExpression: expression({
        set: [...sets, 'publish_requested_at = :at', 'work_at = :at'],
        add: ['version :one'],
        remove: [...removes, 'lease_until'],
      }),
      ConditionExpression: 'attribute_exists(pk)',
      ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: { ...values, ':at': at.toISOString(), ':one': 1 },
    });
  }

  private key(kind: ScheduleKind, reference: string) {
    return kind === 'class' ? keys.gymClass(reference) : keys.slot(reference);
  }

  private async list(pk: string, range?: { from: string; to: string }): Promise<Record<string, unknown>[]> {
    const items = await this.access.pages({
      IndexName: LIST_INDEX,
      KeyConditionExpression: range ? 'list_pk = :pk AND list_sk BETWEEN :from AND :to' : 'list_pk = :pk',
      ExpressionAttributeValues: { ':pk': pk, ...(range ? { ':from': range.from, ':to': range.to } : {}) },
    });
    return items.map(({ pk: _pk, sk: _sk, kind: _kind, list_pk: _l, list_sk: _s, ...rest }) => rest);
  }
}

/** `SET #a0 = :a0, …` for each fact, `REMOVE #a1` for a fact that is null; undefined is skipped. */
function assignments(facts: PublicationFacts) {
  const sets: string[] = [];
  const removes: string[] = [];
  const values: Record<string, unknown> = {};
  const names: Record<string, string> = {};
  Object.entries(facts)
    .filter(([, value]) => value !== undefined)
    .forEach(([name, value], n) => {
      names[`#a${n}`] = name;
      if (value === null) removes.push(`#a${n}`);
      else {
        sets.push(`#a${n} = :a${n}`);
        values[`:a${n}`] = value;
      }
    });
  return { sets, removes, values, names };
}

/** One update expression from its clauses; DynamoDB wants each clause once, and none empty. */
function expression(clauses: { set?: string[]; add?: string[]; remove?: string[] }): string {
  return [
    clauses.set?.length ? `SET ${clauses.set.join(', ')}` : '',
    clauses.add?.length ? `ADD ${clauses.add.join(', ')}` : '',
    clauses.remove?.length ? `REMOVE ${clauses.remove.join(', ')}` : '',
  ]
    .filter((clause) => clause !== '')
    .join(' ');
}
