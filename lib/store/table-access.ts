import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { Unavailable } from '#lib/errors';
import type { StoredItem } from './table';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * The table's calls as the store makes them: consistent reads, every page of a query, conditional
 * writes that report a lost condition as `false` rather than an error, and every other failure as
 * `Unavailable` (our fault: retried, never blamed on the caller).
 */
export class TableAccess {
  constructor(
    readonly db: DynamoDBDocumentClient,
    readonly table: string,
  ) {}

  async get(key: Record<string, string>): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.call(() =>
      this.db.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true })),
    );
    return Item === undefined ? undefined : withoutKeys(Item);
  }

  async put(item: StoredItem, condition?: string): Promise<void> {
    await this.call(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ...(condition ? { ConditionExpression: condition } : {}),
        }),
      ),
    );
  }

  async delete(key: Record<string, string>): Promise<void> {
    await this.call(() => this.db.send(new DeleteCommand({ TableName: this.table, Key: key })));
  }

  /** False when the write's condition did not hold: someone else changed the item first. */
  async conditionalPut(
    item: StoredItem,
    condition: string,
    values?: Record<string, unknown>,
    names?: Record<string, string>,
  ): Promise<boolean> {
    return this.conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: condition,
          ...(values ? { ExpressionAttributeValues: values } : {}),
          ...(names ? { ExpressionAttributeNames: names } : {}),
        }),
      ),
    );
  }

  /** A conditional update: the item as it is afterwards, or undefined when the condition failed. */
  async update(input: Omit<UpdateCommandInput, 'TableName'>): Promise<Record<string, unknown> | undefined> {
    let attributes: Record<string, unknown> | undefined;
    const done = await this.conditional(async () => {
      const result = await this.db.send(
        new UpdateCommand({ ...input, TableName: this.table, ReturnValues: 'ALL_NEW' }),
      );
      attributes = result.Attributes;
    });
    return done && attributes ? withoutKeys(attributes) : undefined;
  }

  async transact(items: TransactItem[]): Promise<void> {
    await this.db.send(new TransactWriteCommand({ TransactItems: items }));
  }

  async query(pk: string): Promise<Record<string, unknown>[]> {
    const items = await this.pages({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
    });
    return items.map(withoutKeys);
  }

  /** Every page of a query, or the first `limit` items. */
  async pages(
    input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey' | 'Limit'>,
    limit?: number,
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.call(() =>
        this.db.send(
          new QueryCommand({
            ...input,
            TableName: this.table,
            ExclusiveStartKey: start,
            ...(limit === undefined ? {} : { Limit: limit - items.length }),
          }),
        ),
      );
      items.push(...(page.Items ?? []));
      start = limit !== undefined && items.length >= limit ? undefined : page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async conditional(request: () => Promise<unknown>): Promise<boolean> {
    try {
      await this.call(request);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Every database failure other than a lost condition is our fault: `Unavailable`. */
  async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw error;
      throw unavailable(error);
    }
  }
}

export function withoutKeys(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, kind: _kind, list_pk: _listPk, list_sk: _listSk, ...rest } = item;
  return rest;
}

export function unavailable(error: unknown): Unavailable {
  const name = error instanceof Error ? error.name : 'unknown error';
  return new Unavailable(`DynamoDB call failed: ${name}`, { cause: error });
}
