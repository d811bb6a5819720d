import { type Deps, iso } from './deps.ts';
import { PoisonMessageError } from './errors.ts';
import type { Execution, RunResult } from './execution.ts';
import { parseQueueMessage } from './messages.ts';
import { type JobInvocation, NotInStatus } from './ports.ts';

/** One delivery of one queue message. */
export interface Delivery {
  readonly body: string;
  /** SQS's SentTimestamp, epoch milliseconds. */
  readonly sentTimestamp: number;
}

export type DeliveryOutcome = 'ran' | 'duplicate';

/**
 * Handles one delivery: takes the execution (or retry) with a conditional
 * write, runs its job and records the result. A delivery that finds the work
 * taken already is a duplicate and a successful no-op: SQS delivers at least
 * once, and this is what keeps a job from running twice.
 *
 * Throws PoisonMessageError for a message that can never run, and any other
 * error for a transient failure (the message is then delivered again).
 */
export async function handleDelivery(deps: Deps, delivery: Delivery): Promise<DeliveryOutcome> {
  const msg = parseQueueMessage(delivery.body);
  if (msg.type === 'JobExecution') return runExecution(deps, msg.messageId, delivery.sentTimestamp);
  return runRetry(deps, msg.parentId, msg.retryId, delivery.sentTimestamp);
}

async function runExecution(deps: Deps, messageId: string, sentTimestamp: number): Promise<DeliveryOutcome> {
  const found = await deps.store.get(messageId);
  if (!found) throw new PoisonMessageError(`no execution ${messageId}`);
  if (found.execution.status !== 'pending') return duplicate(deps, found.execution);
  const id = await deps.idAllocator.next();
  let execution: Execution;
  try {
    execution = await deps.store.take(messageId, id, iso(deps.clock.now()));
  } catch (err) {
    if (err instanceof NotInStatus) return duplicate(deps, found.execution);
    throw err;
  }
  const attrs = logAttrs(execution);
  deps.log.info('execution running', { ...attrs, id });
  const result = await run(deps, execution, 0, sentTimestamp);
  await deps.store.finish(messageId, 'running', result, iso(deps.clock.now()));
  deps.log.info(`execution ${result.status}`, { ...attrs, id });
  return 'ran';
}

async function runRetry(
  deps: Deps,
  parentId: string,
  retryId: string,
  sentTimestamp: number,
): Promise<DeliveryOutcome> {
  const [retry, found] = await Promise.all([deps.store.getRetry(parentId, retryId), deps.store.get(parentId)]);
  if (!retry || !found) throw new PoisonMessageError(`no retry ${retryId} of execution ${parentId}`);
  const attrs = { ...logAttrs(found.execution), retry_message_id: retryId };
  if (retry.status !== 'pending') {
    deps.log.info('duplicate delivery ignored', attrs);
    return 'duplicate';
  }
  try {
    await deps.store.takeRetry(retry, iso(deps.clock.now()));
  } catch (err) {
    if (err instanceof NotInStatus) {
      deps.log.info('duplicate delivery ignored', attrs);
      return 'duplicate';
    }
    throw err;
  }
  deps.log.info('retry running', attrs);
  const result = await run(deps, found.execution, retry.retryCount, sentTimestamp);
  await deps.store.finishRetry(retry, 'running', result, iso(deps.clock.now()));
  deps.log.info(`retry ${result.status}`, attrs);
  return 'ran';
}

/** Runs the job of `execution`; every way it can go wrong ends in a RunResult. */
async function run(deps: Deps, execution: Execution, retryCount: number, sentTimestamp: number): Promise<RunResult> {
  const [definition, app] = await Promise.all([
    deps.catalog.getJob(execution.application, execution.job),
    deps.catalog.getApp(execution.application),
  ]);
  if (!definition) {
    return {
      status: 'error',
      stdout: '',
      stderr: `[grill] no job "${execution.job}" is defined for application "${execution.application}"`,
    };
  }
  const invocation: JobInvocation = {
    application: execution.application,
    job: execution.job,
    message: execution.message,
    messageId: execution.messageId,
    queueName: execution.queue,
    retryCount,
    sentTimestamp,
    revision: app?.revision ?? null,
  };
  try {
    return await deps.executor.run(definition, invocation);
  } catch (err) {
    deps.log.error('executor failed', { ...logAttrs(execution), error: String(err) });
    return { status: 'error', stdout: '', stderr: '[grill] the job could not be run' };
  }
}

function duplicate(deps: Deps, execution: Execution): DeliveryOutcome {
  deps.log.info('duplicate delivery ignored', { ...logAttrs(execution), status: execution.status });
  return 'duplicate';
}

const logAttrs = (e: Execution) => ({ message_id: e.messageId, application: e.application, job: e.job });
