import { type Deps, iso } from './deps.ts';
import { ConflictError, GrillError, InvalidParameterError, NotFoundError, UnavailableError } from './errors.ts';
import type { Execution } from './execution.ts';
import { jobExecutionBody } from './messages.ts';
import { IdempotencyKeyTaken } from './ports.ts';
import type { RawJson } from './raw-json.ts';

export interface EnqueueRequest {
  readonly application: string;
  readonly job: string;
  readonly queue: string;
  readonly message: RawJson;
  readonly delaySeconds: number;
  /** From the Idempotency-Key header: the key and a digest of the body. */
  readonly idempotency?: { readonly key: string; readonly fingerprint: string };
}

export interface Enqueued {
  readonly message_id: string;
  readonly status: 'pending';
  readonly id: null;
}

const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/**
 * The longest message, as compact JSON text, in bytes. A job receives it in the
 * BARBEQUE_MESSAGE environment variable, and Linux refuses to start a process
 * with one environment string over 128 KiB (name, '=' and the final NUL included).
 */
export const MAX_MESSAGE_BYTES = 128 * 1024 - 'BARBEQUE_MESSAGE='.length - 1;

/**
 * Records a `pending` execution, then sends its message. The row is written
 * first so that a 201 always names a visible execution; if the send then fails,
 * the execution is marked `error` and the caller gets 503 (nothing is left
 * pending that no message will ever start).
 */
export async function enqueue(deps: Deps, req: EnqueueRequest): Promise<Enqueued> {
  if (new TextEncoder().encode(req.message.text).length > MAX_MESSAGE_BYTES) {
    throw new GrillError(
      'payload_too_large',
      `message must be at most ${MAX_MESSAGE_BYTES} bytes of JSON: jobs receive it in an environment variable`,
    );
  }
  if (!deps.queue.has(req.queue)) throw new NotFoundError(`queue "${req.queue}" does not exist`);
  if (deps.settings.verifyEnqueuedJobs && !(await deps.catalog.getJob(req.application, req.job))) {
    throw new InvalidParameterError(`no job "${req.job}" is defined for application "${req.application}"`);
  }
  const now = deps.clock.now();
  const execution: Execution = {
    messageId: deps.ids.uuid(),
    application: req.application,
    job: req.job,
    queue: req.queue,
    message: req.message,
    status: 'pending',
    id: null,
    createdAt: iso(now),
    dueAt: iso(new Date(now.getTime() + req.delaySeconds * 1000)),
    startedAt: null,
    finishedAt: null,
    stdout: null,
    stderr: null,
    retryCount: 0,
  };
  const claim = req.idempotency && {
    ...req.idempotency,
    messageId: execution.messageId,
    expiresAt: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
  };
  try {
    await deps.store.create(execution, claim);
  } catch (err) {
    if (!(err instanceof IdempotencyKeyTaken)) throw err;
    if (err.claim.fingerprint !== claim?.fingerprint) {
      throw new ConflictError('this Idempotency-Key was used with a different request body');
    }
    // The first request wrote its claim before its execution: until the
    // execution exists, that request is still in flight (or died half-way).
    if (!(await deps.store.get(err.claim.messageId))) {
      throw new ConflictError('a request with this Idempotency-Key is still in progress');
    }
    deps.log.info('enqueue replayed for idempotency key', { message_id: err.claim.messageId });
    return { message_id: err.claim.messageId, status: 'pending', id: null };
  }
  const attrs = { message_id: execution.messageId, application: req.application, job: req.job, queue: req.queue };
  try {
    await deps.queue.send(req.queue, jobExecutionBody(execution), req.delaySeconds);
  } catch (cause) {
    deps.log.error('could not send the job message; marking the execution error', { ...attrs, error: String(cause) });
    await deps.store
      .finish(
        execution.messageId,
        'pending',
        { status: 'error', stdout: '', stderr: '[grill] the job could not be queued' },
        iso(deps.clock.now()),
      )
      .catch((e: unknown) => deps.log.error('could not mark the execution error', { ...attrs, error: String(e) }));
    // A 503 is not a response to replay: the client may try again with the same key.
    if (claim) await deps.store.releaseIdempotencyKey(claim.key).catch(() => undefined);
    throw new UnavailableError('the job could not be queued; try again', { cause });
  }
  deps.log.info('execution pending', attrs);
  return { message_id: execution.messageId, status: 'pending', id: null };
}
