/**
 * One DynamoDB Local for the whole run: java takes seconds to start, tables are cheap. Test workers are
 * forked after this runs, so they inherit the endpoint through the environment, and the SDK picks up
 * AWS_ENDPOINT_URL_DYNAMODB by itself: handlers run unchanged.
 */
import { startDynamoDbLocal } from '#lib/local/dynamodb-local';

declare global {
  // Handed from setup to teardown, which Jest runs in the same process.
  var dynamoDbLocal: { stop(): Promise<void> } | undefined;
}

export default async function globalSetup(): Promise<void> {
  const dynamoDb = await startDynamoDbLocal({});
  globalThis.dynamoDbLocal = dynamoDb;

  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamoDb.endpoint;
  process.env.AWS_REGION ??= 'us-east-1';
  // Dummy credentials keep the SDK from searching for real ones (and reaching real AWS by mistake).
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
}
