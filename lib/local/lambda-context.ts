import type { Context } from 'aws-lambda';

const ACCOUNT_ID = '000000000000';

/** The Lambda context a deployed function gets, for running its handler on one machine. */
export function lambdaContext(
  functionName: string,
  requestId: string,
  options: { timeoutMs: number; memoryMb: string; logStreamName: string },
): Context {
  const deadline = Date.now() + options.timeoutMs;
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const unsupported = () => {
    throw new Error('callback-style completion is not supported: return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: options.memoryMb,
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: options.logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
