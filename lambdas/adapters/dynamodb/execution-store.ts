import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateScan,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Execution, Retry, RunResult, Status } from '../../domain/execution.ts';
import { type ExecutionStore, type IdempotencyClaim, IdempotencyKeyTaken, NotInStatus } from '../../domain/ports.ts';
import { RawJson } from '../../domain/raw-json.ts';
import { isConditionFailed, sdkCall } from '../shared/sdk-errors.ts';
import { keys } from './table.ts';

/** The stored shape of a retry, inside its execution's `retries` list. */
interface RetryItem {
  message_id: string;
  status: Retry['status'];
  retry_count: number;
  created_at: string;
  due_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/** The stored shape of an execution. `message` is JSON text, so large numbers keep every digit. */
interface ExecutionItem {
  pk: string;
  sk: string;
  message_id: string;
  application: string;
  job: string;
  queue: string;
  message: string;
  status: Status;
  id: number | null;
  created_at: string;
  due_at: string;
  started_at: string | null;
  finished_at: string | null;
  stdout: string | null;
  stderr: string | null;
  retry_count: number;
  current_retry: string | null;
  retries: RetryItem[];
}

/**
 * ExecutionStore on one DynamoDB table. An execution and its retries are one
 * item, so each state change, including "the parent becomes `retried` as its
 * retry is created", is a single conditional write.
 */
export class DynamoExecutionStore implements ExecutionStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(e: Execution, idempotency?: IdempotencyClaim): Promise<void> {
    if (idempotency) await this.claim(idempotency);
    const item: ExecutionItem = {
      ...keys.execution(e.messageId),
      message_id: e.messageId,
      application: e.application,
      job: e.job,
      queue: e.queue,
      message: e.message.text,
      status: e.status,
      id: e.id,
      created_at: e.createdAt,
      due_at: e.dueAt,
      started_at: e.startedAt,
      finished_at: e.finishedAt,
      stdout: e.stdout,
      stderr: e.stderr,
      retry_count: e.retryCount,
      current_retry: null,
      retries: [],
    };
    try {
      await sdkCall('DynamoDB', () =>
        this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: item,
            // A v4 UUID never repeats in practice; the condition makes sure a repeat could not overwrite.
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    } catch (err) {
      if (idempotency) await this.releaseIdempotencyKey(idempotency.key).catch(() => undefined);
      throw err;
    }
  }

  /** Claims an Idempotency-Key unless a live claim exists (an expired one may be taken over). */
  private async claim(c: IdempotencyClaim): Promise<void> {
    try {
      await sdkCall('DynamoDB', () =>
        this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...keys.idempotency(c.key),
              fingerprint: c.fingerprint,
              message_id: c.messageId,
              expires_at: c.expiresAt,
            },
            ConditionExpression: 'attribute_not_exists(pk) OR expires_at < :now',
            ExpressionAttributeValues: { ':now': Math.floor(Date.now() / 1000) },
          }),
        ),
      );
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
      const { Item } = await sdkCall('DynamoDB', () =>
        this.doc.send(
          new GetCommand({ TableName: this.tableName, Key: keys.idempotency(c.key), ConsistentRead: true }),
        ),
      );
      if (!Item) throw err;
      throw new IdempotencyKeyTaken({
        key: c.key,
        fingerprint: Item.fingerprint as string,
        messageId: Item.message_id as string,
        expiresAt: Item.expires_at as number,
      });
    }
  }

  async releaseIdempotencyKey(key: string): Promise<void> {
    await sdkCall('DynamoDB', () =>
      this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: keys.idempotency(key) })),
    );
  }

  async get(messageId: string): Promise<{ execution: Execution; retries: Retry[] } | undefined> {
    const item = await this.read(messageId);
    return item && { execution: toExecution(item), retries: item.retries.map((r) => toRetry(item, r)) };
  }

  async take(messageId: string, id: number, startedAt: string): Promise<Execution> {
    const { Attributes } = await this.update(messageId, {
      UpdateExpression: 'SET #status = :running, #id = :id, started_at = :t',
      // Only a pending execution may start: a second delivery of the same message fails here.
      ConditionExpression: '#status = :pending',
      ExpressionAttributeNames: { '#status': 'status', '#id': 'id' },
      ExpressionAttributeValues: { ':running': 'running', ':pending': 'pending', ':id': id, ':t': startedAt },
      ReturnValues: 'ALL_NEW',
    });
    return toExecution(Attributes as ExecutionItem);
  }

  async finish(messageId: string, from: 'pending' | 'running', result: RunResult, finishedAt: string): Promise<void> {
    await this.update(messageId, {
      UpdateExpression: 'SET #status = :final, finished_at = :t, stdout = :out, stderr = :err',
      // A result only lands on the run it belongs to, never over a newer status.
      ConditionExpression: '#status = :from',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':final': result.status,
        ':from': from,
        ':t': finishedAt,
        ':out': result.stdout,
        ':err': result.stderr,
      },
    });
  }

  async createRetry(parent: Execution, retry: Retry): Promise<void> {
    const stored: RetryItem = {
      message_id: retry.messageId,
      status: retry.status,
      retry_count: retry.retryCount,
      created_at: retry.createdAt,
      due_at: retry.dueAt,
      started_at: null,
      finished_at: null,
    };
    await this.update(parent.messageId, {
      UpdateExpression:
        'SET #status = :retried, retry_count = :n, current_retry = :rid, retries = list_append(retries, :new)',
      // The parent must still be as it was read: finished, with no retry made since. Of two
      // concurrent retries, only one passes; the list index of a retry is then retry_count - 1.
      ConditionExpression: '#status = :was AND retry_count = :old',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':retried': 'retried',
        ':was': parent.status,
        ':old': parent.retryCount,
        ':n': retry.retryCount,
        ':rid': retry.messageId,
        ':new': [stored],
      },
    });
  }

  async takeRetry(retry: Retry, startedAt: string): Promise<void> {
    const i = retry.retryCount - 1;
    await this.update(retry.parentId, {
      UpdateExpression: `SET retries[${i}].#status = :running, retries[${i}].started_at = :t`,
      // Only the parent's current retry, and only while pending: a duplicate delivery fails here.
      ConditionExpression: `current_retry = :rid AND retries[${i}].message_id = :rid AND retries[${i}].#status = :pending`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':running': 'running',
        ':pending': 'pending',
        ':rid': retry.messageId,
        ':t': startedAt,
      },
    });
  }

  async finishRetry(retry: Retry, from: 'pending' | 'running', result: RunResult, finishedAt: string): Promise<void> {
    const i = retry.retryCount - 1;
    await this.update(retry.parentId, {
      UpdateExpression:
        `SET retries[${i}].#status = :final, retries[${i}].finished_at = :t, ` +
        '#status = :final, finished_at = :t, stdout = :out, stderr = :err',
      // The parent takes the result only while this retry is its current one and still in `from`.
      ConditionExpression: `#status = :retried AND current_retry = :rid AND retries[${i}].message_id = :rid AND retries[${i}].#status = :from`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':final': result.status,
        ':retried': 'retried',
        ':from': from,
        ':rid': retry.messageId,
        ':t': finishedAt,
        ':out': result.stdout,
        ':err': result.stderr,
      },
    });
  }

  async *listUnfinished(): AsyncIterable<Execution | Retry> {
    const pages = paginateScan(
      { client: this.doc },
      {
        TableName: this.tableName,
        FilterExpression: 'sk = :exec AND #status IN (:pending, :running, :retried)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':exec': 'EXEC',
          ':pending': 'pending',
          ':running': 'running',
          ':retried': 'retried',
        },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const raw of page.Items ?? []) {
        const item = raw as ExecutionItem;
        if (item.status !== 'retried') {
          yield toExecution(item);
          continue;
        }
        const current = item.retries.find((r) => r.message_id === item.current_retry);
        if (current && (current.status === 'pending' || current.status === 'running')) yield toRetry(item, current);
      }
    }
  }

  private async read(messageId: string): Promise<ExecutionItem | undefined> {
    const { Item } = await sdkCall('DynamoDB', () =>
      this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: keys.execution(messageId), ConsistentRead: true }),
      ),
    );
    return Item as ExecutionItem | undefined;
  }

  /** A conditional update; a failed condition becomes NotInStatus carrying the item as it is now. */
  private async update(
    messageId: string,
    input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>,
  ) {
    try {
      return await sdkCall('DynamoDB', () =>
        this.doc.send(new UpdateCommand({ TableName: this.tableName, Key: keys.execution(messageId), ...input })),
      );
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
      const current = await this.read(messageId);
      throw new NotInStatus(current && toExecution(current));
    }
  }
}

function toExecution(i: ExecutionItem): Execution {
  return {
    messageId: i.message_id,
    application: i.application,
    job: i.job,
    queue: i.queue,
    message: new RawJson(i.message),
    status: i.status,
    id: i.id ?? null,
    createdAt: i.created_at,
    dueAt: i.due_at,
    startedAt: i.started_at ?? null,
    finishedAt: i.finished_at ?? null,
    stdout: i.stdout ?? null,
    stderr: i.stderr ?? null,
    retryCount: i.retry_count,
  };
}

function toRetry(parent: ExecutionItem, r: RetryItem): Retry {
  return {
    messageId: r.message_id,
    parentId: parent.message_id,
    status: r.status,
    retryCount: r.retry_count,
    createdAt: r.created_at,
    dueAt: r.due_at,
    startedAt: r.started_at ?? null,
    finishedAt: r.finished_at ?? null,
  };
}
