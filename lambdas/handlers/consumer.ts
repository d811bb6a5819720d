import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Deps } from '../domain/deps.ts';
import { PoisonMessageError } from '../domain/errors.ts';
import { handleDelivery } from '../domain/run-job.ts';
import { describeError } from '../http/errors.ts';
import { lazyHandler } from '../runtime/lambda.ts';

/**
 * SQS → jobs, with partial batch responses: each record that throws is
 * reported in `batchItemFailures` and delivered again; after the queue's
 * maxReceiveCount, SQS moves it to the dead-letter queue. Records of a batch
 * run in parallel, each job in its own process.
 */
export function createHandler(deps: Deps) {
  const processor = new BatchProcessor(EventType.SQS);
  const processRecord = async (record: SQSRecord) => {
    try {
      await handleDelivery(deps, { body: record.body, sentTimestamp: Number(record.attributes.SentTimestamp) });
    } catch (err) {
      const attrs = { sqs_message_id: record.messageId, receive_count: record.attributes.ApproximateReceiveCount };
      // Never the body: it holds the job's message.
      if (err instanceof PoisonMessageError)
        deps.log.error('unprocessable message left for the DLQ', { ...attrs, reason: err.message });
      else deps.log.warn('delivery failed; it will be retried', { ...attrs, error: describeError(err) });
      throw err;
    }
  };
  return (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, processRecord, processor, { context, throwOnFullBatchFailure: false });
}

export const handler = lazyHandler(createHandler);
