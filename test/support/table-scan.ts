import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';

/** How many items a test table holds: proof that a refused request stored nothing. */
export async function countItems(tableName: string): Promise<number> {
  const client = new DynamoDBClient({});
  const { Count } = await client.send(
    new ScanCommand({ TableName: tableName, Select: 'COUNT', ConsistentRead: true }),
  );
  return Count ?? 0;
}
