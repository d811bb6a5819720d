import { describe, expect, it } from 'vitest';
import { enqueue } from '../../../lambdas/domain/enqueue.ts';
import { PoisonMessageError } from '../../../lambdas/domain/errors.ts';
import { jobExecutionBody, jobRetryBody } from '../../../lambdas/domain/messages.ts';
import { RawJson } from '../../../lambdas/domain/raw-json.ts';
import { recoverAfterRestart } from '../../../lambdas/domain/recover.ts';
import { retryExecution } from '../../../lambdas/domain/retry.ts';
import { handleDelivery } from '../../../lambdas/domain/run-job.ts';
import { memoryDeps } from '../../fixtures/deps.ts';

const SENT = 1_764_756_000_000;

async function enqueued(job = 'NotifyAuthor') {
  const ctx = await memoryDeps();
  const { message_id } = await enqueue(ctx.deps, {
    application: 'blog',
    job,
    queue: 'default',
    message: new RawJson('{"recipe_id":1}'),
    delaySeconds: 0,
  });
  const body = ctx.queue.sent.at(-1)?.body as string;
  return { ...ctx, messageId: message_id, body };
}

describe('handleDelivery of a JobExecution', () => {
  it('takes the execution, runs its job once with the facts of the message, and records success', async () => {
    const { deps, store, executor, messageId, body } = await enqueued();
    expect(await handleDelivery(deps, { body, sentTimestamp: SENT })).toBe('ran');
    expect(executor.runs).toEqual([
      {
        application: 'blog',
        job: 'NotifyAuthor',
        message: new RawJson('{"recipe_id":1}'),
        messageId,
        queueName: 'default',
        retryCount: 0,
        sentTimestamp: SENT,
        revision: null,
      },
    ]);
    const { execution } = (await store.get(messageId)) ?? {};
    expect(execution).toMatchObject({ status: 'success', id: 1, stdout: 'ok', stderr: '' });
    expect(execution?.startedAt).not.toBeNull();
    expect(execution?.finishedAt).not.toBeNull();
  });

  it('treats a second delivery of the same message as a duplicate and does not run the job again', async () => {
    const { deps, executor, body } = await enqueued();
    await handleDelivery(deps, { body, sentTimestamp: SENT });
    expect(await handleDelivery(deps, { body, sentTimestamp: SENT })).toBe('duplicate');
    expect(executor.runs).toHaveLength(1);
  });

  it('runs a job once when two deliveries race', async () => {
    const { deps, executor, body } = await enqueued();
    const outcomes = await Promise.all([
      handleDelivery(deps, { body, sentTimestamp: SENT }),
      handleDelivery(deps, { body, sentTimestamp: SENT }),
    ]);
    expect(outcomes.sort()).toEqual(['duplicate', 'ran']);
    expect(executor.runs).toHaveLength(1);
  });

  it('records failed with the output when the job fails', async () => {
    const { deps, store, executor, messageId, body } = await enqueued();
    executor.result = { status: 'failed', stdout: '', stderr: 'boom' };
    await handleDelivery(deps, { body, sentTimestamp: SENT });
    expect((await store.get(messageId))?.execution).toMatchObject({ status: 'failed', stderr: 'boom' });
  });

  it('records error, without running anything, when no job definition exists', async () => {
    const { deps, store, executor, messageId, body } = await enqueued('Unknown');
    await handleDelivery(deps, { body, sentTimestamp: SENT });
    expect(executor.runs).toHaveLength(0);
    expect((await store.get(messageId))?.execution).toMatchObject({
      status: 'error',
      stderr: expect.stringContaining('Unknown'),
    });
  });

  it('records error when the executor itself throws, so the execution is never left running', async () => {
    const { deps, store, executor, messageId, body } = await enqueued();
    executor.result = new Error('bug in an executor');
    await handleDelivery(deps, { body, sentTimestamp: SENT });
    expect((await store.get(messageId))?.execution.status).toBe('error');
  });

  it('passes the pinned revision to the job', async () => {
    const { deps, catalog, executor, body } = await enqueued();
    await catalog.lockRevision('blog', 'abc123');
    await handleDelivery(deps, { body, sentTimestamp: SENT });
    expect(executor.runs[0]?.revision).toBe('abc123');
  });

  it('rejects a message for an execution that does not exist as poison', async () => {
    const { deps } = await memoryDeps();
    const body = jobExecutionBody({
      application: 'blog',
      job: 'NotifyAuthor',
      message: new RawJson('1'),
      messageId: '44b34792-99c2-4165-b0a7-97ba8cb67701',
    });
    await expect(handleDelivery(deps, { body, sentTimestamp: SENT })).rejects.toThrow(PoisonMessageError);
  });
});

describe('handleDelivery of a message whose run is still running', () => {
  it('is a duplicate while the run is within its timeout', async () => {
    const { deps, store, executor, messageId, body, advance } = await enqueued();
    await store.take(messageId, 1, deps.clock.now().toISOString());
    advance((5 + 30) * 1000 - 1); // just short of the job's 5 s timeout plus the grace
    expect(await handleDelivery(deps, { body, sentTimestamp: SENT })).toBe('duplicate');
    expect((await store.get(messageId))?.execution.status).toBe('running');
    expect(executor.runs).toHaveLength(0);
  });

  it('ends the run error once it is past its timeout and the grace: its worker is gone', async () => {
    const { deps, store, executor, messageId, body, advance } = await enqueued();
    await store.take(messageId, 1, deps.clock.now().toISOString());
    advance((5 + 30) * 1000 + 1);
    expect(await handleDelivery(deps, { body, sentTimestamp: SENT })).toBe('lost');
    expect((await store.get(messageId))?.execution).toMatchObject({
      status: 'error',
      stderr: expect.stringContaining('lost track'),
    });
    expect(executor.runs).toHaveLength(0);
  });

  it('ends a lost retry error, and its execution with it', async () => {
    const { deps, store, queue, messageId, body, advance } = await enqueued();
    await handleDelivery(deps, { body, sentTimestamp: SENT });
    const retry = await retryExecution(deps, messageId, 0);
    const retryBody = queue.sent.at(-1)?.body as string;
    const pending = (await store.get(messageId))?.retries.find((r) => r.messageId === retry.message_id);
    await store.takeRetry(pending as NonNullable<typeof pending>, deps.clock.now().toISOString());
    advance(36_000);
    expect(await handleDelivery(deps, { body: retryBody, sentTimestamp: SENT })).toBe('lost');
    const found = await store.get(messageId);
    expect(found?.execution.status).toBe('error');
    expect(found?.retries[0]?.status).toBe('error');
  });
});

describe('a retry', () => {
  async function failedExecution() {
    const ctx = await enqueued();
    ctx.executor.result = { status: 'failed', stdout: '', stderr: 'first' };
    await handleDelivery(ctx.deps, { body: ctx.body, sentTimestamp: SENT });
    return ctx;
  }

  it('makes the execution retried, runs with BARBEQUE_RETRY_COUNT 1, then takes the retry status and output', async () => {
    const { deps, store, queue, executor, messageId } = await failedExecution();
    const retry = await retryExecution(deps, messageId, 0);
    expect((await store.get(messageId))?.execution.status).toBe('retried');
    expect(queue.sent.at(-1)?.body).toBe(jobRetryBody(messageId, retry.message_id));

    executor.result = { status: 'success', stdout: 'second', stderr: '' };
    await handleDelivery(deps, { body: queue.sent.at(-1)?.body as string, sentTimestamp: SENT });
    expect(executor.runs.at(-1)).toMatchObject({ messageId, retryCount: 1 });
    const found = await store.get(messageId);
    expect(found?.execution).toMatchObject({ status: 'success', stdout: 'second' });
    expect(found?.retries).toMatchObject([{ messageId: retry.message_id, status: 'success' }]);
  });

  it('runs a retry once when its message is delivered twice', async () => {
    const { deps, queue, executor, messageId } = await failedExecution();
    await retryExecution(deps, messageId, 0);
    const body = queue.sent.at(-1)?.body as string;
    await handleDelivery(deps, { body, sentTimestamp: SENT });
    expect(await handleDelivery(deps, { body, sentTimestamp: SENT })).toBe('duplicate');
    expect(executor.runs).toHaveLength(2);
  });

  it('lets only one of two concurrent retries through', async () => {
    const { deps, messageId } = await failedExecution();
    const results = await Promise.allSettled([retryExecution(deps, messageId, 0), retryExecution(deps, messageId, 0)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });
});

describe('recoverAfterRestart', () => {
  it('sends pending work again with the delay it has left and ends interrupted runs as error', async () => {
    const { deps, store, queue, advance } = await memoryDeps();
    const pending = await enqueue(deps, {
      application: 'blog',
      job: 'NotifyAuthor',
      queue: 'default',
      message: new RawJson('{}'),
      delaySeconds: 300,
    });
    const running = await enqueue(deps, {
      application: 'blog',
      job: 'NotifyAuthor',
      queue: 'default',
      message: new RawJson('{}'),
      delaySeconds: 0,
    });
    await store.take(running.message_id, 9, new Date().toISOString());
    queue.sent.length = 0;
    advance(100_000);

    expect(await recoverAfterRestart(deps)).toEqual({ resent: 1, lost: 1 });
    expect(queue.sent).toEqual([
      { queue: 'default', body: expect.stringContaining(pending.message_id), delaySeconds: 200 },
    ]);
    expect((await store.get(running.message_id))?.execution).toMatchObject({
      status: 'error',
      stderr: expect.stringContaining('lost track'),
    });
  });
});
