import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { IdAllocator } from '../../domain/ports.ts';
import { sdkCall } from '../shared/sdk-errors.ts';
import { keys } from './table.ts';

/**
 * Execution ids from one atomic counter, reserved in blocks: a single `ADD`
 * gives this worker `blockSize` ids, so the counter item is written once per
 * block rather than once per job (DynamoDB serves ~1,000 writes/s per key).
 * Ids therefore increase with time per worker, not strictly across workers.
 */
export class DynamoIdAllocator implements IdAllocator {
  private nextId = 0;
  private lastId = -1;
  private refill: Promise<void> | undefined;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly blockSize: number,
  ) {}

  async next(): Promise<number> {
    while (this.nextId > this.lastId) {
      // Concurrent callers share one refill instead of each reserving a block.
      this.refill ??= this.reserve().finally(() => {
        this.refill = undefined;
      });
      await this.refill;
    }
    return this.nextId++;
  }

  private async reserve(): Promise<void> {
    const { Attributes } = await sdkCall('DynamoDB', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.counter('execution_id'),
          UpdateExpression: 'ADD #value :block',
          ExpressionAttributeNames: { '#value': 'value' },
          ExpressionAttributeValues: { ':block': this.blockSize },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    const high = Number(Attributes?.value);
    this.nextId = high - this.blockSize + 1;
    this.lastId = high;
  }
}
