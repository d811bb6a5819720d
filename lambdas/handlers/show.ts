import type { Deps } from '../domain/deps.ts';
import { parseFields, show } from '../domain/show.ts';
import { httpHandler } from '../http/middy-stack.ts';
import { lazyHandler } from '../runtime/lambda.ts';

/** GET /v1/job_executions/{message_id} */
export function createHandler(deps: Deps) {
  return httpHandler(deps.log, 'none', async ({ event }) => {
    const fields = parseFields(event.queryStringParameters?.fields);
    const body = await show(deps, event.pathParameters?.message_id ?? '', fields);
    return { statusCode: 200, body };
  });
}

export const handler = lazyHandler(createHandler);
