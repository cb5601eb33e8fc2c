/**
 * One DynamoDB Local for the whole run: java takes seconds to start, tables are cheap. Test workers are
 * forked after this runs, so they inherit the endpoint through the environment, and the SDK picks up
 * AWS_ENDPOINT_URL_DYNAMODB by itself: handlers run unchanged.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDynamoDbLocal } from '#lib/local/dynamodb-local';
import { LOG_AUDIT_DIR } from './log-audit';

declare global {
  // Handed from setup to teardown, which Jest runs in the same process.
  var dynamoDbLocal: { stop(): Promise<void> } | undefined;
}

export default async function globalSetup(): Promise<void> {
  process.env[LOG_AUDIT_DIR] = mkdtempSync(join(tmpdir(), 'wellhub-logs-'));
  // The SDK warns once per process that its 2027 releases need Node 22; the Lambda runtime is 24.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const dynamoDb = await startDynamoDbLocal({});
  globalThis.dynamoDbLocal = dynamoDb;

  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamoDb.endpoint;
  process.env.AWS_REGION ??= 'us-east-1';
  // Dummy credentials keep the SDK from searching for real ones (and reaching real AWS by mistake).
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
}
