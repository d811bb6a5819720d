import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../lambdas/local/stack.ts';
import { api, bootLocal } from '../fixtures/local.ts';

let stack: LocalStack | undefined;
afterEach(() => stack?.stop());

describe('stopping and restarting local mode', () => {
  it('keeps every execution, runs what was pending, and stops a running job so that it ends error', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'grill-restart-'));
    stack = await bootLocal({ dataDir, stopGraceMs: 300 });
    let client = api(stack.url);
    const enqueue = async (job: string, message: unknown, delay = 0) =>
      (await client.enqueue({ application: 'test', job, queue: 'default', message, delay_seconds: delay })).body
        .message_id as string;

    const done = await enqueue('EchoEnv', { n: 1 });
    const before = await client.waitFor(done, ['success']);
    const delayed = await enqueue('EchoEnv', { n: 2 }, 2);
    const interrupted = await enqueue('Append', { file: join(dataDir, 'runs.txt'), sleep_ms: 4000 });
    await client.waitFor(interrupted, ['running']);
    await stack.stop();

    stack = await bootLocal({ dataDir });
    client = api(stack.url);
    expect(stack.recovered).toEqual({ resent: 1, lost: 0 });
    expect((await client.show(done, '__default__,message')).body).toEqual({ ...before, message: { n: 1 } });
    const after = await client.waitFor(delayed, ['success']);
    expect(after.id as number).toBeGreaterThan(before.id as number);
    const stopped = await client.waitFor(interrupted, ['error'], 'stderr');
    expect(stopped.stderr).toContain('Grill stopped while the job was running');
  });
});
