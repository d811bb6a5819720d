import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoExecutionStore } from '../../lambdas/adapters/dynamodb/execution-store.ts';
import { MemoryExecutionStore } from '../../lambdas/adapters/memory/execution-store.ts';
import type { Execution, Retry, RunResult } from '../../lambdas/domain/execution.ts';
import { type ExecutionStore, IdempotencyKeyTaken, NotInStatus } from '../../lambdas/domain/ports.ts';
import { RawJson } from '../../lambdas/domain/raw-json.ts';
import { dynamoOnEmulator } from '../fixtures/dynamo.ts';

const T = '2026-12-03T10:00:00.000Z';
const newExecution = (): Execution => ({
  messageId: randomUUID(),
  application: 'blog',
  job: 'NotifyAuthor',
  queue: 'default',
  message: new RawJson('{"big":12345678901234567890123}'),
  status: 'pending',
  id: null,
  createdAt: T,
  dueAt: T,
  startedAt: null,
  finishedAt: null,
  stdout: null,
  stderr: null,
  retryCount: 0,
});
const newRetry = (parent: Execution, n = parent.retryCount + 1): Retry => ({
  messageId: randomUUID(),
  parentId: parent.messageId,
  status: 'pending',
  retryCount: n,
  createdAt: T,
  dueAt: T,
  startedAt: null,
  finishedAt: null,
});
const ok = { status: 'success' as const, stdout: 'out', stderr: 'err' };
const failed = { status: 'failed' as const, stdout: '', stderr: 'boom' };

let stopDynamo: () => Promise<void> = async () => undefined;
const adapters: [string, () => ExecutionStore][] = [];
beforeAll(async () => {
  const { emulator, doc, tableName } = await dynamoOnEmulator();
  stopDynamo = emulator.stop;
  const dynamo = new DynamoExecutionStore(doc, tableName);
  adapters.splice(0, adapters.length, ['memory', () => new MemoryExecutionStore()], ['dynamodb', () => dynamo]);
});
afterAll(() => stopDynamo());

describe.each(['memory', 'dynamodb'])('ExecutionStore contract: %s', (name) => {
  const store = () => (adapters.find(([n]) => n === name) as [string, () => ExecutionStore])[1]();

  async function finished(s: ExecutionStore, result: RunResult = failed) {
    const e = newExecution();
    await s.create(e);
    await s.take(e.messageId, 1, T);
    await s.finish(e.messageId, 'running', result, T);
    return (await s.get(e.messageId))?.execution as Execution;
  }

  it('creates a pending execution and reads it back with its message text intact', async () => {
    const s = store();
    const e = newExecution();
    await s.create(e);
    expect(await s.get(e.messageId)).toEqual({ execution: e, retries: [] });
  });

  it('reads an unknown execution as undefined', async () => {
    expect(await store().get(randomUUID())).toBeUndefined();
  });

  it('takes a pending execution once, giving it its id; a second take fails with the current status', async () => {
    const s = store();
    const e = newExecution();
    await s.create(e);
    expect(await s.take(e.messageId, 7, T)).toMatchObject({ status: 'running', id: 7, startedAt: T });
    const second = await s.take(e.messageId, 8, T).catch((err: unknown) => err);
    expect(second).toBeInstanceOf(NotInStatus);
    expect((second as NotInStatus).current?.status).toBe('running');
    expect((await s.get(e.messageId))?.execution.id).toBe(7);
  });

  it('fails to take an execution that does not exist', async () => {
    await expect(store().take(randomUUID(), 1, T)).rejects.toBeInstanceOf(NotInStatus);
  });

  it('finishes only from the expected status', async () => {
    const s = store();
    const e = newExecution();
    await s.create(e);
    await expect(s.finish(e.messageId, 'running', ok, T)).rejects.toBeInstanceOf(NotInStatus);
    await s.finish(e.messageId, 'pending', failed, T);
    expect((await s.get(e.messageId))?.execution).toMatchObject({ status: 'failed', stderr: 'boom', finishedAt: T });
  });

  it('creates a retry: the parent becomes retried and lists it', async () => {
    const s = store();
    const parent = await finished(s);
    const r = newRetry(parent);
    await s.createRetry(parent, r);
    const got = await s.get(parent.messageId);
    expect(got?.execution).toMatchObject({ status: 'retried', retryCount: 1 });
    expect(got?.retries).toEqual([r]);
  });

  it('refuses a retry of an execution that changed since it was read', async () => {
    const s = store();
    const parent = await finished(s);
    await s.createRetry(parent, newRetry(parent));
    await expect(s.createRetry(parent, newRetry(parent))).rejects.toBeInstanceOf(NotInStatus);
  });

  it('takes a retry once and finishes it onto its parent', async () => {
    const s = store();
    const parent = await finished(s);
    const r = newRetry(parent);
    await s.createRetry(parent, r);
    await s.takeRetry(r, T);
    await expect(s.takeRetry(r, T)).rejects.toBeInstanceOf(NotInStatus);
    await s.finishRetry(r, 'running', ok, T);
    const got = await s.get(parent.messageId);
    expect(got?.execution).toMatchObject({ status: 'success', stdout: 'out', stderr: 'err' });
    expect(got?.retries[0]).toMatchObject({ status: 'success', startedAt: T, finishedAt: T });
  });

  it('keeps each retry in order, with its own status', async () => {
    const s = store();
    let parent = await finished(s);
    const ids: string[] = [];
    for (const result of [failed, ok]) {
      const r = newRetry(parent);
      ids.push(r.messageId);
      await s.createRetry(parent, r);
      await s.takeRetry(r, T);
      await s.finishRetry(r, 'running', result, T);
      parent = (await s.get(parent.messageId))?.execution as Execution;
    }
    const got = await s.get(parent.messageId);
    expect(got?.retries.map((r) => [r.messageId, r.status, r.retryCount])).toEqual([
      [ids[0], 'failed', 1],
      [ids[1], 'success', 2],
    ]);
  });

  it('lists pending and running work, including a pending retry, and nothing finished', async () => {
    const s = store();
    const pending = newExecution();
    await s.create(pending);
    const done = await finished(s, ok);
    const parent = await finished(s);
    const r = newRetry(parent);
    await s.createRetry(parent, r);
    const ids: string[] = [];
    for await (const item of s.listUnfinished()) ids.push(item.messageId);
    expect(ids).toContain(pending.messageId);
    expect(ids).toContain(r.messageId);
    expect(ids).not.toContain(done.messageId);
    expect(ids).not.toContain(parent.messageId);
  });

  it('claims an Idempotency-Key once, and frees it on release', async () => {
    const s = store();
    const key = randomUUID();
    const first = newExecution();
    await s.create(first, { key, fingerprint: 'f1', messageId: first.messageId, expiresAt: 9_999_999_999 });
    const second = newExecution();
    const err = await s
      .create(second, { key, fingerprint: 'f2', messageId: second.messageId, expiresAt: 9_999_999_999 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdempotencyKeyTaken);
    expect((err as IdempotencyKeyTaken).claim).toMatchObject({ fingerprint: 'f1', messageId: first.messageId });
    expect(await s.get(second.messageId)).toBeUndefined();

    await s.releaseIdempotencyKey(key);
    await s.create(second, { key, fingerprint: 'f2', messageId: second.messageId, expiresAt: 9_999_999_999 });
    expect(await s.get(second.messageId)).toBeDefined();
  });

  it('lets an expired Idempotency-Key be claimed again', async () => {
    const s = store();
    const key = randomUUID();
    const first = newExecution();
    await s.create(first, { key, fingerprint: 'f1', messageId: first.messageId, expiresAt: 1 });
    const second = newExecution();
    await s.create(second, { key, fingerprint: 'f2', messageId: second.messageId, expiresAt: 9_999_999_999 });
    expect(await s.get(second.messageId)).toBeDefined();
  });
});
