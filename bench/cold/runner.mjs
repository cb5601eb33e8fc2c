/**
 * Runs inside a fresh `node` process: imports one bundle and times it from the inside, so that
 * Node's own start (and the sandbox's NODE_EXTRA_CA_CERTS, ~80 ms) stays out of the figure. With
 * BENCH_EVENTS set it then invokes the handler twice, as Lambda would after a cold start: the first
 * call pays for the secret fetch, the first connections and the SDK's lazy setup; the second is warm.
 * Plain JavaScript, so that no TypeScript loader runs in the measured process.
 */
const bundleUrl = process.argv[2];
const beforeImport = performance.now();
const module = await import(bundleUrl);
const init = performance.now() - beforeImport;

const events = JSON.parse(process.env.BENCH_EVENTS ?? '[]');
const invocations = [];
for (const event of events) {
  const started = performance.now();
  const result = await module.handler(event, lambdaContext());
  invocations.push({ ms: performance.now() - started, status: result.statusCode, body: result.body });
}

// On a line of its own: the handler's log lines share stdout.
process.stdout.write(`\nBENCH_RESULT ${JSON.stringify({ init, nodeStart: beforeImport, invocations })}\n`);

function lambdaContext() {
  const unsupported = () => {
    throw new Error('not supported');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench',
    memoryLimitInMB: '1024',
    awsRequestId: `cold-${process.pid}`,
    logGroupName: '/aws/lambda/bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 3_000,
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
