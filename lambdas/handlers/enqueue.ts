import { createHash } from 'node:crypto';
import type { Deps } from '../domain/deps.ts';
import { enqueue } from '../domain/enqueue.ts';
import { InvalidParameterError } from '../domain/errors.ts';
import { compact, RawJson } from '../domain/raw-json.ts';
import { header, httpHandler } from '../http/middy-stack.ts';
import { enqueueBody, parseBody } from '../http/schemas.ts';
import { lazyHandler } from '../runtime/lambda.ts';

/** POST /v2/job_executions */
export function createHandler(deps: Deps) {
  return httpHandler(deps.log, 'required', async ({ event, json, body, rawBody }) => {
    const req = parseBody(enqueueBody, body);
    const key = header(event, 'idempotency-key');
    if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key)) {
      throw new InvalidParameterError('Idempotency-Key must be 1 to 255 visible ASCII characters');
    }
    const result = await enqueue(deps, {
      application: req.application,
      job: req.job,
      queue: req.queue,
      message: new RawJson(json.get('message')?.raw as string),
      delaySeconds: req.delay_seconds ?? 0,
      // The fingerprint ignores insignificant whitespace: a client re-sending the same request may reformat it.
      ...(key
        ? { idempotency: { key, fingerprint: createHash('sha256').update(compact(rawBody)).digest('hex') } }
        : {}),
    });
    return { statusCode: 201, body: { ...result } };
  });
}

export const handler = lazyHandler(createHandler);
