import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES } from '../../lambdas/domain/enqueue.ts';
import { jobExecutionBody } from '../../lambdas/domain/messages.ts';
import type { LocalStack } from '../../lambdas/local/stack.ts';
import { api, bootLocal } from '../fixtures/local.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let stack: LocalStack;
let client: ReturnType<typeof api>;
beforeAll(async () => {
  stack = await bootLocal();
  client = api(stack.url);
});
afterAll(() => stack?.stop());

const enqueueJob = async (job: string, message: unknown = {}, extra: Record<string, unknown> = {}) => {
  const res = await client.enqueue({ application: 'test', job, queue: 'default', message, ...extra });
  expect(res.status).toBe(201);
  return res.body.message_id as string;
};

describe('a job enqueued over HTTP', () => {
  it('answers 201 pending with a UUID, then runs to success with a positive id', async () => {
    const res = await client.enqueue({ application: 'test', job: 'EchoEnv', queue: 'default', message: { a: 1 } });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual({ message_id: expect.stringMatching(UUID), status: 'pending', id: null });
    const done = await client.waitFor(res.body.message_id as string, ['success', 'failed', 'error']);
    expect(done.status).toBe('success');
    expect(done.id).toBeGreaterThan(0);
    expect(Object.keys(done)).toEqual(['message_id', 'status', 'id']);
  });

  it("gives the job Barbeque's environment and no more of Grill's", async () => {
    const id = await enqueueJob('EchoEnv', { recipe_id: 7 });
    const done = await client.waitFor(id, ['success'], '__default__,stdout,queue');
    const env = JSON.parse(done.stdout as string);
    expect(env).toMatchObject({
      BARBEQUE_JOB: 'EchoEnv',
      BARBEQUE_MESSAGE: '{"recipe_id":7}',
      BARBEQUE_MESSAGE_ID: id,
      BARBEQUE_QUEUE_NAME: 'default',
      BARBEQUE_RETRY_COUNT: '0',
      SECRET_FOR_TEST: 'from-job-env',
    });
    expect(Number(env.BARBEQUE_SENT_TIMESTAMP)).toBeGreaterThan(Date.now() - 60_000);
    expect(env.GRILL_TABLE_NAME).toBeUndefined();
  });

  it('returns the message exactly as sent, large integers and all', async () => {
    const raw =
      '{"application":"test","job":"EchoEnv","queue":"default","message":{"big": 12345678901234567890123, "f": 1.50, "s":"a b\\"}", "n":[1, {"x":null}]}}';
    const res = await client.enqueue(raw);
    const id = res.body.message_id as string;
    const shown = await client.call('GET', `/v1/job_executions/${id}?fields=__default__,message`);
    expect(shown.text).toContain('"message":{"big":12345678901234567890123,"f":1.50,"s":"a b\\"}","n":[1,{"x":null}]}');
    const done = await client.waitFor(id, ['success'], 'stdout');
    expect(JSON.parse(done.stdout as string).BARBEQUE_MESSAGE).toBe(
      '{"big":12345678901234567890123,"f":1.50,"s":"a b\\"}","n":[1,{"x":null}]}',
    );
  });

  it.each([['a string'], [42], [[1, 2]], [false], [{}]])('accepts %j as a message', async (message) => {
    const id = await enqueueJob('EchoEnv', message);
    const shown = await client.show(id, 'message');
    expect(shown.body).toEqual({ message });
  });

  it('runs a job with the largest message a job can receive', async () => {
    const message = 'x'.repeat(MAX_MESSAGE_BYTES - 2); // the JSON string's two quotes make up the rest
    const id = await enqueueJob('Exit', { code: 0, pad: message.slice(20) });
    expect((await client.waitFor(id, ['success', 'failed', 'error'])).status).toBe('success');
  });

  it('builds html_url from the console URL once the execution has an id', async () => {
    const id = await enqueueJob('EchoEnv');
    await client.waitFor(id, ['success']);
    const res = await client.show(id, '__default__,html_url');
    expect(res.body.html_url).toBe(`${stack.url}/job_executions/${id}`);
    expect(Object.keys(res.body)).toEqual(['message_id', 'status', 'id', 'html_url']);
  });

  it("shows Grill's extra fields", async () => {
    const id = await enqueueJob('EchoEnv');
    const done = await client.waitFor(
      id,
      ['success'],
      'application,job,queue,created_at,started_at,finished_at,retries,stderr',
    );
    expect(done).toMatchObject({ application: 'test', job: 'EchoEnv', queue: 'default', retries: [], stderr: '' });
    for (const t of ['created_at', 'started_at', 'finished_at']) {
      expect(done[t]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
  });

  it('ends failed with stderr readable when the job exits non-zero', async () => {
    const id = await enqueueJob('Exit', { code: 3 });
    const done = await client.waitFor(id, ['success', 'failed', 'error'], '__default__,stderr');
    expect(done.status).toBe('failed');
    expect(done.stderr).toContain('exiting with 3');
  });

  it('ends error when the command cannot be started', async () => {
    const id = await enqueueJob('Missing');
    const done = await client.waitFor(id, ['success', 'failed', 'error'], '__default__,stderr');
    expect(done.status).toBe('error');
    expect(done.stderr).toContain('could not start the command');
  });

  it('ends error when no job definition exists for the pair', async () => {
    const id = await enqueueJob('NoSuchJob');
    const done = await client.waitFor(id, ['success', 'failed', 'error'], '__default__,stderr');
    expect(done.status).toBe('error');
    expect(done.stderr).toContain('no job "NoSuchJob"');
  });

  it('kills a job that outlives its timeout and ends it failed', async () => {
    const id = await enqueueJob('Sleep', { file: '/dev/null', sleep_ms: 10_000 });
    const done = await client.waitFor(id, ['success', 'failed', 'error'], '__default__,stderr');
    expect(done.status).toBe('failed');
    expect(done.stderr).toContain('timeout');
  });

  it('waits delay_seconds before running the job', async () => {
    const id = await enqueueJob('EchoEnv', {}, { delay_seconds: 2 });
    await new Promise((r) => setTimeout(r, 1000));
    expect((await client.show(id)).body.status).toBe('pending');
    expect((await client.waitFor(id, ['success'])).status).toBe('success');
  });
});

describe('a retry', () => {
  it('makes the execution retried, then gives it the status of the retry', async () => {
    const id = await enqueueJob('Flaky');
    expect((await client.waitFor(id, ['failed', 'success', 'error'])).status).toBe('failed');

    const res = await client.retry(id);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ message_id: expect.stringMatching(UUID), status: 'pending' });
    const done = await client.waitFor(id, ['success', 'failed', 'error'], '__default__,retries,stdout');
    expect(done.status).toBe('success');
    expect(done.stdout).toContain('retry 1 succeeded');
    expect(done.retries).toEqual([
      {
        message_id: res.body.message_id,
        status: 'success',
        created_at: expect.any(String),
        finished_at: expect.any(String),
      },
    ]);
  });

  it('counts BARBEQUE_RETRY_COUNT up with each retry', async () => {
    const id = await enqueueJob('EchoEnv');
    await client.waitFor(id, ['success']);
    for (const n of [1, 2]) {
      expect((await client.retry(id, { delay_seconds: 0 })).status).toBe(201);
      const done = await client.waitFor(id, ['success'], 'stdout,retries');
      expect(JSON.parse(done.stdout as string).BARBEQUE_RETRY_COUNT).toBe(String(n));
      expect(JSON.parse(done.stdout as string).BARBEQUE_MESSAGE_ID).toBe(id);
      expect(done.retries).toHaveLength(n);
    }
  });

  it('is refused with 409 while the execution is pending or its retry is in flight', async () => {
    const id = await enqueueJob('EchoEnv', {}, { delay_seconds: 5 });
    const early = await client.retry(id);
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ status_code: 409, error_code: 'conflict' });

    const failed = await enqueueJob('Exit');
    await client.waitFor(failed, ['failed']);
    expect((await client.retry(failed, { delay_seconds: 3 })).status).toBe(201);
    expect((await client.show(failed)).body.status).toBe('retried');
    expect((await client.retry(failed)).status).toBe(409);
  });

  it('is 404 for an unknown execution', async () => {
    const res = await client.retry('6f1c1e7e-3b8a-4c8e-9d6f-0a1b2c3d4e5f');
    expect(res.status).toBe(404);
    expect(res.body.error_code).toBe('record_not_found');
  });
});

describe('at-least-once delivery', () => {
  it('runs the job once when SQS delivers the same message twice', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'grill-dup-')), 'runs.txt');
    const id = await enqueueJob('Append', { file, sleep_ms: 300 });
    // A second copy of the very message the API sent, as a redelivery would bring.
    const shown = await client.show(id, 'message');
    const { RawJson } = await import('../../lambdas/domain/raw-json.ts');
    const body = jobExecutionBody({
      application: 'test',
      job: 'Append',
      message: new RawJson(JSON.stringify(shown.body.message)),
      messageId: id,
    });
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrls.default, MessageBody: body }));
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrls.default, MessageBody: body }));
    await client.waitFor(id, ['success']);
    await new Promise((r) => setTimeout(r, 1500));
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});

describe('revision lock', () => {
  it('pins an app, shows BARBEQUE_REVISION to its jobs, and unpins it', async () => {
    const lock = await client.call('POST', '/v1/apps/test/revision_lock', { revision: 'v42' });
    expect(lock.status).toBe(201);
    expect(lock.body).toEqual({ revision: 'v42' });
    const id = await enqueueJob('EchoEnv');
    const done = await client.waitFor(id, ['success'], 'stdout');
    expect(JSON.parse(done.stdout as string).BARBEQUE_REVISION).toBe('v42');

    const unlock = await client.call('DELETE', '/v1/apps/test/revision_lock');
    expect(unlock.status).toBe(204);
    expect(unlock.text).toBe('');
    const id2 = await enqueueJob('EchoEnv');
    const done2 = await client.waitFor(id2, ['success'], 'stdout');
    expect(JSON.parse(done2.stdout as string).BARBEQUE_REVISION).toBeUndefined();
  });

  it('is 404 for an unknown app', async () => {
    expect((await client.call('POST', '/v1/apps/nope/revision_lock', { revision: 'x' })).status).toBe(404);
    expect((await client.call('DELETE', '/v1/apps/nope/revision_lock')).status).toBe(404);
  });
});
