import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';

/** The repository root. */
export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Every `App` makes a `cdk.out*` folder under os.tmpdir(), and bundling works
 * there too. For the current test file, points TMPDIR at a fresh folder in the
 * repo's gitignored `.tmp/` and deletes it afterwards. Call it at the top of the
 * file, before other hooks, so it runs before any App is made.
 */
export function useRepoTmpDir(): void {
  const previous = process.env.TMPDIR;
  let dir: string | undefined;
  beforeAll(() => {
    mkdirSync(join(REPO, '.tmp'), { recursive: true });
    dir = mkdtempSync(join(REPO, '.tmp', 'infra-'));
    process.env.TMPDIR = dir;
  });
  afterAll(() => {
    if (previous === undefined) {
      delete process.env.TMPDIR;
    } else {
      process.env.TMPDIR = previous;
    }
    if (dir !== undefined) {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
