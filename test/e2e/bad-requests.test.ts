import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import type { ErrorCode } from '../../lambdas/domain/errors.ts';
import type { LocalStack } from '../../lambdas/local/stack.ts';
import { api, bootLocal } from '../fixtures/local.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const JSON_TYPE = 'application/json; charset=utf-8';
/** What a leaked stack trace or source location looks like. */
const INTERNALS = /\n\s*at |\.ts:\d+|\.js:\d+|node_modules|Error:/;
/** A v4 UUID that no execution has. */
const UNKNOWN_ID = '6f1c1e7e-3b8a-4c8e-9d6f-0a1b2c3d4e5f';

let stack: LocalStack;
let client: ReturnType<typeof api>;
/** A finished execution, for requests that need a real message_id. */
let known: string;
/** Every write a request could make; a rejected request must make none. */
let writes: Record<string, MockInstance>;

beforeAll(async () => {
  stack = await bootLocal();
  client = api(stack.url);
  const res = await client.enqueue({ application: 'test', job: 'EchoEnv', queue: 'default', message: {} });
  expect(res.status).toBe(201);
  known = res.body.message_id as string;
  await client.waitFor(known, ['success']);
  const { store, queue, catalog } = stack.deps;
  writes = {
    'store.create': vi.spyOn(store, 'create'),
    'store.createRetry': vi.spyOn(store, 'createRetry'),
    'queue.send': vi.spyOn(queue, 'send'),
    'catalog.lockRevision': vi.spyOn(catalog, 'lockRevision'),
    'catalog.unlockRevision': vi.spyOn(catalog, 'unlockRevision'),
  };
});
afterAll(async () => {
  vi.restoreAllMocks();
  await stack?.stop();
});
beforeEach(() => {
  for (const spy of Object.values(writes ?? {})) spy.mockClear();
});

interface Sent {
  status: number;
  headers: Headers;
  text: string;
}

/** One raw HTTP request; a body gets `content-type: application/json` unless the headers name one. */
async function send(
  method: string,
  path: string,
  body?: string | Uint8Array,
  headers: Record<string, string> = {},
): Promise<Sent> {
  const h = { ...headers };
  if (body !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
    h['content-type'] = 'application/json';
  }
  const res = await fetch(`${stack.url}${path}`, { method, headers: h, ...(body !== undefined ? { body } : {}) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Asserts API.md's error shape, status and content type; returns the message. */
function expectError(res: Sent, status: number, code: ErrorCode): string {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe(JSON_TYPE);
  const body = JSON.parse(res.text) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['error_code', 'message', 'status_code']);
  expect(body).toMatchObject({ status_code: status, error_code: code });
  expect(body.message).toEqual(expect.any(String));
  const message = body.message as string;
  expect(message.trim()).not.toBe('');
  expect(message).not.toMatch(INTERNALS);
  return message;
}

/** Message ids of every pending or running execution and retry. */
async function unfinished(): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const item of stack.deps.store.listUnfinished()) ids.add(item.messageId);
  return ids;
}

const VALID = { application: 'test', job: 'EchoEnv', queue: 'default', message: { a: 1 } };
const enqueueWith = (patch: Record<string, unknown>) => JSON.stringify({ ...VALID, ...patch });
const enqueueWithout = (field: string) =>
  JSON.stringify(Object.fromEntries(Object.entries(VALID).filter(([k]) => k !== field)));
const TWO_MIB = enqueueWith({ message: 'x'.repeat(2 * 1024 * 1024) });

interface BadRequest {
  readonly name: string;
  readonly method: string;
  /** A function when the path needs the known execution's id. */
  readonly path: string | (() => string);
  readonly body?: string | Uint8Array;
  readonly headers?: Record<string, string>;
  readonly status: number;
  readonly code: ErrorCode;
  /** Text the message must contain, e.g. the field at fault. */
  readonly mentions?: string;
  /**
   * A write the request may attempt: a revision lock of an unknown app is a
   * conditional write that finds no app (the test then checks none was created).
   */
  readonly attempts?: string;
}

/** A case of one route, whose method and path the route's list adds. */
type RouteCase = Omit<BadRequest, 'method' | 'path'>;

const ENQUEUE = '/v2/job_executions';
const showKnown = (query: string) => () => `/v1/job_executions/${known}${query}`;
const retryKnown = () => `/v1/job_executions/${known}/retries`;
const retryUnknown = `/v1/job_executions/${UNKNOWN_ID}/retries`;
const LOCK = '/v1/apps/test/revision_lock';

const enqueueCases: BadRequest[] = (
  [
    { name: 'a body that is not JSON', body: '{"application": "test",', status: 400, code: 'invalid_json' },
    { name: 'JSON followed by garbage', body: `${enqueueWith({})} trailing`, status: 400, code: 'invalid_json' },
    {
      name: 'a body that is not UTF-8',
      body: Buffer.concat([
        Buffer.from(enqueueWith({ message: 'caf' }).slice(0, -2)),
        Buffer.from([0xe9, 0xff]),
        Buffer.from('"}'),
      ]),
      status: 400,
      code: 'invalid_json',
    },
    { name: 'a JSON array body', body: JSON.stringify([VALID]), status: 400, code: 'invalid_json' },
    { name: 'an empty JSON array body', body: '[]', status: 400, code: 'invalid_json' },
    { name: 'a JSON string body', body: '"hello"', status: 400, code: 'invalid_json' },
    { name: 'a JSON number body', body: '42', status: 400, code: 'invalid_json' },
    { name: 'a JSON null body', body: 'null', status: 400, code: 'invalid_json' },
    { name: 'a JSON boolean body', body: 'true', status: 400, code: 'invalid_json' },
    { name: 'no body at all', status: 400, code: 'invalid_json' },
    { name: 'an empty body with a JSON content type', body: '', status: 400, code: 'invalid_json' },
    { name: 'a whitespace-only body', body: '  \n ', status: 400, code: 'invalid_json' },
    { name: 'an empty object', body: '{}', status: 400, code: 'invalid_parameter', mentions: 'application' },
    ...['application', 'job', 'queue', 'message'].map(
      (field): RouteCase => ({
        name: `a body without ${field}`,
        body: enqueueWithout(field),
        status: 400,
        code: 'invalid_parameter',
        mentions: `${field} is required`,
      }),
    ),
    ...(
      [
        ['message: null', { message: null }, 'message'],
        ['delay_seconds: "3"', { delay_seconds: '3' }, 'delay_seconds'],
        ['delay_seconds: 901', { delay_seconds: 901 }, 'delay_seconds'],
        ['delay_seconds: -1', { delay_seconds: -1 }, 'delay_seconds'],
        ['delay_seconds: 1.5', { delay_seconds: 1.5 }, 'delay_seconds'],
        ['delay_seconds: true', { delay_seconds: true }, 'delay_seconds'],
        ['delay_seconds: 1e21', { delay_seconds: 1e21 }, 'delay_seconds'],
        ['application: 42', { application: 42 }, 'application'],
        ['job: ["Echo"]', { job: ['Echo'] }, 'job'],
        ['queue: null', { queue: null }, 'queue'],
        ['an 81-character application', { application: 'a'.repeat(81) }, 'application'],
        ['a job name with a slash', { job: 'Echo/Env' }, 'job'],
        ['a queue name with a slash', { queue: 'default/../other' }, 'queue'],
        ['an empty application', { application: '' }, 'application'],
        ['an empty job', { job: '' }, 'job'],
        ['a name with a space', { job: 'Echo Env' }, 'job'],
        ['a name with non-ASCII letters', { application: 'café' }, 'application'],
        ['a name with a trailing newline', { application: 'test\n' }, 'application'],
      ] as const
    ).map(
      ([name, patch, field]): RouteCase => ({
        name,
        body: enqueueWith(patch),
        status: 400,
        code: 'invalid_parameter',
        mentions: field,
      }),
    ),
    {
      name: 'an unknown queue',
      body: enqueueWith({ queue: 'no_such_queue' }),
      status: 404,
      code: 'record_not_found',
      mentions: 'no_such_queue',
    },
    { name: 'a 2 MiB body', body: TWO_MIB, status: 413, code: 'payload_too_large' },
    {
      name: 'an 11 MiB body (past the gateway limit)',
      body: enqueueWith({ message: 'x'.repeat(11 * 1024 * 1024) }),
      status: 413,
      code: 'payload_too_large',
    },
    {
      name: 'a text/plain body',
      body: enqueueWith({}),
      headers: { 'content-type': 'text/plain' },
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'a form-encoded body',
      body: 'application=test&job=EchoEnv&queue=default&message=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'an application/jsonp content type',
      body: enqueueWith({}),
      headers: { 'content-type': 'application/jsonp' },
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'a JSON body in another charset',
      body: enqueueWith({}),
      headers: { 'content-type': 'application/json; charset=iso-8859-1' },
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'an Idempotency-Key of 256 characters',
      body: enqueueWith({}),
      headers: { 'idempotency-key': 'k'.repeat(256) },
      status: 400,
      code: 'invalid_parameter',
      mentions: 'Idempotency-Key',
    },
    {
      name: 'an Idempotency-Key with a space',
      body: enqueueWith({}),
      headers: { 'idempotency-key': 'two words' },
      status: 400,
      code: 'invalid_parameter',
      mentions: 'Idempotency-Key',
    },
  ] satisfies RouteCase[]
).map((c) => ({ ...c, method: 'POST', path: ENQUEUE }));

const showCases: BadRequest[] = [
  { name: 'a message_id that is not a UUID', path: '/v1/job_executions/not-a-uuid', status: 404 },
  { name: 'a numeric message_id', path: '/v1/job_executions/12345', status: 404 },
  { name: "the known execution's message_id in uppercase", path: () => `/v1/job_executions/${known.toUpperCase()}` },
  { name: 'the known message_id with a suffix', path: () => `/v1/job_executions/${known}x` },
  { name: 'an unknown UUID', path: `/v1/job_executions/${UNKNOWN_ID}` },
  { name: 'percent-encoding garbage', path: '/v1/job_executions/%E0%A4%A' },
  { name: 'an encoded NUL', path: '/v1/job_executions/%00' },
  {
    name: 'an unknown field name',
    path: showKnown('?fields=nope'),
    status: 400,
    code: 'invalid_parameter' as const,
    mentions: 'nope',
  },
  {
    name: 'an unknown field beside known ones',
    path: showKnown('?fields=__default__,message,secret_token'),
    status: 400,
    code: 'invalid_parameter' as const,
    mentions: 'secret_token',
  },
].map((c) => ({ status: 404, code: 'record_not_found' as const, ...c, method: 'GET' }));

const retryCases: BadRequest[] = [
  ...(
    [
      ['delay_seconds: "3"', '"3"'],
      ['delay_seconds: 901', '901'],
      ['delay_seconds: -1', '-1'],
      ['delay_seconds: 1.5', '1.5'],
      ['delay_seconds: {}', '{}'],
    ] as const
  ).map(
    ([name, raw]): BadRequest => ({
      name: `retry with ${name}`,
      method: 'POST',
      path: retryKnown,
      body: `{"delay_seconds":${raw}}`,
      status: 400,
      code: 'invalid_parameter',
      mentions: 'delay_seconds',
    }),
  ),
  { name: 'retry with no body, unknown id', method: 'POST', path: retryUnknown, status: 404, code: 'record_not_found' },
  {
    name: 'retry with an empty JSON body, unknown id',
    method: 'POST',
    path: retryUnknown,
    body: '',
    status: 404,
    code: 'record_not_found',
  },
  {
    name: 'retry with {}, unknown id',
    method: 'POST',
    path: retryUnknown,
    body: '{}',
    status: 404,
    code: 'record_not_found',
  },
  {
    name: 'retry with delay_seconds: null, unknown id',
    method: 'POST',
    path: retryUnknown,
    body: '{"delay_seconds":null}',
    status: 404,
    code: 'record_not_found',
  },
  ...['[]', '[{"delay_seconds":1}]', '"later"', '7', 'null', 'not json'].map(
    (body): BadRequest => ({
      name: `retry with the body ${body}`,
      method: 'POST',
      path: retryKnown,
      body,
      status: 400,
      code: 'invalid_json',
    }),
  ),
  {
    name: 'retry with a text/plain body',
    method: 'POST',
    path: retryKnown,
    body: '{}',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'retry with a 2 MiB body',
    method: 'POST',
    path: retryKnown,
    body: TWO_MIB,
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'retry of a message_id that is not a UUID',
    method: 'POST',
    path: '/v1/job_executions/not-a-uuid/retries',
    status: 404,
    code: 'record_not_found',
  },
  {
    name: 'retry of percent-encoding garbage',
    method: 'POST',
    path: '/v1/job_executions/%E0%A4%A/retries',
    status: 404,
    code: 'record_not_found',
  },
];

const lockCases: BadRequest[] = [
  { name: 'revision lock without revision', body: '{}', mentions: 'revision is required' },
  { name: 'revision lock with revision: ""', body: '{"revision":""}', mentions: 'revision' },
  { name: 'revision lock with revision: 42', body: '{"revision":42}', mentions: 'revision' },
  { name: 'revision lock with revision: null', body: '{"revision":null}', mentions: 'revision' },
  { name: 'revision lock with revision: ["v1"]', body: '{"revision":["v1"]}', mentions: 'revision' },
  { name: 'revision lock with a 256-character revision', body: JSON.stringify({ revision: 'r'.repeat(256) }) },
  // A NUL cannot go into BARBEQUE_REVISION: every job of the app would end `error` until unlocked.
  { name: 'revision lock with a NUL in revision', body: '{"revision":"v1\\u0000"}', mentions: 'revision' },
  { name: 'revision lock with a newline in revision', body: '{"revision":"v1\\nv2"}', mentions: 'revision' },
  { name: 'revision lock with no body', code: 'invalid_json' as const },
  { name: 'revision lock with an array body', body: '["v1"]', code: 'invalid_json' as const },
  { name: 'revision lock with a body that is not JSON', body: 'revision=v1', code: 'invalid_json' as const },
].map((c) => ({ status: 400, code: 'invalid_parameter' as const, ...c, method: 'POST', path: LOCK }));

const routeCases: BadRequest[] = [
  { name: 'an unknown route', method: 'GET', path: '/v2/nothing_here' },
  { name: 'the root path', method: 'GET', path: '/' },
  { name: 'a known path with an unrouted method', method: 'PUT', path: ENQUEUE, body: enqueueWith({}) },
  { name: 'GET of the enqueue path', method: 'GET', path: ENQUEUE },
  { name: 'a show path with an empty message_id', method: 'GET', path: '/v1/job_executions/' },
  { name: 'a show path with an extra segment', method: 'GET', path: () => `/v1/job_executions/${known}/extra` },
  {
    name: 'a revision lock of an unknown app',
    method: 'POST',
    path: '/v1/apps/no_such_app/revision_lock',
    body: '{"revision":"v1"}',
    attempts: 'catalog.lockRevision',
  },
  {
    name: 'a revision lock of an app name with an encoded slash',
    method: 'POST',
    path: '/v1/apps/te%2Fst/revision_lock',
    body: '{"revision":"v1"}',
  },
  {
    name: 'a revision lock of percent-encoding garbage',
    method: 'POST',
    path: '/v1/apps/%E0%A4%A/revision_lock',
    body: '{"revision":"v1"}',
  },
  {
    name: 'a revision unlock of an unknown app',
    method: 'DELETE',
    path: '/v1/apps/no_such_app/revision_lock',
    attempts: 'catalog.unlockRevision',
  },
].map((c) => ({ status: 404, code: 'record_not_found' as const, ...c }));

describe('a bad request', () => {
  it.each([...enqueueCases, ...showCases, ...retryCases, ...lockCases, ...routeCases])(
    'is refused: $name',
    async (c) => {
      const before = await unfinished();

      const res = await send(c.method, typeof c.path === 'function' ? c.path() : c.path, c.body, c.headers);

      const message = expectError(res, c.status, c.code);
      if (c.mentions) expect(message).toContain(c.mentions);
      expect(res.headers.get('retry-after')).toBeNull();
      for (const [name, spy] of Object.entries(writes)) {
        if (name !== c.attempts) expect(spy, name).not.toHaveBeenCalled();
      }
      expect(await stack.deps.catalog.getApp('no_such_app')).toBeUndefined();
      // Nothing new is pending or running (a job finishing meanwhile may only shrink the set).
      const after = await unfinished();
      expect([...after].filter((id) => !before.has(id))).toEqual([]);
    },
  );
});

describe('a request at the edge of the rules', () => {
  it.each([
    ['delay_seconds: null', { delay_seconds: null }],
    ['delay_seconds: 0', { delay_seconds: 0 }],
    ['an 80-character application name', { application: 'a'.repeat(80) }],
    ['names of every allowed character class', { job: 'Az09_-', queue: 'other' }],
  ])('is accepted: %s', async (_name, patch) => {
    const res = await send('POST', ENQUEUE, enqueueWith(patch));

    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe(JSON_TYPE);
    const body = JSON.parse(res.text);
    expect(body).toEqual({ message_id: expect.stringMatching(UUID), status: 'pending', id: null });
    expect(writes['store.create']).toHaveBeenCalledTimes(1);
    expect(writes['queue.send']).toHaveBeenCalledTimes(1);
    expect((await client.show(body.message_id)).status).toBe(200);
  });

  it.each([['application/json; charset=UTF-8'], ['application/vnd.api+json'], ['Application/JSON']])(
    'is accepted with Content-Type %s',
    async (type) => {
      const res = await send('POST', ENQUEUE, enqueueWith({}), { 'content-type': type });
      expect(res.status).toBe(201);
    },
  );

  it('accepts a retry with no body at all', async () => {
    const res = await send('POST', retryKnown());

    expect(res.status).toBe(201);
    expect(JSON.parse(res.text)).toEqual({ message_id: expect.stringMatching(UUID), status: 'pending' });
    await client.waitFor(known, ['success', 'failed', 'error']);
  });

  it('accepts a retry with an empty body sent as JSON', async () => {
    const res = await send('POST', retryKnown(), '');

    expect(res.status).toBe(201);
    await client.waitFor(known, ['success', 'failed', 'error']);
  });
});

describe('an Idempotency-Key', () => {
  const body = () => enqueueWith({ message: { order: randomUUID() } });

  it('treats the same body with other whitespace as the same request', async () => {
    const key = `order-${randomUUID()}`;
    const payload = body();
    const first = await send('POST', ENQUEUE, payload, { 'idempotency-key': key });
    const reformatted = JSON.stringify(JSON.parse(payload), null, 2);
    const second = await send('POST', ENQUEUE, reformatted, { 'idempotency-key': key });
    expect(second.status).toBe(201);
    expect(JSON.parse(second.text)).toEqual(JSON.parse(first.text));
  });

  it('returns the first message_id for the same key and body, and enqueues nothing new', async () => {
    const key = `order-${randomUUID()}`;
    const payload = body();
    const uuids = vi.spyOn(stack.deps.ids, 'uuid');
    try {
      const first = await send('POST', ENQUEUE, payload, { 'idempotency-key': key });
      const second = await send('POST', ENQUEUE, payload, { 'idempotency-key': key });

      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(JSON.parse(second.text)).toEqual(JSON.parse(first.text));
      expect(writes['queue.send']).toHaveBeenCalledTimes(1);
      // The id the second request drew was never written.
      const drawn = uuids.mock.results.map((r) => r.value as string);
      expect(drawn).toHaveLength(2);
      expect(drawn[0]).toBe(JSON.parse(first.text).message_id);
      expect((await client.show(drawn[1] as string)).status).toBe(404);
    } finally {
      uuids.mockRestore();
    }
  });

  it('is a 409 conflict with another body, and enqueues nothing', async () => {
    const key = `order-${randomUUID()}`;
    const first = await send('POST', ENQUEUE, body(), { 'idempotency-key': key });
    expect(first.status).toBe(201);
    writes['queue.send']?.mockClear();
    const before = await unfinished();

    const second = await send('POST', ENQUEUE, body(), { 'idempotency-key': key });

    expectError(second, 409, 'conflict');
    expect(writes['queue.send']).not.toHaveBeenCalled();
    const after = await unfinished();
    expect([...after].filter((id) => !before.has(id))).toEqual([]);
  });

  it('keeps keys apart: another key with the same body enqueues again', async () => {
    const payload = body();
    const a = await send('POST', ENQUEUE, payload, { 'idempotency-key': `a-${randomUUID()}` });
    const b = await send('POST', ENQUEUE, payload, { 'idempotency-key': `b-${randomUUID()}` });

    expect([a.status, b.status]).toEqual([201, 201]);
    expect(JSON.parse(a.text).message_id).not.toBe(JSON.parse(b.text).message_id);
    expect(writes['queue.send']).toHaveBeenCalledTimes(2);
  });

  it('accepts a key of 255 characters', async () => {
    const key = `${randomUUID()}${'k'.repeat(255 - 36)}`;
    const res = await send('POST', ENQUEUE, body(), { 'idempotency-key': key });

    expect(res.status).toBe(201);
  });
});

describe('characters SQS will not carry raw', () => {
  // SQS refuses U+FFFE/U+FFFF (and fauxqs refuses U+10000 and up): the SQS body escapes them.
  it.each([
    ['U+FFFF', '\uFFFF'],
    ['an emoji', '\u{1F600}'],
    ['accented letters', 'é漢'],
  ])('accepts a message containing %s and gives it back unchanged', async (_name, ch) => {
    const res = await send('POST', ENQUEUE, enqueueWith({ message: `a${ch}b` }));
    expect(res.status).toBe(201);
    const { message_id } = JSON.parse(res.text) as { message_id: string };
    const shown = await send('GET', `/v1/job_executions/${message_id}?fields=message`);
    expect(JSON.parse(shown.text)).toEqual({ message: `a${ch}b` });
  });
});
