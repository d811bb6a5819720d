import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { NotFoundError } from '../../domain/errors.ts';
import type { App, JobCatalog, JobDefinition } from '../../domain/ports.ts';
import { isConditionFailed, sdkCall } from '../shared/sdk-errors.ts';
import { keys } from './table.ts';

/** Applications and job definitions, as items of the one table. */
export class DynamoJobCatalog implements JobCatalog {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getApp(name: string): Promise<App | undefined> {
    const { Item } = await sdkCall('DynamoDB', () =>
      this.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.app(name) })),
    );
    return Item && { name, revision: (Item.revision as string | undefined) ?? null };
  }

  async getJob(application: string, job: string): Promise<JobDefinition | undefined> {
    const { Item } = await sdkCall('DynamoDB', () =>
      this.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.job(application, job) })),
    );
    if (!Item) return undefined;
    return {
      application,
      job,
      executor: 'command',
      command: Item.command as string[],
      timeoutSeconds: Item.timeout_seconds as number,
      env: (Item.env as Record<string, string> | undefined) ?? {},
    };
  }

  async putApp(name: string, jobs: readonly JobDefinition[]): Promise<void> {
    // An update, not a put: an app seeded again keeps its revision lock.
    await sdkCall('DynamoDB', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.app(name),
          UpdateExpression: 'SET #name = :name',
          ExpressionAttributeNames: { '#name': 'name' },
          ExpressionAttributeValues: { ':name': name },
        }),
      ),
    );
    const { Items = [] } = await sdkCall('DynamoDB', () =>
      this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :job)',
          ExpressionAttributeValues: { ':pk': keys.app(name).pk, ':job': 'JOB#' },
          ProjectionExpression: 'pk, sk',
        }),
      ),
    );
    const keep = new Set(jobs.map((j) => keys.job(name, j.job).sk));
    const writes = [
      ...jobs.map((j) => ({
        PutRequest: {
          Item: {
            ...keys.job(name, j.job),
            executor: j.executor,
            command: [...j.command],
            timeout_seconds: j.timeoutSeconds,
            env: { ...j.env },
          },
        },
      })),
      // Definitions no longer in the config are removed.
      ...Items.filter((i) => !keep.has(i.sk as string)).map((i) => ({
        DeleteRequest: { Key: { pk: i.pk, sk: i.sk } },
      })),
    ];
    for (let i = 0; i < writes.length; i += 25) {
      const chunk = writes.slice(i, i + 25);
      await sdkCall('DynamoDB', () =>
        this.doc.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: chunk } })),
      );
    }
  }

  async lockRevision(app: string, revision: string): Promise<void> {
    await this.updateExisting(app, 'SET revision = :r', { ':r': revision });
  }

  async unlockRevision(app: string): Promise<void> {
    await this.updateExisting(app, 'REMOVE revision');
  }

  private async updateExisting(app: string, expression: string, values?: Record<string, unknown>): Promise<void> {
    try {
      await sdkCall('DynamoDB', () =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.app(app),
            UpdateExpression: expression,
            // Locking must not create an app that does not exist.
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: values,
          }),
        ),
      );
    } catch (err) {
      if (isConditionFailed(err)) throw new NotFoundError(`no application is named "${app}"`);
      throw err;
    }
  }
}
