import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logger, metrics } from '#lib/log';
import { DAY_MS, forgetWellhubSlot } from '#lib/schedule/publish';
import { planReconcile, type SlotAtWellhub } from '#lib/schedule/reconcile';
import type { GymClassRecord } from '#lib/schedule/records';
import { explain } from './publication';
import { DEFAULT_HORIZON_DAYS, type JobDeps } from './router';

export interface ReconcileReport {
  readonly gyms: number;
  readonly slots_checked: number;
  readonly recreated: number;
  readonly resent: number;
  readonly strangers: number;
  /** Gyms whose slots could not be read back from Wellhub this time. */
  readonly unreadable: readonly string[];
}

/**
 * Every 15 minutes (CONTRACT §10): load our published slots and Wellhub's for the horizon, decide the
 * repairs (pure, lib/schedule/reconcile.ts), and hand each one to the publication jobs as owed work.
 * What cannot be repaired is written for `ops drift`. A gym Wellhub does not answer for is left as
 * it was: nothing is concluded from a failed read.
 */
export async function reconcile(deps: JobDeps): Promise<ReconcileReport> {
  const started = performance.now();
  const wellhub = deps.wellhub;
  if (wellhub === undefined) throw new Error('reconcile needs a Wellhub client');
  const schedule = deps.store.schedule;
  const at = deps.now();
  const until = new Date(at.getTime() + (deps.horizonDays ?? DEFAULT_HORIZON_DAYS) * DAY_MS);
  const byGym = new Map<string, GymClassRecord[]>();
  for (const gymClass of await schedule.classes()) {
    if (gymClass.wellhub_class_id === undefined) continue;
    byGym.set(gymClass.gym_id, [...(byGym.get(gymClass.gym_id) ?? []), gymClass]);
  }
  const totals = { slots_checked: 0, recreated: 0, resent: 0, strangers: 0 };
  const unreadable: string[] = [];
  for (const [gymId, classes] of byGym) {
    const theirs: SlotAtWellhub[] = [];
    let readable = true;
    for (const gymClass of classes) {
      const outcome = await wellhub.listSlots(gymId, gymClass.wellhub_class_id ?? '', {
        from: at.toISOString(),
        to: until.toISOString(),
      });
      if (outcome.kind !== 'done') {
        logger.warn('reconcile could not read slots', {
          gym_id: gymId,
          class_reference: gymClass.reference,
          error: explain(outcome),
        });
        readable = false;
        break;
      }
      theirs.push(...outcome.body.results);
    }
    if (!readable) {
      unreadable.push(gymId);
      continue;
    }
    const ours = await schedule.slotsOfGym(gymId, at, until);
    const plan = planReconcile(gymId, ours, theirs, at);
    for (const repair of plan.repairs) {
      const facts =
        repair.kind === 'recreate'
          ? forgetWellhubSlot(ours.find((slot) => slot.reference === repair.reference))
          : { published: repair.published };
      await schedule.requestPublication('slot', repair.reference, facts, at);
      totals[repair.kind === 'recreate' ? 'recreated' : 'resent']++;
    }
    await schedule.replaceDrift(gymId, plan.strangers);
    totals.slots_checked += ours.length;
    totals.strangers += plan.strangers.length;
  }
  const report = { gyms: byGym.size, ...totals, unreadable };
  logger.info('reconcile', { ...report, latency_ms: Math.round(performance.now() - started) });
  const metric = metrics.singleMetric();
  metric.addMetric('ReconcileRepairs', MetricUnit.Count, totals.recreated + totals.resent);
  metric.addMetric('DriftSlots', MetricUnit.Count, totals.strangers);
  metric.addMetric('ReconcileUnreadableGyms', MetricUnit.Count, unreadable.length);
  return report;
}
