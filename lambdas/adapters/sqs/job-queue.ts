import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { JobQueue } from '../../domain/ports.ts';
import { sdkCall } from '../shared/sdk-errors.ts';

/** JobQueue on SQS: queue names map to the URLs the stack (or local mode) created. */
export class SqsJobQueue implements JobQueue {
  private readonly urls: ReadonlyMap<string, string>;

  constructor(
    private readonly sqs: SQSClient,
    queueUrls: Readonly<Record<string, string>>,
  ) {
    this.urls = new Map(Object.entries(queueUrls));
  }

  has(queue: string): boolean {
    return this.urls.has(queue);
  }

  async send(queue: string, body: string, delaySeconds: number): Promise<void> {
    const url = this.urls.get(queue);
    if (!url) throw new Error(`unknown queue ${queue}`);
    await sdkCall('SQS', () =>
      this.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, DelaySeconds: delaySeconds })),
    );
  }
}
