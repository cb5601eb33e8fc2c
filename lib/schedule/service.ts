import { BadRequest, Conflict, NotFound } from '#lib/errors';
import type { ScheduleStore, Versioned } from '#lib/store/schedule-store';
import { classChange, slotCancel, slotChange, slotPatchChange } from './changes';
import { parseClass, parseInput, parseReference, parseSlot, parseSlotPatch, scheduleSchema } from './input';
import type { GymClassRecord, GymSlotRecord } from './records';

/**
 * The gym's changes to its schedule (CONTRACT §14): load, decide, write. A write that loses a race
 * (a job or another change wrote the record since it was read) is decided again on what is there now.
 */
const MAX_RACES = 8;

export interface ScheduleDeps {
  readonly schedule: ScheduleStore;
  readonly now: () => Date;
}

export async function putClass(deps: ScheduleDeps, reference: string | undefined, body: unknown) {
  const ref = parseReference(reference);
  const fields = parseClass(body);
  return write(
    () => deps.schedule.getClass(ref),
    (existing, at) => classChange(existing, ref, fields, at),
    (record, existing, at) => deps.schedule.saveClass(record, existing, at),
    deps.now,
    `class ${ref}`,
  );
}

export async function putSlot(deps: ScheduleDeps, reference: string | undefined, body: unknown) {
  const ref = parseReference(reference);
  const fields = parseSlot(body);
  const gymClass = await deps.schedule.getClass(fields.class_reference);
  if (gymClass === undefined) {
    throw new BadRequest('invalid_field', `class_reference: there is no class ${fields.class_reference}`);
  }
  return write(
    () => deps.schedule.getSlot(ref),
    (existing, at) => {
      if (existing === undefined && Date.parse(fields.occur_date) <= at.getTime()) {
        throw new BadRequest('invalid_field', 'occur_date: a new slot must start in the future');
      }
      return slotChange(existing, ref, fields, gymClass, at);
    },
    (record, existing, at) => deps.schedule.saveSlot(record, existing, at),
    deps.now,
    `slot ${ref}`,
  );
}

export async function patchSlot(deps: ScheduleDeps, reference: string | undefined, body: unknown) {
  const ref = parseReference(reference);
  const patch = parseSlotPatch(body);
  return write(
    () => deps.schedule.getSlot(ref),
    (existing, at) => slotPatchChange(found(existing, `slot ${ref}`), patch, at),
    (record, existing, at) => deps.schedule.saveSlot(record, existing, at),
    deps.now,
    `slot ${ref}`,
  );
}

export async function cancelSlot(deps: ScheduleDeps, reference: string | undefined) {
  const ref = parseReference(reference);
  return write(
    () => deps.schedule.getSlot(ref),
    (existing, at) => slotCancel(found(existing, `slot ${ref}`), at),
    (record, existing, at) => deps.schedule.saveSlot(record, existing, at),
    deps.now,
    `slot ${ref}`,
  );
}

export async function getClass(deps: ScheduleDeps, reference: string | undefined) {
  const ref = parseReference(reference);
  return found(await deps.schedule.getClass(ref), `class ${ref}`);
}

export async function getSlot(deps: ScheduleDeps, reference: string | undefined) {
  const ref = parseReference(reference);
  return found(await deps.schedule.getSlot(ref), `slot ${ref}`);
}

export function found<T>(record: T | undefined, what: string): T {
  if (record === undefined) throw new NotFound(`there is no ${what}`);
  return record;
}

async function write<T extends GymClassRecord | GymSlotRecord>(
  load: () => Promise<Versioned<T> | undefined>,
  decide: (existing: Versioned<T> | undefined, at: Date) => T | undefined,
  save: (record: T, existing: Versioned<T> | undefined, at: Date) => Promise<boolean>,
  now: () => Date,
  what: string,
): Promise<{ record: T; changed: boolean }> {
  for (let race = 0; race < MAX_RACES; race++) {
    const existing = await load();
    const at = now();
    const next = decide(existing, at);
    if (next === undefined) return { record: found(existing, what), changed: false };
    if (await save(next, existing, at)) return { record: next, changed: true };
  }
  throw new Conflict(`${what} kept changing while it was being written: try again`);
}

export interface ImportReport {
  readonly classes: { readonly changed: number; readonly unchanged: number };
  readonly slots: { readonly changed: number; readonly unchanged: number };
}

/**
 * A whole schedule at once (`ops schedule import`): `{"classes":[…],"slots":[…]}`, each entry the body
 * of its PUT plus its `reference`. Classes first, so that slots find them. Importing the same file
 * again changes nothing and so publishes nothing.
 */
export async function importSchedule(deps: ScheduleDeps, document: unknown): Promise<ImportReport> {
  const { classes, slots } = parseInput(scheduleSchema, document);
  const report = { classes: { changed: 0, unchanged: 0 }, slots: { changed: 0, unchanged: 0 } };
  for (const [n, { reference, ...body }] of classes.entries()) {
    const { changed } = await within(`classes[${n}]`, () => putClass(deps, reference, body));
    report.classes[changed ? 'changed' : 'unchanged']++;
  }
  for (const [n, { reference, ...body }] of slots.entries()) {
    const { changed } = await within(`slots[${n}]`, () => putSlot(deps, reference, body));
    report.slots[changed ? 'changed' : 'unchanged']++;
  }
  return report;
}

/** An error in one entry names the entry, so a file of a thousand slots says which one is wrong. */
async function within<T>(where: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof BadRequest) throw new BadRequest(error.code, `${where}: ${error.message}`);
    if (error instanceof Conflict) throw new Conflict(`${where}: ${error.message}`);
    throw error;
  }
}
