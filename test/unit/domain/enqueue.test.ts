import { describe, expect, it } from 'vitest';
import { enqueue, MAX_MESSAGE_BYTES } from '../../../lambdas/domain/enqueue.ts';
import { ConflictError, InvalidParameterError, NotFoundError } from '../../../lambdas/domain/errors.ts';
import { RawJson } from '../../../lambdas/domain/raw-json.ts';
import { memoryDeps } from '../../fixtures/deps.ts';

const request = (patch: Record<string, unknown> = {}) => ({
  application: 'blog',
  job: 'NotifyAuthor',
  queue: 'default',
  message: new RawJson('{"recipe_id":1}'),
  delaySeconds: 0,
  ...patch,
});

describe('enqueue', () => {
  it('writes a pending execution, due after its delay, then sends its message with that delay', async () => {
    const { deps, store, queue } = await memoryDeps();
    const res = await enqueue(deps, request({ delaySeconds: 30 }));
    expect(res).toEqual({ message_id: expect.any(String), status: 'pending', id: null });
    const execution = (await store.get(res.message_id))?.execution;
    expect(execution).toMatchObject({
      status: 'pending',
      createdAt: '2026-12-03T10:00:00.000Z',
      dueAt: '2026-12-03T10:00:30.000Z',
    });
    expect(queue.sent).toEqual([{ queue: 'default', body: expect.stringContaining(res.message_id), delaySeconds: 30 }]);
  });

  it('refuses a message too large to hand to a job, and accepts one at the limit', async () => {
    const { deps, queue } = await memoryDeps();
    const sized = (bytes: number) => new RawJson(JSON.stringify('x'.repeat(bytes - 2)));
    await expect(enqueue(deps, request({ message: sized(MAX_MESSAGE_BYTES + 1) }))).rejects.toMatchObject({
      code: 'payload_too_large',
    });
    expect(queue.sent).toHaveLength(0);
    await expect(enqueue(deps, request({ message: sized(MAX_MESSAGE_BYTES) }))).resolves.toMatchObject({
      status: 'pending',
    });
  });

  it('refuses an unknown queue with not found and writes nothing', async () => {
    const { deps, queue } = await memoryDeps();
    await expect(enqueue(deps, request({ queue: 'nope' }))).rejects.toThrow(NotFoundError);
    expect(queue.sent).toHaveLength(0);
  });

  it('with job verification on, refuses an unknown application/job pair', async () => {
    const { deps } = await memoryDeps();
    const strict = { ...deps, settings: { ...deps.settings, verifyEnqueuedJobs: true } };
    await expect(enqueue(strict, request({ job: 'Unknown' }))).rejects.toThrow(InvalidParameterError);
    await expect(enqueue(strict, request())).resolves.toMatchObject({ status: 'pending' });
  });

  it('with job verification off, accepts an unknown pair (it ends error when run)', async () => {
    const { deps } = await memoryDeps();
    await expect(enqueue(deps, request({ job: 'Unknown' }))).resolves.toMatchObject({ status: 'pending' });
  });

  describe('with an Idempotency-Key', () => {
    const key = { key: 'k-1', fingerprint: 'body-digest' };

    it('answers the first response again for the same body and enqueues nothing new', async () => {
      const { deps, queue } = await memoryDeps();
      const first = await enqueue(deps, request({ idempotency: key }));
      const again = await enqueue(deps, request({ idempotency: key }));
      expect(again).toEqual(first);
      expect(queue.sent).toHaveLength(1);
    });

    it('is a conflict for another body', async () => {
      const { deps } = await memoryDeps();
      await enqueue(deps, request({ idempotency: key }));
      await expect(enqueue(deps, request({ idempotency: { ...key, fingerprint: 'other' } }))).rejects.toThrow(
        ConflictError,
      );
    });

    it('is a conflict while the first request has claimed the key but not yet written its execution', async () => {
      const { deps, store } = await memoryDeps();
      // The first request's claim, as it stands between its two writes.
      const claim = { ...key, messageId: '44b34792-99c2-4165-b0a7-97ba8cb67701', expiresAt: 9_999_999_999 };
      await store.create(
        {
          messageId: 'b0000000-0000-4000-8000-000000000000',
          application: 'x',
          job: 'y',
          queue: 'default',
          message: new RawJson('1'),
          status: 'pending',
          id: null,
          createdAt: '',
          dueAt: '',
          startedAt: null,
          finishedAt: null,
          stdout: null,
          stderr: null,
          retryCount: 0,
        },
        claim,
      );
      await expect(enqueue(deps, request({ idempotency: key }))).rejects.toThrow(/still in progress/);
    });
  });
});
