import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { TABLE } from '../adapters/dynamodb/table.ts';
import { dlqName, QUEUE_DEFAULTS, type QueueDef, withQueueDefaults } from '../runtime/queues.ts';

/** Creates the table the stack declares, from the same schema, unless it exists already. */
export async function ensureTable(ddb: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await ddb.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  await ddb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: TABLE.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
      ],
    }),
  );
}

/** Creates each queue with its dead-letter queue and redrive policy, as the stack does; returns name → URL. */
export async function ensureQueues(sqs: SQSClient, queues: readonly QueueDef[]): Promise<Record<string, string>> {
  const urls: Record<string, string> = {};
  for (const def of queues.map(withQueueDefaults)) {
    const dlq = await sqs.send(
      new CreateQueueCommand({
        QueueName: dlqName(def.name),
        Attributes: { MessageRetentionPeriod: String(QUEUE_DEFAULTS.retentionSeconds) },
      }),
    );
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: def.name,
        Attributes: {
          VisibilityTimeout: String(QUEUE_DEFAULTS.visibilityTimeoutSeconds),
          MessageRetentionPeriod: String(QUEUE_DEFAULTS.retentionSeconds),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: Attributes?.QueueArn,
            maxReceiveCount: def.maxReceiveCount,
          }),
        },
      }),
    );
    urls[def.name] = queue.QueueUrl as string;
  }
  return urls;
}
