import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { keys, LIST_INDEX } from '#lib/store/table';
import type { BundleOptions } from './bundle';
import { JOB_MEMORY_MB, SCHEDULE_HORIZON_DAYS } from './pipeline';
import { invokeOnSchedule } from './scheduled-invoke';
import { queryIndexStatement, SERVICE_NAME, ServiceFunction } from './service-function';
import type { WellhubApiAccess } from './wellhub-api-access';

/** CONTRACT §10: Wellhub's copy of the schedule is read back and repaired every 15 minutes. */
export const RECONCILE_RATE = Duration.minutes(15);

/**
 * Reconcile reads each gym's slots back from Wellhub one class at a time, each call allowed 5 s
 * (WELLHUB_TIMEOUT_MS): minutes for a large schedule at worst, and always over well before the next
 * run starts, so two runs never work on the same records.
 */
export const RECONCILE_TIMEOUT = Duration.minutes(5);

export interface ScheduleSyncProps {
  readonly stage: string;
  readonly table: Table;
  readonly wellhub: WellhubApiAccess;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly bundle?: BundleOptions;
}

/**
 * Keeps Wellhub in step with the gym's schedule (CONTRACT §10): the reconcile function and its
 * 15-minute schedule. Publishing each change is the pipeline's (the worker and the sweeper).
 */
export class ScheduleSync extends Construct {
  readonly reconcile: ServiceFunction;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: ScheduleSyncProps) {
    super(scope, id);
    const { table, stage } = props;

    this.reconcile = new ServiceFunction(this, 'Reconcile', {
      name: 'reconcile',
      stage,
      description: 'Every 15 minutes: reads the published schedule back from Wellhub and repairs drift',
      memorySize: JOB_MEMORY_MB,
      timeout: RECONCILE_TIMEOUT,
      policyName: 'reconcile',
      statements: [
        // Classes, then each gym's slots in the horizon.
        queryIndexStatement('QueryListIndex', table, LIST_INDEX),
        // Repairs are handed to the publication jobs as owed work; drift records are written here.
        new PolicyStatement({
          sid: 'ReadWriteTable',
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          resources: [table.tableArn],
        }),
        // The last drift report of a gym is read and replaced: querying and deleting reach its DRIFT#
        // partitions only, never a booking or an event.
        new PolicyStatement({
          sid: 'ReplaceDriftRecords',
          actions: ['dynamodb:DeleteItem', 'dynamodb:Query'],
          resources: [table.tableArn],
          conditions: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [keys.driftPartition('*')] },
          },
        }),
      ],
      tableName: table.tableName,
      environment: { SCHEDULE_HORIZON_DAYS: String(SCHEDULE_HORIZON_DAYS) },
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      ...(props.bundle ? { bundle: props.bundle } : {}),
    });
    props.wellhub.grantWellhubToken(this.reconcile);

    // The scheduler invokes asynchronously, so a failed run would also get Lambda's own two retries
    // within minutes: the next run redoes the whole job anyway, and one bad run then counts as one
    // error (the reconcile-errors alarm counts runs).
    this.reconcile.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: RECONCILE_RATE });

    this.schedule = invokeOnSchedule(this, {
      id: 'Schedule',
      roleId: 'SchedulerRole',
      scheduleName: `${SERVICE_NAME}-${stage}-reconcile`,
      description: 'Runs reconcile every 15 minutes (CONTRACT §10)',
      rate: RECONCILE_RATE,
      target: this.reconcile.function,
      targetLabel: `the ${stage} reconcile function`,
      invokeSid: 'InvokeReconcile',
    });
  }
}
