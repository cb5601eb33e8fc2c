import type { EventRecord } from '#lib/bookings/records';
import {
  classifyValidation,
  settledValidation,
  validationDeadline,
  withValidationCall,
} from '#lib/bookings/validation';
import type { EventKey } from '#lib/inbox/receive';
import { logger } from '#lib/log';
import type { WalkinStore } from '#lib/store/walkin-store';
import type { WellhubClient } from '#lib/wellhub-api/client';
import { describe } from './attempts';
import { planRetry, sleep } from './call-retry';
import { explain, LEASE_MS } from './publication';
import { countValidation, countValidationFailed } from './validate-checkin';

export interface WalkinDeps {
  readonly walkins: WalkinStore;
  readonly wellhub: WellhubClient;
  readonly now: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

export type WalkinOutcome = 'validated' | 'retry' | 'failed' | 'done' | 'skipped';

/**
 * Validates a walk-in check-in (CONTRACT §12): load, call, write. Retried with backoff while Wellhub
 * is unreachable (until 20 minutes after the check-in) or says `notfound` (for 2 minutes); failed at
 * once when it says the check-in expired or was canceled.
 */
export async function validateWalkin(deps: WalkinDeps, key: EventKey, via: string): Promise<WalkinOutcome> {
  const started = performance.now();
  const claimed = await deps.walkins.claim(key, deps.now(), LEASE_MS);
  if (claimed?.validation === undefined) return 'skipped';
  const record: EventRecord = claimed;
  let validation = claimed.validation;
  const log = (outcome: WalkinOutcome, extra: Record<string, unknown> = {}) => {
    logger.info('job', {
      job: 'validateWalkin',
      via,
      event_key: record.event_key,
      gym_id: record.gym_id,
      outcome,
      validation_state: validation.state,
      validation_attempts: validation.attempts.length,
      ...extra,
      latency_ms: Math.round(performance.now() - started),
    });
    return outcome;
  };
  try {
    for (;;) {
      const at = deps.now();
      if (validation.state !== 'pending') {
        await deps.walkins.save(key, validation, undefined, at);
        return log(
          validation.state === 'validated' ? 'validated' : validation.state === 'failed' ? 'failed' : 'done',
        );
      }
      const deadline = validationDeadline(validation);
      if (at.getTime() >= deadline) {
        validation = settledValidation(
          validation,
          'failed',
          validation.attempts.at(-1)?.error ?? 'not validated in time',
        );
        countValidationFailed();
        continue;
      }
      const outcome = await deps.wellhub.validateCheckin(record.gym_id, record.wellhub_id, {
        attempt: validation.attempts.length + 1,
      });
      const result = classifyValidation(outcome, (o) => explain(o as Parameters<typeof explain>[0]));
      const calledAt = deps.now();
      validation = withValidationCall(validation, result, calledAt);
      countValidation(validation, result, calledAt);
      if (validation.state !== 'pending') continue;
      const failure =
        result.kind === 'retry'
          ? {
              ...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}),
              ...(result.auth === true ? { auth: true } : {}),
            }
          : {};
      const plan = planRetry(
        validation.attempts.length,
        calledAt.getTime(),
        validationDeadline(validation),
        failure,
        performance.now() - started,
      );
      const retryAt = plan.at;
      if (plan.inJob) {
        await (deps.sleep ?? sleep)(retryAt - calledAt.getTime());
        continue;
      }
      await deps.walkins.save(key, validation, new Date(retryAt), calledAt);
      return log('retry', { retry_at: new Date(retryAt).toISOString() });
    }
  } catch (error) {
    // The record stays owed; its lease lapses and the sweeper runs it again.
    logger.error('job', {
      job: 'validateWalkin',
      via,
      event_key: record.event_key,
      outcome: 'retry',
      error: describe(error),
    });
    return 'retry';
  }
}
