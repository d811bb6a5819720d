import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Log } from '../domain/deps.ts';
import { GrillError, InvalidJsonError } from '../domain/errors.ts';
import { parseObjectMembers, stringifyWithRaw } from '../domain/raw-json.ts';
import { describeError, errorBody, RETRY_AFTER_SECONDS, STATUS_BY_CODE } from './errors.ts';

/** Request bodies larger than this are refused: a message must fit an SQS message and a DynamoDB item. */
export const MAX_BODY_BYTES = 250 * 1024;

/** The top-level members of a JSON object body: parsed value and compact raw text. */
export type JsonMembers = Map<string, { value: unknown; raw: string }>;

/** An API Gateway v2 event after the shared middlewares have read its body. */
export interface HttpRequest {
  readonly event: APIGatewayProxyEventV2;
  /** The JSON body's members; an empty map for an absent body where the body is optional. */
  readonly json: JsonMembers;
  /** The same members' parsed values, for validation. */
  readonly body: Record<string, unknown>;
  /** The body as received (for fingerprints), '' when absent. */
  readonly rawBody: string;
}

export interface HttpResponse {
  readonly statusCode: number;
  /** Serialized with `stringifyWithRaw`, so RawJson values keep their exact text. */
  readonly body?: Record<string, unknown>;
}

export type BodyRule = 'required' | 'optional' | 'none';

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

/**
 * The one middy stack every HTTP handler uses: read and check the JSON body,
 * call the route, serialize its answer, and turn any error into API.md's
 * error shape. A 5xx never carries internals: the real error is logged.
 */
export function httpHandler(log: Log, body: BodyRule, route: (req: HttpRequest) => Promise<HttpResponse>): Handler {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use({ onError: respondWithError(log) })
    .handler(async (event) => {
      const { json, rawBody } = readBody(event, body);
      const values = Object.fromEntries([...json].map(([k, v]) => [k, v.value]));
      const res = await route({ event, json, body: values, rawBody });
      return {
        statusCode: res.statusCode,
        headers: JSON_HEADERS,
        ...(res.body ? { body: stringifyWithRaw(res.body) } : {}),
      };
    }) as unknown as Handler;
}

function readBody(event: APIGatewayProxyEventV2, rule: BodyRule): { json: JsonMembers; rawBody: string } {
  const raw = bodyText(event);
  if (rule === 'none' || (rule === 'optional' && raw.trim() === '')) return { json: new Map(), rawBody: raw };
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) {
    throw new GrillError('payload_too_large', `the request body must be at most ${MAX_BODY_BYTES} bytes`);
  }
  const type = header(event, 'content-type');
  if (type !== undefined && !isUtf8Json(type)) {
    throw new GrillError(
      'unsupported_media_type',
      'the request body must be JSON in UTF-8 (Content-Type: application/json; charset=utf-8)',
    );
  }
  let members: JsonMembers | undefined;
  try {
    members = parseObjectMembers(raw);
  } catch {
    throw new InvalidJsonError('the request body is not valid JSON');
  }
  if (!members) throw new InvalidJsonError('the request body must be a JSON object');
  return { json: members, rawBody: raw };
}

/** The body as text; a base64-encoded body must be UTF-8, the only encoding of JSON. */
function bodyText(event: APIGatewayProxyEventV2): string {
  if (!event.body) return '';
  if (!event.isBase64Encoded) return event.body;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(event.body, 'base64'));
  } catch {
    throw new InvalidJsonError('the request body is not valid UTF-8');
  }
}

/** `application/json` or `application/*+json`, with no charset or UTF-8 (JSON's only encoding, RFC 8259). */
function isUtf8Json(contentType: string): boolean {
  const [mediaType = '', ...params] = contentType.split(';').map((p) => p.trim().toLowerCase());
  if (!/^application\/([\w.+-]+\+)?json$/.test(mediaType)) return false;
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  return charset === undefined || charset === 'utf-8' || charset === 'utf8';
}

/** A header by name, whatever its case (API Gateway lowercases; other callers may not). */
export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const headers = event.headers ?? {};
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

function respondWithError(log: Log) {
  return async (request: middy.Request<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>) => {
    const err = request.error;
    const known = err instanceof GrillError;
    const code = known ? err.code : 'internal_error';
    const status = STATUS_BY_CODE[code];
    const route = request.event.routeKey;
    if (status >= 500)
      log.error('request failed', { route, error_code: code, error: describeError(err, { stack: true }) });
    else log.warn('request rejected', { route, error_code: code, reason: err?.message });
    // Domain errors carry safe messages; anything else may hold internals and is never shown.
    const message = known && code !== 'internal_error' ? err.message : defaultMessage(status);
    request.response = {
      statusCode: status,
      headers: { ...JSON_HEADERS, ...(status === 503 ? { 'retry-after': String(RETRY_AFTER_SECONDS) } : {}) },
      body: JSON.stringify(errorBody(code, message)),
    };
  };
}

const defaultMessage = (status: number) =>
  status === 503 ? 'the service is busy or a dependency is unavailable; try again' : 'internal error';
