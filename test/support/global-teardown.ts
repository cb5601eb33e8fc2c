export default async function globalTeardown(): Promise<void> {
  await globalThis.dynamoDbLocal?.stop();
  globalThis.dynamoDbLocal = undefined;
}
