import 'aws-sdk-client-mock-vitest/extend';
import { randomUUID } from 'node:crypto';
import { InternalServerError, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { RequestThrottled, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoExecutionStore } from '../../lambdas/adapters/dynamodb/execution-store.ts';
import { DynamoIdAllocator } from '../../lambdas/adapters/dynamodb/id-allocator.ts';
import { DynamoJobCatalog } from '../../lambdas/adapters/dynamodb/job-catalog.ts';
import { SqsJobQueue } from '../../lambdas/adapters/sqs/job-queue.ts';
import type { Deps, Log } from '../../lambdas/domain/deps.ts';
import { createHandler as consumerHandler } from '../../lambdas/handlers/consumer.ts';
import { createHandler as enqueueHandler } from '../../lambdas/handlers/enqueue.ts';
import { createHandler as retryHandler } from '../../lambdas/handlers/retry.ts';
import { createHandler as showHandler } from '../../lambdas/handlers/show.ts';
import { lambdaContext } from '../../lambdas/local/lambda-context.ts';
import { FakeExecutor, jobDef } from '../fixtures/deps.ts';
import { dynamoOnEmulator } from '../fixtures/dynamo.ts';
import { apiEvent, sqsEvent, sqsRecord } from '../fixtures/events.ts';

/*
 * What the emulators cannot do: throttle, drop a connection, fail one call of
 * several. DynamoDB is a real dynalite behind a mocked document client that
 * passes every call through unless a test scripts a failure for it; SQS is
 * fully mocked (the consumer is fed its events directly).
 */

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/grill-default-queue';
const JSON_TYPE = 'application/json; charset=utf-8';

interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  attributes: Record<string, unknown>;
}
const logLines: LogLine[] = [];
const log: Log = {
  info: (message, attributes = {}) => void logLines.push({ level: 'info', message, attributes }),
  warn: (message, attributes = {}) => void logLines.push({ level: 'warn', message, attributes }),
  error: (message, attributes = {}) => void logLines.push({ level: 'error', message, attributes }),
};

const sqs = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const sqsMock = mockClient(sqs);
let dynamo: Awaited<ReturnType<typeof dynamoOnEmulator>>;
let docMock: AwsClientStub<DynamoDBDocumentClient>;
let executor: FakeExecutor;
/** Every UUID the deps handed out, in order: a 503 names no message_id, but it was drawn. */
const drawn: string[] = [];

let enqueue: ReturnType<typeof enqueueHandler>;
let show: ReturnType<typeof showHandler>;
let retry: ReturnType<typeof retryHandler>;
let consume: ReturnType<typeof consumerHandler>;
/** Moves the deps' clock forward, as the time a redelivery takes. */
let clockOffsetMs = 0;

beforeAll(async () => {
  dynamo = await dynamoOnEmulator('grill-faults');
  docMock = mockClient(dynamo.doc);
  docMock.send.callThrough();
  executor = new FakeExecutor();
  const deps: Deps = {
    store: new DynamoExecutionStore(dynamo.doc, dynamo.tableName),
    queue: new SqsJobQueue(sqs, { default: QUEUE_URL }),
    catalog: new DynamoJobCatalog(dynamo.doc, dynamo.tableName),
    // Blocks of one id: every take reads the counter, so a fault can be injected there.
    idAllocator: new DynamoIdAllocator(dynamo.doc, dynamo.tableName, 1),
    executor,
    clock: { now: () => new Date(Date.now() + clockOffsetMs) },
    ids: {
      uuid: () => {
        const id = randomUUID();
        drawn.push(id);
        return id;
      },
    },
    log,
    settings: { consoleUrl: 'https://grill.example.com', verifyEnqueuedJobs: false },
  };
  await deps.catalog.putApp('test', [jobDef('test', 'EchoEnv')]);
  enqueue = enqueueHandler(deps);
  show = showHandler(deps);
  retry = retryHandler(deps);
  consume = consumerHandler(deps);
});
afterAll(async () => {
  docMock?.restore();
  sqsMock.restore();
  await dynamo?.emulator.stop();
});
beforeEach(() => {
  // reset() replaces the stub, so the pass-through must be set again.
  docMock.reset();
  docMock.send.callThrough();
  sqsMock.reset();
  sqsMock.on(SendMessageCommand).resolves({ MessageId: randomUUID() });
  executor.runs.length = 0;
  logLines.length = 0;
  clockOffsetMs = 0;
});

interface Answer {
  status: number;
  headers: Record<string, unknown>;
  body: Record<string, unknown>;
  text: string;
}

async function call(
  handler: (
    e: APIGatewayProxyEventV2,
    c: ReturnType<typeof lambdaContext>,
  ) => Promise<APIGatewayProxyStructuredResultV2>,
  event: APIGatewayProxyEventV2,
): Promise<Answer> {
  const res = await handler(event, lambdaContext(event.routeKey));
  const text = res.body ?? '';
  return { status: res.statusCode ?? 200, headers: res.headers ?? {}, text, body: text ? JSON.parse(text) : {} };
}

const enqueueEvent = (message: unknown = { n: 1 }, headers: Record<string, string> = {}) =>
  apiEvent('POST /v2/job_executions', {
    body: { application: 'test', job: 'EchoEnv', queue: 'default', message },
    headers,
  });
const showEvent = (messageId: string, fields = '__default__,stderr') =>
  apiEvent('GET /v1/job_executions/{message_id}', { pathParameters: { message_id: messageId }, query: { fields } });

/** Enqueues through the handler with SQS answering, and returns the id and the exact SQS body sent. */
async function enqueued(message: unknown = { n: 1 }): Promise<{ id: string; body: string }> {
  const res = await call(enqueue, enqueueEvent(message));
  expect(res.status).toBe(201);
  const id = res.body.message_id as string;
  const sent = sqsMock.commandCalls(SendMessageCommand).find((c) => c.args[0].input.MessageBody?.includes(id));
  return { id, body: sent?.args[0].input.MessageBody as string };
}

async function statusOf(messageId: string): Promise<Record<string, unknown>> {
  const res = await call(show, showEvent(messageId));
  expect(res.status).toBe(200);
  return res.body;
}

/** What the one error handler logged about the failed request (its error and their causes). */
function failureLogged(): string {
  const lines = logLines.filter((l) => l.level === 'error' && l.message === 'request failed');
  expect(lines).toHaveLength(1);
  return String(lines[0]?.attributes.error);
}

/** API.md's error shape for `status`, with nothing of `leaks` in the message. */
function expectError(res: Answer, status: number, code: string, leaks: readonly string[]) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe(JSON_TYPE);
  expect(res.body).toEqual({ status_code: status, error_code: code, message: expect.any(String) });
  const message = res.body.message as string;
  expect(message.trim()).not.toBe('');
  for (const leak of leaks) expect(message).not.toContain(leak);
  expect(message).not.toMatch(/\n\s*at |\.ts:\d+|Exception|arn:aws|amazonaws\.com/);
}

const throughputExceeded = () =>
  new ProvisionedThroughputExceededException({
    message: 'The level of configured provisioned throughput for table grill-faults was exceeded',
    $metadata: { httpStatusCode: 400, requestId: 'REQ-DDB-1' },
  });

/** A dropped connection as Node's HTTP handler reports it. */
const connectionReset = () =>
  Object.assign(new Error('read ECONNRESET 10.1.2.3:443 (sqs.us-east-1.amazonaws.com)'), {
    code: 'ECONNRESET',
    $metadata: {},
  });

describe('SQS failing while a job is enqueued', () => {
  it.each([
    [
      'throttled',
      () =>
        new RequestThrottled({
          message: `Request is throttled for ${QUEUE_URL}`,
          $metadata: { httpStatusCode: 400, requestId: 'REQ-SQS-1' },
        }),
      ['throttled for', QUEUE_URL, 'REQ-SQS-1', 'RequestThrottled'],
    ],
    ['a dropped connection', connectionReset, ['ECONNRESET', '10.1.2.3', 'sqs.us-east-1']],
    [
      'an unexpected error',
      () => new Error('KMS key arn:aws:kms:us-east-1:123456789012:key/abc is disabled'),
      ['KMS', 'arn:aws:kms', '123456789012'],
    ],
  ] as const)(
    'answers 503 with Retry-After when SendMessage is %s, and the execution ends error',
    async (_what, error, leaks) => {
      sqsMock.on(SendMessageCommand).rejects(error());

      const res = await call(enqueue, enqueueEvent());

      expectError(res, 503, 'service_unavailable', leaks);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(sqsMock).toHaveReceivedCommandTimes(SendMessageCommand, 1);
      const id = drawn.at(-1) as string;
      expect(sqsMock).toHaveReceivedCommandWith(SendMessageCommand, {
        QueueUrl: QUEUE_URL,
        MessageBody: expect.stringContaining(id),
      });
      // The row written before the send is not left pending with no message to start it.
      expect(await statusOf(id)).toEqual({
        message_id: id,
        status: 'error',
        id: null,
        stderr: '[grill] the job could not be queued',
      });
      // The client sees none of it, but operators do.
      expect(failureLogged()).toContain(leaks[0]);
    },
  );

  it('releases the Idempotency-Key, so the same request succeeds once SQS is back', async () => {
    const key = `order-${randomUUID()}`;
    sqsMock.on(SendMessageCommand).rejectsOnce(connectionReset());

    const first = await call(enqueue, enqueueEvent({ order: key }, { 'Idempotency-Key': key }));
    const failedId = drawn.at(-1) as string;
    const second = await call(enqueue, enqueueEvent({ order: key }, { 'Idempotency-Key': key }));

    expect(first.status).toBe(503);
    expect(second.status).toBe(201);
    expect(second.body.message_id).not.toBe(failedId);
    expect((await statusOf(failedId)).status).toBe('error');
    expect((await statusOf(second.body.message_id as string)).status).toBe('pending');
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageCommand, 2);
  });

  it('answers 503 to a retry whose message cannot be sent, and the retry ends error', async () => {
    const { id, body } = await enqueued();
    executor.result = { status: 'failed', stdout: '', stderr: 'boom' };
    try {
      expect(await consume(sqsEvent(body), lambdaContext('consumer'))).toEqual({ batchItemFailures: [] });
    } finally {
      executor.result = { status: 'success', stdout: 'ok', stderr: '' };
    }
    sqsMock.on(SendMessageCommand).rejects(connectionReset());

    const res = await call(
      retry,
      apiEvent('POST /v1/job_executions/{message_id}/retries', { pathParameters: { message_id: id } }),
    );

    expectError(res, 503, 'service_unavailable', ['ECONNRESET', '10.1.2.3']);
    expect(res.headers['retry-after']).toBeDefined();
    const after = await call(show, showEvent(id, '__default__,retries,stderr'));
    expect(after.body).toMatchObject({
      status: 'error',
      stderr: '[grill] the retry could not be queued',
      retries: [{ message_id: drawn.at(-1), status: 'error' }],
    });
  });
});

describe('DynamoDB failing while a job is enqueued', () => {
  it.each([
    ['throttled', throughputExceeded, ['provisioned throughput', 'grill-faults', 'REQ-DDB-1']],
    [
      'failing with a 500',
      () => new InternalServerError({ message: 'Internal server error in partition 7', $metadata: {} }),
      ['partition 7'],
    ],
    ['unreachable', connectionReset, ['ECONNRESET', '10.1.2.3']],
  ] as const)('answers 503 and sends nothing when the write is %s', async (_what, error, leaks) => {
    docMock.on(PutCommand, { Item: { sk: 'EXEC' } }).rejectsOnce(error());

    const res = await call(enqueue, enqueueEvent());

    expectError(res, 503, 'service_unavailable', leaks);
    expect(res.headers['retry-after']).toBe('1');
    expect(failureLogged()).toContain(leaks[0]);
    expect(docMock).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(sqsMock).not.toHaveReceivedCommand(SendMessageCommand);
    expect((await call(show, showEvent(drawn.at(-1) as string))).status).toBe(404);
  });

  it('releases an Idempotency-Key claimed before the execution write failed', async () => {
    const key = `order-${randomUUID()}`;
    docMock.on(PutCommand, { Item: { sk: 'EXEC' } }).rejectsOnce(throughputExceeded());

    const first = await call(enqueue, enqueueEvent({ order: key }, { 'idempotency-key': key }));
    const second = await call(enqueue, enqueueEvent({ order: key }, { 'idempotency-key': key }));

    expect(first.status).toBe(503);
    expect(docMock).toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ sk: 'IDEMPOTENCY' }) });
    expect(second.status).toBe(201);
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    expect((await statusOf(second.body.message_id as string)).status).toBe('pending');
  });
});

describe('an unexpected DynamoDB error', () => {
  const secret = 'ValidationException: table arn:aws:dynamodb:us-east-1:123456789012:table/grill-faults is corrupt';

  it('is a 500 internal_error on show that hides the original error', async () => {
    const { id } = await enqueued();
    docMock.on(GetCommand).rejectsOnce(new Error(secret));

    const res = await call(show, showEvent(id));

    expectError(res, 500, 'internal_error', [secret, 'ValidationException', 'grill-faults', 'corrupt']);
    expect(res.headers['retry-after']).toBeUndefined();
    expect(failureLogged()).toContain('is corrupt');
  });

  it('is a 500 internal_error on retry that hides the original error', async () => {
    const { id } = await enqueued();
    docMock.on(GetCommand).rejectsOnce(new TypeError(secret));

    const res = await call(
      retry,
      apiEvent('POST /v1/job_executions/{message_id}/retries', { pathParameters: { message_id: id } }),
    );

    expectError(res, 500, 'internal_error', [secret, 'TypeError', 'corrupt']);
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageCommand, 1);
  });

  it('is a 500 internal_error even when something throws a non-Error', async () => {
    const { id } = await enqueued();
    docMock.on(GetCommand).callsFakeOnce(() => Promise.reject({ code: 'weird', detail: secret }));

    const res = await call(show, showEvent(id));

    expectError(res, 500, 'internal_error', ['weird', 'corrupt']);
  });
});

describe('the consumer', () => {
  const context = () => lambdaContext('consumer');

  it('reports a record whose take fails transiently, acknowledges the rest, and runs it on redelivery', async () => {
    const flaky = await enqueued({ n: 'flaky' });
    const fine = await enqueued({ n: 'fine' });
    docMock.on(UpdateCommand, { Key: { pk: `EXEC#${flaky.id}` } }).rejectsOnce(throughputExceeded());
    const flakyRecord = sqsRecord(flaky.body);

    const res = await consume(sqsEvent(flakyRecord, fine.body), context());

    expect(res.batchItemFailures).toEqual([{ itemIdentifier: flakyRecord.messageId }]);
    expect(await statusOf(flaky.id)).toMatchObject({ status: 'pending', id: null });
    expect((await statusOf(fine.id)).status).toBe('success');
    expect(executor.runs.map((r) => r.messageId)).toEqual([fine.id]);

    const again = await consume(sqsEvent(sqsRecord(flaky.body, { ApproximateReceiveCount: '2' })), context());

    expect(again.batchItemFailures).toEqual([]);
    expect((await statusOf(flaky.id)).status).toBe('success');
    expect(executor.runs.map((r) => r.messageId)).toEqual([fine.id, flaky.id]);
  });

  it.each([
    ['the read of the execution', (_id: string) => docMock.on(GetCommand).rejectsOnce(throughputExceeded())],
    [
      'the read of the job definition',
      (_id: string) => docMock.on(GetCommand, { Key: { sk: 'JOB#EchoEnv' } }).rejectsOnce(throughputExceeded()),
    ],
    [
      'the id counter',
      (_id: string) => docMock.on(UpdateCommand, { Key: { sk: 'COUNTER' } }).rejectsOnce(throughputExceeded()),
    ],
    [
      'the take, with a dropped connection',
      (id: string) => docMock.on(UpdateCommand, { Key: { pk: `EXEC#${id}` } }).rejectsOnce(connectionReset()),
    ],
  ])('reports a record for redelivery when DynamoDB fails on %s', async (_what, fail) => {
    const { id, body } = await enqueued();
    fail(id);
    const record = sqsRecord(body);

    const res = await consume(sqsEvent(record), context());

    expect(res.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(await statusOf(id)).toMatchObject({ status: 'pending', id: null });
    expect(executor.runs).toEqual([]);
    const warned = logLines.filter((l) => l.level === 'warn' && l.attributes.sqs_message_id === record.messageId);
    expect(warned).toHaveLength(1);
    // The transient cause, not only the domain error wrapping it, reaches the log.
    expect(String(warned[0]?.attributes.error)).toMatch(/provisioned throughput|ECONNRESET/);
  });

  it.each([
    ['a body that is not JSON', 'Type=JobExecution'],
    ['a JSON array', '[{"Type":"JobExecution"}]'],
    ['JSON null', 'null'],
    ['an unknown Type', '{"Type":"Mystery","MessageId":"6f1c1e7e-3b8a-4c8e-9d6f-0a1b2c3d4e5f"}'],
    ['a JobExecution without MessageId', '{"Type":"JobExecution","Application":"test","Job":"EchoEnv","Message":{}}'],
    ['a JobExecution with a bad MessageId', '{"Type":"JobExecution","MessageId":"../../etc"}'],
    [
      'a JobExecution of an unknown execution',
      '{"Type":"JobExecution","MessageId":"6f1c1e7e-3b8a-4c8e-9d6f-0a1b2c3d4e5f"}',
    ],
    [
      'a JobRetry of an unknown execution',
      '{"Type":"JobRetry","RetryMessageId":"6f1c1e7e-3b8a-4c8e-9d6f-0a1b2c3d4e5f","MessageId":"7f1c1e7e-3b8a-4c8e-9d6f-0a1b2c3d4e5f"}',
    ],
  ])('leaves a poison message (%s) for the DLQ and acknowledges its neighbour', async (_what, poison) => {
    const fine = await enqueued({ secret_token: 'tok-123' });
    const bad = sqsRecord(poison);

    const res = await consume(sqsEvent(bad, fine.body), context());

    expect(res.batchItemFailures).toEqual([{ itemIdentifier: bad.messageId }]);
    expect((await statusOf(fine.id)).status).toBe('success');
    expect(executor.runs.map((r) => r.messageId)).toEqual([fine.id]);
    const reported = logLines.filter((l) => l.level === 'error' && l.attributes.sqs_message_id === bad.messageId);
    expect(reported).toHaveLength(1);
    // Bodies hold jobs' messages: never logged.
    expect(logLines.flatMap((l) => Object.values(l.attributes))).not.toContain(poison);
    expect(JSON.stringify(logLines)).not.toContain('tok-123');
  });
});

describe('a result that cannot be recorded at once', () => {
  it('is recorded by a later attempt within the same delivery', async () => {
    const { id, body } = await enqueued();
    docMock
      .on(UpdateCommand, { Key: { pk: `EXEC#${id}` }, ConditionExpression: '#status = :from' })
      .rejectsOnce(throughputExceeded());
    const res = await consume(sqsEvent(sqsRecord(body)), lambdaContext('consumer'));
    expect(res.batchItemFailures).toEqual([]);
    expect((await statusOf(id)).status).toBe('success');
  });

  it('gives the message back, and a delivery after the deadline ends the execution error', async () => {
    const { id, body } = await enqueued();
    docMock
      .on(UpdateCommand, { Key: { pk: `EXEC#${id}` }, ConditionExpression: '#status = :from' })
      .rejects(throughputExceeded());
    const first = sqsRecord(body);
    expect((await consume(sqsEvent(first), lambdaContext('consumer'))).batchItemFailures).toEqual([
      { itemIdentifier: first.messageId },
    ]);
    expect((await statusOf(id)).status).toBe('running');
    docMock.reset(); // DynamoDB is back
    docMock.send.callThrough();

    // The redelivery comes after the queue's visibility timeout, well past the job's timeout.
    clockOffsetMs = 16 * 60 * 1000;
    const again = sqsRecord(body, { ApproximateReceiveCount: '2' });
    expect((await consume(sqsEvent(again), lambdaContext('consumer'))).batchItemFailures).toEqual([]);
    expect((await statusOf(id)).status).toBe('error');
    expect(executor.runs.filter((r) => r.messageId === id)).toHaveLength(1);
  }, 20_000);
});
