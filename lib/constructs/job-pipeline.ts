import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { NAME_PATTERN } from '../../lambdas/domain/names.ts';
import { QUEUE_DEFAULTS, type QueueDef, withQueueDefaults } from '../../lambdas/runtime/queues.ts';
import { CONSUMER_HANDLER } from '../../lambdas/runtime/routes.ts';
import { GrillFunction } from './grill-function.ts';
import { JobQueue } from './job-queue.ts';

/** Props of {@link JobPipeline}. */
export interface JobPipelineProps {
  /** The queues clients may name; at least one, names unique. */
  readonly queues: readonly QueueDef[];
  /** The table the consumer takes executions from and records results in. */
  readonly table: ITable;
}

/**
 * The queue side of Grill: every declared queue with its DLQ and alarm, and
 * the one consumer function that drains them all.
 */
export class JobPipeline extends Construct {
  /** Each queue by the name clients use. */
  readonly queues: ReadonlyMap<string, JobQueue>;
  /** The one function that runs jobs from every queue. */
  readonly consumer: GrillFunction;

  constructor(scope: Construct, id: string, props: JobPipelineProps) {
    super(scope, id);
    const defs = props.queues.map(withQueueDefaults);
    checkQueueNames(defs.map((d) => d.name));

    this.consumer = new GrillFunction(this, 'Consumer', {
      handler: CONSUMER_HANDLER,
      timeout: Duration.seconds(QUEUE_DEFAULTS.consumerTimeoutSeconds),
      description: 'Takes queued job executions and runs them',
    });
    // Taking an execution is a conditional write; recording the result another.
    this.consumer.bindTable(props.table, 'readWrite');

    const queues = new Map<string, JobQueue>();
    for (const def of defs) {
      const jobQueue = new JobQueue(this, `Queue-${def.name}`, { def });
      // The event source also grants the consumer receive/delete on this queue.
      this.consumer.fn.addEventSource(
        new SqsEventSource(jobQueue.queue, {
          // One failed record must not send the whole batch back.
          reportBatchItemFailures: true,
          batchSize: def.batchSize,
          maxConcurrency: def.maxConcurrency,
        }),
      );
      queues.set(def.name, jobQueue);
    }
    this.queues = queues;
  }
}

function checkQueueNames(names: readonly string[]): void {
  if (names.length === 0) {
    throw new Error('Grill needs at least one queue.');
  }
  for (const name of names) {
    // The API rejects a queue name outside this alphabet, so such a queue could never be used.
    if (!NAME_PATTERN.test(name)) {
      throw new Error(`Queue name "${name}" must be 1..80 characters of A-Z, a-z, 0-9, _ and -.`);
    }
  }
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) {
    throw new Error(`Queue "${duplicate}" is declared twice.`);
  }
}
