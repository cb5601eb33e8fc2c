import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, type IMetric, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  quarantinedMetric,
  signatureRejectedMetric,
  wellhubAuthRefusedMetric,
  wellhubTokenMissingMetric,
} from './app-metrics';
import { SERVICE_NAME, type WebhookFunction } from './webhook-function';

/** p99 latency above this is close enough to Wellhub's 1 s budget to act on. */
export const LATENCY_P99_THRESHOLD_MS = 800;

/**
 * Wellhub signs every call, so the normal rate of 401s is zero. A few can be a scanner finding the
 * public URL; this many in five minutes means Wellhub's secret and ours disagree (a rotation gone
 * wrong) and real events are being refused.
 */
export const SIGNATURE_REJECTED_THRESHOLD = 5;

export interface OnCallAlarmsProps {
  readonly stage: string;
  readonly api: HttpApi;
  readonly functions: readonly WebhookFunction[];
  readonly topic: ITopic;
}

/**
 * Everything on-call is paged for; the README ("Operations") says what each alarm means
 * and what to do. Missing data is "OK": no traffic is not an incident.
 */
export class OnCallAlarms extends Construct {
  readonly alarms: Alarm[] = [];
  private readonly action: SnsAction;
  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: OnCallAlarmsProps) {
    super(scope, id);
    this.action = new SnsAction(props.topic);
    this.prefix = `${SERVICE_NAME}-${props.stage}`;
    const fiveMinutes = Duration.minutes(5);

    this.add('Api5xx', {
      name: 'api-5xx',
      metric: props.api.metricServerError({ period: fiveMinutes, statistic: Stats.SUM }),
      threshold: 1,
      // Every 5xx is our own fault by contract (database or secret unavailable, a crash, a timeout);
      // Wellhub retries, but at this traffic even one is worth a look.
      description: 'The API answered 5xx: Wellhub will retry, but events are delayed until it is fixed.',
    });

    this.add('LatencyP99', {
      name: 'latency-p99',
      metric: props.api.metricLatency({ period: fiveMinutes, statistic: Stats.p(99) }),
      threshold: LATENCY_P99_THRESHOLD_MS,
      // Two of three windows: a lone cold start in a quiet window is not a trend.
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      description: `p99 API latency is above ${LATENCY_P99_THRESHOLD_MS} ms: close to Wellhub's 1 s budget.`,
    });

    this.add('Quarantined', {
      name: 'quarantined',
      metric: quarantinedMetric({ period: fiveMinutes }),
      threshold: 1,
      description:
        'A signed event was refused with 400 and quarantined: inspect it and replay it once fixed.',
    });

    this.add('SignatureRejected', {
      name: 'signature-rejected',
      metric: signatureRejectedMetric({ period: fiveMinutes }),
      threshold: SIGNATURE_REJECTED_THRESHOLD,
      description:
        'Many requests failed the signature check: the secret at Wellhub and ours may disagree, or the URL is being probed.',
    });

    this.add('WellhubAuthRefused', {
      name: 'wellhub-auth-refused',
      metric: wellhubAuthRefusedMetric({ period: fiveMinutes }),
      threshold: 1,
      // Jobs keep retrying until their deadline, so bookings are not answered while this lasts.
      description:
        'Wellhub answered 401/403: our API token is wrong, revoked or not enabled for the gym; booking answers and validations wait.',
    });

    this.add('WellhubTokenMissing', {
      name: 'wellhub-token-missing',
      metric: wellhubTokenMissingMetric({ period: fiveMinutes }),
      threshold: 1,
      description:
        'A call to Wellhub failed closed: no API token is configured (the secret still holds its placeholder) or it cannot be read.',
    });

    for (const fn of props.functions) {
      const name = fn.route.functionName;
      this.add(`${fn.node.id}Errors`, {
        name: `${name}-errors`,
        metric: fn.function.metricErrors({ period: fiveMinutes, statistic: Stats.SUM }),
        threshold: 1,
        // Handlers answer every failure themselves (503), so an invocation error is a crash or a timeout.
        description: `The ${name} function crashed or timed out.`,
      });
      this.add(`${fn.node.id}Throttles`, {
        name: `${name}-throttles`,
        metric: fn.function.metricThrottles({ period: fiveMinutes, statistic: Stats.SUM }),
        threshold: 1,
        description: `The ${name} function was throttled: the account's Lambda concurrency is exhausted.`,
      });
    }
  }

  private add(
    id: string,
    spec: {
      name: string;
      metric: IMetric;
      threshold: number;
      description: string;
      evaluationPeriods?: number;
      datapointsToAlarm?: number;
    },
  ): void {
    const alarm = new Alarm(this, id, {
      alarmName: `${this.prefix}-${spec.name}`,
      alarmDescription: `${spec.description} Runbook: README, Operations, alarm "${spec.name}".`,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: spec.evaluationPeriods ?? 1,
      datapointsToAlarm: spec.datapointsToAlarm ?? spec.evaluationPeriods ?? 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    // OK as well as ALARM: on-call learns from the same channel that the incident is over.
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
  }
}
