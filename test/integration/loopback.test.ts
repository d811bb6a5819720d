import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startDynamo, startSqs } from '../../lambdas/local/emulators.ts';
import { startHttpServer } from '../../lambdas/local/http-server.ts';
import { silentLog } from '../fixtures/deps.ts';

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
