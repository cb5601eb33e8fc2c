import { type Duration, Stack } from 'aws-cdk-lib';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Construct } from 'constructs';

export interface ScheduledInvokeProps {
  /** Construct ids, within `scope`, of the schedule and of its role. */
  readonly id: string;
  readonly roleId: string;
  readonly scheduleName: string;
  readonly description: string;
  readonly rate: Duration;
  readonly target: IFunction;
  /** Who the role is for, in its description: `the dev sweeper`. */
  readonly targetLabel: string;
  readonly invokeSid: string;
}

/**
 * Invokes `target` every `rate` and never retries a run: each one redoes the whole job, so a missed
 * run is simply the next one's (LambdaInvoke's default would retry it 185 times over 24 h and pile
 * runs on top of each other). Events older than the rate are dropped for the same reason.
 */
export function invokeOnSchedule(scope: Construct, props: ScheduledInvokeProps): Schedule {
  // Our own role rather than the target's: the target grants `<function arn>:*` (every version and
  // alias) as well; the schedule invokes the unqualified function and needs nothing more. Trusted
  // only by this schedule, so no other schedule in the account can borrow it.
  const stack = Stack.of(scope);
  const role = new Role(scope, props.roleId, {
    description: `Lets EventBridge Scheduler invoke ${props.targetLabel}`,
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
      conditions: {
        StringEquals: {
          'aws:SourceAccount': stack.account,
          'aws:SourceArn': stack.formatArn({
            service: 'scheduler',
            resource: 'schedule',
            resourceName: `default/${props.scheduleName}`,
          }),
        },
      },
    }),
    inlinePolicies: {
      scheduler: new PolicyDocument({
        statements: [
          new PolicyStatement({
            sid: props.invokeSid,
            actions: ['lambda:InvokeFunction'],
            resources: [props.target.functionArn],
          }),
        ],
      }),
    },
  });

  return new Schedule(scope, props.id, {
    scheduleName: props.scheduleName,
    description: props.description,
    schedule: ScheduleExpression.rate(props.rate),
    target: new LambdaInvoke(props.target, {
      role: role.withoutPolicyUpdates(),
      retryAttempts: 0,
      maxEventAge: props.rate,
    }),
  });
}
