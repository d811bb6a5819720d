import { type Deps, iso } from './deps.ts';
import { PoisonMessageError, UnavailableError } from './errors.ts';
import { type Execution, LOST_RUN, type RunResult } from './execution.ts';
import { parseQueueMessage } from './messages.ts';
import { type JobDefinition, type JobInvocation, NotInStatus } from './ports.ts';

/** One delivery of one queue message. */
export interface Delivery {
  readonly body: string;
  /** SQS's SentTimestamp, epoch milliseconds. */
  readonly sentTimestamp: number;
}

/** `ran`: this delivery ran the job. `duplicate`: the work was taken already. `lost`: it ended a lost run. */
export type DeliveryOutcome = 'ran' | 'duplicate' | 'lost';

/** The longest a job may run (the consumer's own timeout), for a run whose definition is gone. */
const MAX_TIMEOUT_SECONDS = 900;
/**
 * A run still `running` this long past its job's timeout has lost its worker:
 * the worker would have killed the job and recorded the result by then.
 */
export const LOST_AFTER_TIMEOUT_SECONDS = 30;
/** Attempts to record a result before the delivery is given back to the queue. */
const SAVE_ATTEMPTS = 4;

/**
 * Handles one delivery: takes the execution (or retry) with a conditional
 * write, runs its job and records the result. A delivery that finds the work
 * taken already is a duplicate and a successful no-op: SQS delivers at least
 * once, and this is what keeps a job from running twice. A delivery that finds
 * a run far past its deadline (its worker died, or could not record the
 * result) ends it `error`, so no execution stays `running` for good.
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
  const { execution } = found;
  const attrs = logAttrs(execution);
  if (execution.status === 'running') {
    return endIfLost(deps, execution, execution.startedAt, attrs, (result, at) =>
      deps.store.finish(messageId, 'running', result, at),
    );
  }
  if (execution.status !== 'pending') return duplicate(deps, attrs, execution.status);
  // Everything the run needs is read before the take: a read that fails leaves the execution
  // pending for the redelivery, where a failure after the take would leave it running.
  const target = await resolveTarget(deps, execution);
  const id = await deps.idAllocator.next();
  let taken: Execution;
  try {
    taken = await deps.store.take(messageId, id, iso(deps.clock.now()));
  } catch (err) {
    if (err instanceof NotInStatus) return duplicate(deps, attrs, err.current?.status);
    throw err;
  }
  deps.log.info('execution running', { ...attrs, id });
  const result = await run(deps, taken, target, 0, sentTimestamp);
  await save(() => deps.store.finish(messageId, 'running', result, iso(deps.clock.now())));
  deps.log.info(`execution ${result.status}`, { ...attrs, id });
  return 'ran';
}

async function runRetry(
  deps: Deps,
  parentId: string,
  retryId: string,
  sentTimestamp: number,
): Promise<DeliveryOutcome> {
  const found = await deps.store.get(parentId);
  const retry = found?.retries.find((r) => r.messageId === retryId);
  if (!found || !retry) throw new PoisonMessageError(`no retry ${retryId} of execution ${parentId}`);
  const attrs = { ...logAttrs(found.execution), retry_message_id: retryId };
  if (retry.status === 'running') {
    return endIfLost(deps, found.execution, retry.startedAt, attrs, (result, at) =>
      deps.store.finishRetry(retry, 'running', result, at),
    );
  }
  if (retry.status !== 'pending') return duplicate(deps, attrs, retry.status);
  const target = await resolveTarget(deps, found.execution);
  try {
    await deps.store.takeRetry(retry, iso(deps.clock.now()));
  } catch (err) {
    if (err instanceof NotInStatus) return duplicate(deps, attrs, err.current?.status);
    throw err;
  }
  deps.log.info('retry running', attrs);
  const result = await run(deps, found.execution, target, retry.retryCount, sentTimestamp);
  await save(() => deps.store.finishRetry(retry, 'running', result, iso(deps.clock.now())));
  deps.log.info(`retry ${result.status}`, attrs);
  return 'ran';
}

/** What a run needs besides the execution: its job definition (if any) and the app's pinned revision. */
interface Target {
  readonly definition: JobDefinition | undefined;
  readonly revision: string | null;
}

async function resolveTarget(deps: Deps, execution: Execution): Promise<Target> {
  const [definition, app] = await Promise.all([
    deps.catalog.getJob(execution.application, execution.job),
    deps.catalog.getApp(execution.application),
  ]);
  return { definition, revision: app?.revision ?? null };
}

/** Runs the job of `execution`; every way it can go wrong ends in a RunResult. */
async function run(
  deps: Deps,
  execution: Execution,
  { definition, revision }: Target,
  retryCount: number,
  sentTimestamp: number,
): Promise<RunResult> {
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
    revision,
  };
  try {
    return await deps.executor.run(definition, invocation);
  } catch (err) {
    deps.log.error('executor failed', { ...logAttrs(execution), error: String(err) });
    return { status: 'error', stdout: '', stderr: '[grill] the job could not be run' };
  }
}

/**
 * A delivery found the run `running`. Usually another worker holds it (a
 * duplicate); but past the job's timeout and a grace period, no worker does:
 * the run is ended `error` instead of staying `running` for good.
 */
async function endIfLost(
  deps: Deps,
  execution: Execution,
  startedAt: string | null,
  attrs: Record<string, unknown>,
  end: (result: RunResult, finishedAt: string) => Promise<void>,
): Promise<DeliveryOutcome> {
  const definition = await deps.catalog.getJob(execution.application, execution.job);
  const limitSeconds = (definition?.timeoutSeconds ?? MAX_TIMEOUT_SECONDS) + LOST_AFTER_TIMEOUT_SECONDS;
  const now = deps.clock.now();
  if (startedAt !== null && now.getTime() < Date.parse(startedAt) + limitSeconds * 1000) {
    return duplicate(deps, attrs, 'running');
  }
  try {
    await end(LOST_RUN, iso(now));
  } catch (err) {
    if (err instanceof NotInStatus) return duplicate(deps, attrs, err.current?.status);
    throw err;
  }
  deps.log.warn('lost run ended error', attrs);
  return 'lost';
}

/**
 * Records a result, trying again over a few seconds when the store is
 * briefly unavailable: the job has run, and giving the message back to the
 * queue would leave the execution `running` until its deadline passes.
 */
async function save(write: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (!(err instanceof UnavailableError) || attempt >= SAVE_ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, 100 * 4 ** (attempt - 1)));
    }
  }
}

function duplicate(deps: Deps, attrs: Record<string, unknown>, status: string | undefined): DeliveryOutcome {
  deps.log.info('duplicate delivery ignored', { ...attrs, status });
  return 'duplicate';
}

const logAttrs = (e: Execution) => ({ message_id: e.messageId, application: e.application, job: e.job });
