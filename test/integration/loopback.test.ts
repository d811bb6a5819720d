import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirInUseError, startDynamo, startSqs } from '../../lambdas/local/emulators.ts';
import { startHttpServer } from '../../lambdas/local/http-server.ts';
import { silentLog } from '../fixtures/deps.ts';

describe('the data directory', () => {
  it('is refused to a second Grill while the first one holds it, and free again after it stops', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'grill-lock-'));
    const first = await startDynamo(dataDir);
    // The holder must be another live process: this test's parent (the vitest runner) will do.
    writeFileSync(join(dataDir, 'grill.pid'), String(process.ppid));
    await expect(startDynamo(dataDir)).rejects.toThrow(DataDirInUseError);
    writeFileSync(join(dataDir, 'grill.pid'), String(process.pid));
    await first.stop();
    const second = await startDynamo(dataDir);
    await second.stop();
  });

  it('is taken over from a process that died', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'grill-lock-'));
    writeFileSync(join(dataDir, 'grill.pid'), '999999999');
    const emulator = await startDynamo(dataDir);
    await emulator.stop();
  });
});

describe('local mode listens on loopback only', () => {
  it.each([
    ['dynalite', startDynamo],
    ['fauxqs', startSqs],
  ])('%s', async (_, start) => {
    const emulator = await start();
    try {
      expect(emulator.address.address).toBe('127.0.0.1');
    } finally {
      await emulator.stop();
    }
  });

  it('the API server', async () => {
    const http = await startHttpServer({ port: 0, handlers: () => undefined, log: silentLog });
    try {
      expect((http.server.address() as AddressInfo).address).toBe('127.0.0.1');
    } finally {
      await http.stop();
    }
  });
});
