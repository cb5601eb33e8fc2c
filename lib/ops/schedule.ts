import { readFileSync } from 'node:fs';
import { classView, signInList, slotView } from '#lib/gym-api/views';
import * as schedule from '#lib/schedule/service';
import { type OpsContext, refuse } from './commands';

/**
 * The gym's schedule from the command line (CONTRACT §14), for gyms without a system of their own:
 * the same changes as the gym API, from JSON files, and what reconcile could not repair.
 */
function deps({ store }: OpsContext): schedule.ScheduleDeps {
  return { schedule: store.schedule, now: () => new Date() };
}

/** A JSON file: a class or slot with its `reference`, or a whole schedule. */
function readJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return refuse(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch (error) {
    return refuse(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  return refuse(`${file} must hold one JSON object`);
}

export async function classPut(context: OpsContext, file: string) {
  const { reference, ...body } = readJson(file);
  const { record, changed } = await schedule.putClass(deps(context), stringOrUndefined(reference), body);
  return { changed, class: classView(record) };
}

export async function slotPut(context: OpsContext, file: string) {
  const { reference, ...body } = readJson(file);
  const { record, changed } = await schedule.putSlot(deps(context), stringOrUndefined(reference), body);
  return { changed, slot: slotView(record) };
}

export async function classGet(context: OpsContext, reference: string) {
  return classView(await schedule.getClass(deps(context), reference));
}

export async function slot(context: OpsContext, reference: string) {
  const record = await schedule.getSlot(deps(context), reference);
  return { ...slotView(record), bookings: await signInList(context.store, record) };
}

export async function slotCancel(context: OpsContext, reference: string) {
  const { record, changed } = await schedule.cancelSlot(deps(context), reference);
  return { changed, slot: slotView(record) };
}

export async function scheduleImport(context: OpsContext, file: string) {
  return schedule.importSchedule(deps(context), readJson(file));
}

/** What the last reconcile found at Wellhub and could not repair: slots this service never created. */
export async function drift({ store }: OpsContext) {
  const gyms = [...new Set((await store.schedule.classes()).map((gymClass) => gymClass.gym_id))];
  return store.schedule.drift(gyms);
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}
