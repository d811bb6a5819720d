/**
 * What a queue is, for the CDK stack and for local mode alike. Queues are
 * infrastructure: declared in the stack's props and in the local config file.
 */
export interface QueueDef {
  /** The name clients pass as `queue`: 1..80 chars of [A-Za-z0-9_-]. */
  readonly name: string;
  /** Deliveries of one message before it moves to the queue's dead-letter queue. */
  readonly maxReceiveCount?: number;
  /** Most consumer invocations running at once for this queue (Lambda's ESM maximum concurrency, min 2). */
  readonly maxConcurrency?: number;
  /** Messages handed to the consumer in one batch (1..10). */
  readonly batchSize?: number;
}

export const QUEUE_DEFAULTS = {
  maxReceiveCount: 3,
  maxConcurrency: 4,
  batchSize: 10,
  /** The consumer's timeout; the longest job a queue can run inside it. */
  consumerTimeoutSeconds: 900,
  /**
   * Visibility timeout of each queue. It must outlast the consumer's timeout,
   * or a message would be redelivered while its job is still running.
   */
  visibilityTimeoutSeconds: 960,
  /** How long SQS keeps an unconsumed message (the maximum, 14 days). */
  retentionSeconds: 1_209_600,
} as const;

export function withQueueDefaults(def: QueueDef): Required<QueueDef> {
  return {
    name: def.name,
    maxReceiveCount: def.maxReceiveCount ?? QUEUE_DEFAULTS.maxReceiveCount,
    maxConcurrency: def.maxConcurrency ?? QUEUE_DEFAULTS.maxConcurrency,
    batchSize: def.batchSize ?? QUEUE_DEFAULTS.batchSize,
  };
}

/** The dead-letter queue's name for a queue. */
export const dlqName = (queueName: string) => `${queueName}-dlq`;
