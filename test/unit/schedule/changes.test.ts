import { Conflict } from '#lib/errors';
import { classChange, slotCancel, slotChange, slotPatchChange } from '#lib/schedule/changes';
import { parseClass, parseSlot } from '#lib/schedule/input';
import { planReconcile } from '#lib/schedule/reconcile';
import type { GymClassRecord, GymSlotRecord } from '#lib/schedule/records';

const AT = new Date('2026-12-06T12:00:00Z');
const LATER = new Date('2026-12-06T12:05:00Z');

const classFields = parseClass({
  gym_id: 100001,
  name: 'Cycle',
  description: 'Indoor cycling',
  product_id: '100001',
});
const slotFields = parseSlot({
  class_reference: 'cycle',
  occur_date: '2026-12-08T18:00:00+01:00',
  length_in_minutes: 45,
  total_capacity: 10,
  booked_elsewhere: 2,
});

function created(): GymClassRecord {
  const record = classChange(undefined, 'cycle', classFields, AT);
  if (!record) throw new Error('no class');
  return record;
}

function createdSlot(): GymSlotRecord {
  const record = slotChange(undefined, 'cycle-mon', slotFields, created(), AT);
  if (!record) throw new Error('no slot');
  return record;
}

describe('a change by the gym', () => {
  it('starts a class at revision 1, pending, with defaults filled in', () => {
    expect(created()).toMatchObject({
      reference: 'cycle',
      gym_id: '100001',
      bookable: true,
      visible: true,
      revision: 1,
      sync: { state: 'pending', changed_at: AT.toISOString() },
    });
  });

  it('changes nothing when the same fields are written again, in any order', () => {
    const reordered = parseClass({
      product_id: 100001,
      description: 'Indoor cycling',
      name: 'Cycle',
      gym_id: '100001',
    });
    expect(classChange(created(), 'cycle', reordered, LATER)).toBeUndefined();
    expect(slotChange(createdSlot(), 'cycle-mon', slotFields, created(), LATER)).toBeUndefined();
  });

  it('keeps what the service knows and clears what the gym left out', () => {
    const published: GymClassRecord = {
      ...created(),
      notes: 'towel',
      wellhub_class_id: '8001',
      attempts: 2,
      last_error: 'HTTP 503',
    };
    const next = classChange(published, 'cycle', classFields, LATER);
    expect(next).toMatchObject({ wellhub_class_id: '8001', revision: 2, created_at: AT.toISOString() });
    expect(next).not.toHaveProperty('notes');
    expect(next).not.toHaveProperty('attempts');
    expect(next).not.toHaveProperty('last_error');
  });

  it('refuses counts that would overbook, counting Wellhub seats', () => {
    const taken = { ...createdSlot(), wellhub_reserved: 5 };
    expect(() => slotPatchChange(taken, { total_capacity: 6 }, LATER)).toThrow(Conflict);
    expect(slotPatchChange(taken, { total_capacity: 7 }, LATER)).toMatchObject({
      total_capacity: 7,
      revision: 2,
    });
    expect(() =>
      slotChange(taken, 'cycle-mon', { ...slotFields, booked_elsewhere: 6 }, created(), LATER),
    ).toThrow('seats taken');
  });

  it('cancels a slot once, and refuses to change a canceled one', () => {
    const canceled = slotCancel(createdSlot(), LATER);
    expect(canceled).toMatchObject({ status: 'canceled', canceled_at: LATER.toISOString(), revision: 2 });
    if (!canceled) throw new Error('not canceled');
    expect(slotCancel(canceled, LATER)).toBeUndefined();
    expect(() => slotPatchChange(canceled, { booked_elsewhere: 1 }, LATER)).toThrow(Conflict);
    expect(() => slotChange(canceled, 'cycle-mon', slotFields, created(), LATER)).toThrow(Conflict);
  });
});

describe('planReconcile', () => {
  const published = (reference: string, id: string): GymSlotRecord => ({
    ...createdSlot(),
    reference,
    wellhub_slot_id: id,
    published: {
      occur_date: slotFields.occur_date,
      length_in_minutes: 45,
      total_capacity: 10,
      total_booked: 2,
      product_id: 100001,
    },
  });

  it('re-creates what Wellhub lost, re-sends wrong counts, and reports strangers', () => {
    const ours = [published('a', '1'), published('b', '2'), published('c', '3')];
    const theirs = [
      { id: 1, class_id: 8001, occur_date: slotFields.occur_date, total_capacity: 10, total_booked: 2 },
      { id: 2, class_id: 8001, occur_date: slotFields.occur_date, total_capacity: 10, total_booked: 9 },
      { id: 99, class_id: 8001, occur_date: slotFields.occur_date, total_capacity: 5, total_booked: 0 },
    ];
    const plan = planReconcile('100001', ours, theirs, AT);
    expect(plan.repairs).toEqual([
      { kind: 'resend', reference: 'b', published: expect.objectContaining({ total_booked: 9 }) },
      { kind: 'recreate', reference: 'c' },
    ]);
    expect(plan.strangers).toEqual([
      expect.objectContaining({ gym_id: '100001', wellhub_slot_id: '99', wellhub_class_id: '8001' }),
    ]);
  });

  it('leaves slots with a publication under way, and ids of slots it re-created, alone', () => {
    const owed = { ...published('a', '1'), work_queue: 'due#1' } as GymSlotRecord;
    const recreated = { ...published('b', '2'), previous_wellhub_slot_ids: ['7'] };
    const theirs = [
      { id: 2, occur_date: slotFields.occur_date, total_capacity: 10, total_booked: 2 },
      { id: 7, occur_date: slotFields.occur_date, total_capacity: 10, total_booked: 2 },
    ];
    expect(planReconcile('100001', [owed, recreated], theirs, AT)).toEqual({ repairs: [], strangers: [] });
  });
});
