import type { Deps } from '../domain/deps.ts';
import { retryExecution } from '../domain/retry.ts';
import { httpHandler } from '../http/middy-stack.ts';
import { parseBody, retryBody } from '../http/schemas.ts';
import { lazyHandler } from '../runtime/lambda.ts';

/** POST /v1/job_executions/{message_id}/retries */
export function createHandler(deps: Deps) {
  return httpHandler(deps.log, 'optional', async ({ event, body }) => {
    const req = parseBody(retryBody, body);
    const result = await retryExecution(deps, event.pathParameters?.message_id ?? '', req.delay_seconds ?? 0);
    return { statusCode: 201, body: { ...result } };
  });
}

export const handler = lazyHandler(createHandler);
