import type { Deps } from '../domain/deps.ts';
import { unlockRevision } from '../domain/revision-lock.ts';
import { httpHandler } from '../http/middy-stack.ts';
import { lazyHandler } from '../runtime/lambda.ts';

/** DELETE /v1/apps/{app}/revision_lock */
export function createHandler(deps: Deps) {
  return httpHandler(deps.log, 'none', async ({ event }) => {
    await unlockRevision(deps, event.pathParameters?.app ?? '');
    return { statusCode: 204 };
  });
}

export const handler = lazyHandler(createHandler);
