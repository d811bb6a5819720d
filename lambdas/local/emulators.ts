import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { startFauxqs } from 'fauxqs';

export interface Emulator {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * dynalite speaks DynamoDB's protocol, in memory or, with `dataDir`, in a
 * LevelDB directory so that executions survive a restart. Loopback only.
 */
export async function startDynamo(dataDir?: string): Promise<Emulator> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
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
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        // dynalite closes its LevelDB store when its server closes.
        server.close(() => resolve());
      }),
  };
}

/** fauxqs speaks SQS's protocol, in memory (messages do not survive a restart). Loopback only. */
export async function startSqs(): Promise<Emulator> {
  const server = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
  return { endpoint: `http://127.0.0.1:${server.port}`, stop: () => server.stop() };
}
