import type { Deps } from '../domain/deps.ts';
import { NotFoundError } from '../domain/errors.ts';
import { httpHandler } from '../http/middy-stack.ts';
import { lazyHandler } from '../runtime/lambda.ts';

/** API Gateway's `$default` route: any method and path no route matches. */
export function createHandler(deps: Deps) {
  return httpHandler(deps.log, 'none', async ({ event }) => {
    throw new NotFoundError(`no route for ${event.requestContext.http.method} ${event.rawPath}`);
  });
}

export const handler = lazyHandler(createHandler);
