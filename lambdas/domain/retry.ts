import { type Deps, iso } from './deps.ts';
import { ConflictError, NotFoundError, UnavailableError } from './errors.ts';
import { isFinal, type Retry } from './execution.ts';
import { jobRetryBody } from './messages.ts';
import { isMessageId } from './names.ts';
import { NotInStatus } from './ports.ts';

export interface RetryCreated {
  readonly message_id: string;
  readonly status: 'pending';
}

/**
 * Retries a finished execution: the execution becomes `retried` and a new
 * `pending` retry is queued. Only one retry may be in flight at a time.
 */
export async function retryExecution(deps: Deps, messageId: string, delaySeconds: number): Promise<RetryCreated> {
  const found = isMessageId(messageId) ? await deps.store.get(messageId) : undefined;
  if (!found) throw new NotFoundError(`no job execution has message_id "${messageId}"`);
  const parent = found.execution;
  if (!isFinal(parent.status)) {
    throw new ConflictError(`the execution is ${parent.status}; only a finished execution can be retried`);
  }
  if (!deps.queue.has(parent.queue)) throw new NotFoundError(`queue "${parent.queue}" no longer exists`);
  const now = deps.clock.now();
  const retry: Retry = {
    messageId: deps.ids.uuid(),
    parentId: parent.messageId,
    status: 'pending',
    retryCount: parent.retryCount + 1,
    createdAt: iso(now),
    dueAt: iso(new Date(now.getTime() + delaySeconds * 1000)),
    startedAt: null,
    finishedAt: null,
  };
  try {
    await deps.store.createRetry(parent, retry);
  } catch (err) {
    if (err instanceof NotInStatus) throw new ConflictError('the execution changed meanwhile (another retry?)');
    throw err;
  }
  const attrs = {
    message_id: parent.messageId,
    retry_message_id: retry.messageId,
    application: parent.application,
    job: parent.job,
  };
  try {
    await deps.queue.send(parent.queue, jobRetryBody(parent.messageId, retry.messageId), delaySeconds);
  } catch (cause) {
    deps.log.error('could not send the retry message; marking the retry error', { ...attrs, error: String(cause) });
    await deps.store
      .finishRetry(
        retry,
        'pending',
        { status: 'error', stdout: '', stderr: '[grill] the retry could not be queued' },
        iso(deps.clock.now()),
      )
      .catch((e: unknown) => deps.log.error('could not mark the retry error', { ...attrs, error: String(e) }));
    throw new UnavailableError('the retry could not be queued; try again', { cause });
  }
  deps.log.info('retry pending', attrs);
  return { message_id: retry.messageId, status: 'pending' };
}
