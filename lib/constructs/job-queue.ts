import { Duration } from 'aws-cdk-lib';
import { type Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { QUEUE_DEFAULTS, type QueueDef } from '../../lambdas/runtime/queues.ts';

/** Props of {@link JobQueue}. */
export interface JobQueueProps {
  /** The queue as declared in the stage settings, defaults applied. */
  readonly def: Required<QueueDef>;
}

/**
 * One queue clients can name, with its dead-letter queue and an alarm that
 * fires as soon as anything lands there (a message there is a job that never ran).
 */
export class JobQueue extends Construct {
  /** The queue clients name; the consumer reads it. */
  readonly queue: Queue;
  /** Where a message goes after `maxReceiveCount` failed deliveries. */
  readonly deadLetterQueue: Queue;
  /** Fires when the DLQ holds a message; no action yet, attach one with `addAlarmAction`. */
  readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: JobQueueProps) {
    super(scope, id);
    const { def } = props;
    const retentionPeriod = Duration.seconds(QUEUE_DEFAULTS.retentionSeconds);

    // No queueName: CloudFormation names them, so stacks never collide; the
    // name clients use maps to the URL through GRILL_QUEUE_URLS instead.
    this.deadLetterQueue = new Queue(this, 'Dlq', {
      retentionPeriod,
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
    });

    this.queue = new Queue(this, 'Queue', {
      // Must outlast the consumer's timeout, or a message comes back while its job still runs.
      visibilityTimeout: Duration.seconds(QUEUE_DEFAULTS.visibilityTimeoutSeconds),
      retentionPeriod,
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: def.maxReceiveCount },
    });

    this.deadLetterAlarm = this.deadLetterQueue
      .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' })
      .createAlarm(this, 'DlqNotEmpty', {
        alarmDescription: `Messages of queue "${def.name}" reached its dead-letter queue: their jobs did not run.`,
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // SQS stops publishing metrics for idle queues; silence is not a problem.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
  }
}
