import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';

export interface Emulator {
  readonly endpoint: string;
  /** Where it listens: always loopback. */
  readonly address: AddressInfo;
  stop(): Promise<void>;
}

/**
 * dynalite speaks DynamoDB's protocol, in memory or, with `dataDir`, in a
 * LevelDB directory so that executions survive a restart. Loopback only.
 */
export async function startDynamo(dataDir?: string): Promise<Emulator> {
  const unlock = dataDir ? lockDataDir(dataDir) : () => {};
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(dataDir ? { path: dataDir } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    address,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        // dynalite closes its LevelDB store when its server closes.
        server.close(() => {
          unlock();
          resolve();
        });
      }),
  };
}

/** Another Grill holds the data directory (LevelDB allows one process at a time). */
export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
}

/**
 * Takes the data directory for this process, or throws DataDirInUseError if a
 * live process holds it. A lock left by a process that died is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lockFile = join(dataDir, 'grill.pid');
  let holder = Number.NaN;
  try {
    holder = Number(readFileSync(lockFile, 'utf8').trim());
  } catch {
    // no lock yet
  }
  if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isRunning(holder)) {
    throw new DataDirInUseError(
      `the data directory ${dataDir} is in use by another Grill (pid ${holder}); if no Grill is running, delete ${lockFile}`,
    );
  }
  writeFileSync(lockFile, String(process.pid));
  return () => rmSync(lockFile, { force: true });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * fauxqs speaks SQS's protocol, in memory (messages do not survive a restart).
 * Its `startFauxqs` always listens on 0.0.0.0, so Grill builds the app and
 * listens itself, on loopback only.
 */
export async function startSqs(): Promise<Emulator> {
  const app = buildApp({ logger: false, host: '127.0.0.1' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${address.port}`, address, stop: () => app.close() };
}
