import type { Deps } from '../domain/deps.ts';
import { lockRevision } from '../domain/revision-lock.ts';
import { httpHandler } from '../http/middy-stack.ts';
import { parseBody, revisionLockBody } from '../http/schemas.ts';
import { lazyHandler } from '../runtime/lambda.ts';

/** POST /v1/apps/{app}/revision_lock */
export function createHandler(deps: Deps) {
  return httpHandler(deps.log, 'required', async ({ event, body }) => {
    const req = parseBody(revisionLockBody, body);
    return { statusCode: 201, body: await lockRevision(deps, event.pathParameters?.app ?? '', req.revision) };
  });
}

export const handler = lazyHandler(createHandler);
