/**
 * The gym's timetable for the booking run, written through the gym API handler as the gym's system
 * would (schedule/gym.ts) and published to the local Wellhub by the worker before any member books:
 * a class per use, and slots starting from two hours ahead, every one at its own time (well inside
 * Wellhub's 14 days), none sold by the gym itself (`booked_elsewhere` 0), so that a slot's seats for
 * Wellhub members are its capacity.
 */
import type { GymClassRecord } from '#lib/schedule/records';
import type { DynamoDbStore } from '#lib/store/dynamodb-store';
import { classBody, type GymApi, HOUR_MS, hoursFromNow, slotBody, until } from '../schedule/gym';

/** The local Wellhub's default gym. */
export const GYM = '100001';

export interface SlotSpec {
  readonly reference: string;
  readonly classReference: string;
  readonly capacity: number;
}

export interface PublishedSlot {
  readonly reference: string;
  readonly wellhubId: number;
  /** Seats Wellhub members may take: the capacity, as the gym sold none itself. */
  readonly seats: number;
}

/** Slots of the run one after the other, so that no two are the same class, time and room. */
const SLOT_SPACING_MS = 15 * 60_000;
const RECORD_PROBE_MS = 20;
/** A read of every slot of the gym: not so often that it takes DynamoDB Local from the worker. */
const PUBLISHED_PROBE_MS = 250;

export async function publishTimetable(
  gym: GymApi,
  store: DynamoDbStore,
  classes: readonly { readonly reference: string; readonly name: string }[],
  slots: readonly SlotSpec[],
  limitMs: number,
): Promise<Map<string, PublishedSlot>> {
  const deadline = Date.now() + limitMs;
  for (const { reference, name } of classes) {
    const answer = await gym('PUT', `/gym/classes/${reference}`, classBody(GYM, name));
    if (answer.status !== 200) throw new Error(`PUT class ${reference} answered ${answer.status}`);
  }
  for (const { reference } of classes) {
    const record = await until(
      async () => {
        const found: GymClassRecord | undefined = await store.schedule.getClass(reference);
        return found?.sync.state === 'published' ? found : undefined;
      },
      Math.max(0, deadline - Date.now()),
      RECORD_PROBE_MS,
    );
    if (record?.wellhub_class_id === undefined)
      throw new Error(`class ${reference} was not published within ${limitMs} ms`);
  }

  const first = hoursFromNow(2);
  for (const [i, slot] of slots.entries()) {
    const body = {
      ...slotBody(slot.classReference, first + i * SLOT_SPACING_MS, 'Studio 1', 'Ana'),
      total_capacity: slot.capacity,
      booked_elsewhere: 0,
    };
    const answer = await gym('PUT', `/gym/slots/${slot.reference}`, body);
    if (answer.status !== 200)
      throw new Error(`PUT slot ${slot.reference} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }

  const wanted = new Map(slots.map((slot) => [slot.reference, slot]));
  const from = new Date(first - HOUR_MS);
  const to = new Date(first + slots.length * SLOT_SPACING_MS + HOUR_MS);
  const published = new Map<string, PublishedSlot>();
  await until(
    async () => {
      for (const record of await store.schedule.slotsOfGym(GYM, from, to)) {
        const spec = wanted.get(record.reference);
        if (spec && record.sync.state === 'published' && record.wellhub_slot_id !== undefined)
          published.set(record.reference, {
            reference: record.reference,
            wellhubId: Number(record.wellhub_slot_id),
            seats: spec.capacity,
          });
      }
      return published.size === wanted.size ? true : undefined;
    },
    Math.max(0, deadline - Date.now()),
    PUBLISHED_PROBE_MS,
  );
  if (published.size < wanted.size)
    throw new Error(`only ${published.size} of ${wanted.size} slots were published within ${limitMs} ms`);
  return published;
}
