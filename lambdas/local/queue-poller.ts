import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Log } from '../domain/deps.ts';
import { lambdaContext } from './lambda-context.ts';

export type ConsumerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly queueName: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly consumer: ConsumerHandler;
  readonly log: Log;
  /** Batches in flight at once (Lambda's maximum concurrency). */
  readonly concurrency: number;
  readonly batchSize: number;
  /**
   * A failed record is visible again after this many seconds. Lambda leaves it
   * for the whole visibility timeout (16 min); local mode retries sooner.
   */
  readonly retryDelaySeconds: number;
}

/**
 * Polls one queue into the consumer the way Lambda's SQS event source mapping
 * does: long-poll a batch, invoke the handler, delete only the records that
 * did not come back in `batchItemFailures`. Records that keep failing move to
 * the DLQ by the queue's own redrive policy.
 */
export function startPoller(o: PollerOptions): { stop(graceMs: number): Promise<void> } {
  let stopping = false;
  const loops = Array.from({ length: o.concurrency }, async () => {
    while (!stopping) {
      try {
        await pollOnce(o, () => stopping);
      } catch (err) {
        if (stopping) break;
        o.log.error('queue poll failed', { queue: o.queueName, error: String(err) });
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  });
  return {
    /** Stops polling; waits up to `graceMs` for batches in flight (their jobs) to finish. */
    async stop(graceMs) {
      stopping = true;
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise((r) => {
        timer = setTimeout(r, graceMs);
      });
      await Promise.race([Promise.all(loops), grace]);
      clearTimeout(timer);
    },
  };
}

async function pollOnce(o: PollerOptions, stopping: () => boolean): Promise<void> {
  const { Messages = [] } = await o.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: o.queueUrl,
      MaxNumberOfMessages: o.batchSize,
      WaitTimeSeconds: 1,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  if (Messages.length === 0 || stopping()) return;
  const event: SQSEvent = { Records: Messages.map((m) => toRecord(m, o)) };
  let failed: Set<string>;
  try {
    const res = await o.consumer(event, lambdaContext(`consumer-${o.queueName}`));
    failed = new Set((res?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  } catch (err) {
    // A handler that throws fails the whole batch, as in Lambda.
    o.log.error('consumer invocation failed', { queue: o.queueName, error: String(err) });
    failed = new Set(Messages.map((m) => m.MessageId as string));
  }
  const done = Messages.filter((m) => !failed.has(m.MessageId as string));
  const retry = Messages.filter((m) => failed.has(m.MessageId as string));
  if (done.length) {
    await o.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: o.queueUrl,
        Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string })),
      }),
    );
  }
  if (retry.length) {
    await o.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: o.queueUrl,
        Entries: retry.map((m, i) => ({
          Id: String(i),
          ReceiptHandle: m.ReceiptHandle as string,
          VisibilityTimeout: o.retryDelaySeconds,
        })),
      }),
    );
  }
}

function toRecord(m: Message, o: PollerOptions): SQSRecord {
  const a = m.Attributes ?? {};
  return {
    messageId: m.MessageId as string,
    receiptHandle: m.ReceiptHandle as string,
    body: m.Body ?? '',
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
      SentTimestamp: a.SentTimestamp ?? String(Date.now()),
      SenderId: a.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: m.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: o.queueArn,
    awsRegion: 'us-east-1',
  };
}
