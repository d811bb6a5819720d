import type { Deps } from './deps.ts';
import { NotFoundError } from './errors.ts';
import { isName } from './names.ts';

/** Pins an application to a revision (a function version or alias, an image tag, BARBEQUE_REVISION). */
export async function lockRevision(deps: Deps, app: string, revision: string): Promise<{ revision: string }> {
  if (!isName(app)) throw new NotFoundError(`no application is named "${app}"`);
  await deps.catalog.lockRevision(app, revision);
  deps.log.info('revision locked', { application: app, revision });
  return { revision };
}

/** Unpins an application: its jobs run the latest revision again. */
export async function unlockRevision(deps: Deps, app: string): Promise<void> {
  if (!isName(app)) throw new NotFoundError(`no application is named "${app}"`);
  await deps.catalog.unlockRevision(app);
  deps.log.info('revision unlocked', { application: app });
}
