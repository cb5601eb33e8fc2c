import { config } from '#lib/config';
import type { JobDeps } from '#lib/jobs/router';
import { DynamoDbStore } from '#lib/store/dynamodb-store';
import { wellhubClient } from '#lib/wellhub-api/client';

/** Jobs have seconds, not Wellhub's 1 s: a slower database call is waited for rather than failed. */
const JOB_DYNAMODB_TIMEOUT_MS = 3_000;

/** The jobs' dependencies, with the one store: the worker, the sweeper and ops all run on it. */
export interface PipelineDeps extends JobDeps {
  readonly store: DynamoDbStore;
}

let defaults: PipelineDeps | undefined;

/** Built once per Lambda container, outside the handler, so the client and its connections are reused. */
export function pipelineDeps(): PipelineDeps {
  defaults ??= {
    store: new DynamoDbStore({ tableName: config.tableName, timeoutMs: JOB_DYNAMODB_TIMEOUT_MS }),
    now: () => new Date(),
    wellhub: wellhubClient(config),
    horizonDays: config.scheduleHorizonDays,
    apply: { walkinValidation: config.walkinValidation },
  };
  return defaults;
}
