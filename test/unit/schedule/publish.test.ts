import { publicationsOverdue } from '#lib/pipeline/sweeper';
import { planClass, planSlot, wellhubSlotBody } from '#lib/schedule/publish';
import type { GymClassRecord, GymSlotRecord } from '#lib/schedule/records';
import type { WellhubClass, WellhubSlot } from '#lib/wellhub-api/types';

const NOW = new Date('2026-12-06T12:00:00Z');
const HOUR = 3_600_000;

const gymClass: GymClassRecord = {
  reference: 'cycle',
  gym_id: '100001',
  name: 'Cycle',
  description: 'Indoor cycling',
  product_id: '100001',
  bookable: true,
  visible: true,
  wellhub_class_id: '8001',
  revision: 1,
  sync: { state: 'published', changed_at: NOW.toISOString() },
  created_at: NOW.toISOString(),
  updated_at: NOW.toISOString(),
};

function slot(overrides: Partial<GymSlotRecord> = {}): GymSlotRecord {
  return {
    reference: 'cycle-mon',
    class_reference: 'cycle',
    gym_id: '100001',
    occur_date: new Date(NOW.getTime() + 26 * HOUR).toISOString(),
    length_in_minutes: 45,
    total_capacity: 12,
    booked_elsewhere: 2,
    wellhub_reserved: 3,
    status: 'active',
    revision: 1,
    sync: { state: 'pending', changed_at: NOW.toISOString() },
    created_at: NOW.toISOString(),
    updated_at: NOW.toISOString(),
    ...overrides,
  };
}

describe('planClass', () => {
  it('creates a class Wellhub has no id for, updates one whose body changed, and leaves the rest', () => {
    const { wellhub_class_id: _id, ...fresh } = gymClass;
    expect(planClass(fresh).kind).toBe('create');
    expect(planClass(gymClass).kind).toBe('update');
    const body = (planClass(gymClass) as { body: WellhubClass }).body;
    expect(planClass({ ...gymClass, published: body }).kind).toBe('none');
    expect(planClass({ ...gymClass, name: 'Spin', published: body }).kind).toBe('update');
  });
});

describe('planSlot', () => {
  it('tells Wellhub total_booked as Wellhub seats plus the gym’s own', () => {
    expect(wellhubSlotBody(slot(), gymClass)).toMatchObject({
      total_booked: 5,
      total_capacity: 12,
      product_id: 100001,
    });
  });

  it('waits for its class, and for the horizon; refuses one that has started', () => {
    expect(planSlot(slot(), { ...gymClass, wellhub_class_id: undefined } as never, NOW, 14).kind).toBe(
      'wait_for_class',
    );
    expect(planSlot(slot(), undefined, NOW, 14).kind).toBe('wait_for_class');
    const far = slot({ occur_date: new Date(NOW.getTime() + 20 * 24 * HOUR).toISOString() });
    expect(planSlot(far, gymClass, NOW, 14)).toEqual({
      kind: 'wait_for_horizon',
      at: new Date(NOW.getTime() + 6 * 24 * HOUR),
    });
    const started = slot({ occur_date: new Date(NOW.getTime() - HOUR).toISOString() });
    expect(planSlot(started, gymClass, NOW, 14).kind).toBe('too_late');
  });

  it('creates, then sends a PUT for an edit and a PATCH for counts only', () => {
    const created = planSlot(slot(), gymClass, NOW, 14);
    expect(created.kind).toBe('create');
    const published = slot({
      wellhub_slot_id: '50001',
      published: (created as { body: WellhubSlot }).body,
    });
    expect(planSlot(published, gymClass, NOW, 14).kind).toBe('none');
    expect(planSlot({ ...published, room: 'Studio 2' }, gymClass, NOW, 14).kind).toBe('update');
    expect(planSlot({ ...published, booked_elsewhere: 4 }, gymClass, NOW, 14)).toMatchObject({
      kind: 'patch',
      patch: { total_capacity: 12, total_booked: 7 },
    });
    expect(planSlot({ ...published, wellhub_reserved: 2 }, gymClass, NOW, 14)).toMatchObject({
      kind: 'patch',
      patch: { total_booked: 4 },
    });
    // A published slot stays in step even beyond the horizon (it was moved there).
    const moved = { ...published, occur_date: new Date(NOW.getTime() + 30 * 24 * HOUR).toISOString() };
    expect(planSlot(moved, gymClass, NOW, 14).kind).toBe('update');
  });

  it('deletes a canceled slot once, and has nothing to delete for one never published', () => {
    expect(planSlot(slot({ status: 'canceled', wellhub_slot_id: '50001' }), gymClass, NOW, 14).kind).toBe(
      'delete',
    );
    expect(
      planSlot(
        slot({ status: 'canceled', wellhub_slot_id: '50001', deleted_at_wellhub: NOW.toISOString() }),
        gymClass,
        NOW,
        14,
      ).kind,
    ).toBe('none');
    expect(planSlot(slot({ status: 'canceled' }), gymClass, NOW, 14).kind).toBe('none');
  });
});

describe('publicationsOverdue', () => {
  it('counts changes pending more than 5 minutes, but not slots waiting for the horizon or events', () => {
    const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();
    const later = new Date(NOW.getTime() + 24 * HOUR).toISOString();
    expect(
      publicationsOverdue(
        [
          { kind: 'slot', sync: { changed_at: minutesAgo(6) } },
          { kind: 'class', sync: { changed_at: minutesAgo(10) } },
          { kind: 'slot', sync: { changed_at: minutesAgo(4) } },
          { kind: 'slot', sync: { changed_at: minutesAgo(60), publish_at: later } },
          { kind: 'event', received_at: minutesAgo(60) },
        ],
        NOW,
      ),
    ).toBe(2);
  });
});
