import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/**
 * What differs between stages. Selected with `-c stage=<name>` (cdk.json defaults to `dev`); an
 * unknown name fails the synth instead of quietly deploying something half-configured.
 */
export interface StageConfig {
  readonly name: string;
  /**
   * The table keeps bookings and the de-duplication records: it is retained on stack deletion in every
   * stage (a mistaken `cdk destroy` must not lose data). A protected stage also turns on the table's
   * deletion protection and the stack's termination protection.
   */
  readonly protectFromDeletion: boolean;
  /** Secret and log groups: kept in prod (the secret is what Wellhub has), removed with a dev stack. */
  readonly removalPolicy: RemovalPolicy;
  /** Prod keeps logs longer than an event record lives (35 days), so any stored event can be traced. */
  readonly logRetention: RetentionDays;
  /**
   * Stage throttling. One gym's Wellhub traffic is a few requests per second at class start and far
   * less on average; these limits leave more than ten times that headroom while capping what a flood
   * of (unsigned) requests can cost in Lambda invocations.
   */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Wellhub's partner API: the sandbox for dev, production for prod (WELLHUB-API.md). */
  readonly wellhubApiUrl: string;
}

export const WELLHUB_SANDBOX_URL = 'https://apitesting.partners.gympass.com';
export const WELLHUB_PRODUCTION_URL = 'https://api.partners.gympass.com';

export const STAGES: Readonly<Record<string, StageConfig>> = {
  dev: {
    name: 'dev',
    protectFromDeletion: false,
    removalPolicy: RemovalPolicy.DESTROY,
    logRetention: RetentionDays.TWO_WEEKS,
    throttle: { rateLimit: 20, burstLimit: 40 },
    wellhubApiUrl: WELLHUB_SANDBOX_URL,
  },
  prod: {
    name: 'prod',
    protectFromDeletion: true,
    removalPolicy: RemovalPolicy.RETAIN,
    logRetention: RetentionDays.TWO_MONTHS,
    throttle: { rateLimit: 50, burstLimit: 100 },
    wellhubApiUrl: WELLHUB_PRODUCTION_URL,
  },
};

export function stageConfig(name: unknown): StageConfig {
  const config = typeof name === 'string' ? STAGES[name] : undefined;
  if (!config) {
    throw new Error(`unknown stage ${JSON.stringify(name)}: use -c stage=<${Object.keys(STAGES).join('|')}>`);
  }
  return config;
}
