import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommandExecutor } from '../../../lambdas/adapters/executors/command.ts';
import { TailBuffer } from '../../../lambdas/adapters/executors/output-buffer.ts';
import type { JobDefinition, JobInvocation } from '../../../lambdas/domain/ports.ts';
import { RawJson } from '../../../lambdas/domain/raw-json.ts';

const node = process.execPath;
const def = (command: string[], extra: Partial<JobDefinition> = {}): JobDefinition => ({
  application: 'blog',
  job: 'NotifyAuthor',
  executor: 'command',
  command,
  timeoutSeconds: 10,
  env: {},
  ...extra,
});
const inv: JobInvocation = {
  application: 'blog',
  job: 'NotifyAuthor',
  message: new RawJson('{"n":12345678901234567890}'),
  messageId: '44b34792-99c2-4165-b0a7-97ba8cb67701',
  queueName: 'default',
  retryCount: 2,
  sentTimestamp: 1_764_756_000_123,
  revision: null,
};
const executor = (extra = {}) =>
  new CommandExecutor({
    cwd: process.cwd(),
    baseEnv: { PATH: process.env.PATH, AWS_SECRET_ACCESS_KEY: 'shh' },
    ...extra,
  });
const printEnv = ['-e', 'process.stdout.write(JSON.stringify(process.env))'];

describe('CommandExecutor', () => {
  it("passes Barbeque's variables, the job's env and PATH, and none of Grill's secrets", async () => {
    const result = await executor().run(def([node, ...printEnv], { env: { FOO: 'bar' } }), { ...inv, revision: 'v3' });
    expect(result.status).toBe('success');
    const env = JSON.parse(result.stdout);
    expect(env).toMatchObject({
      BARBEQUE_JOB: 'NotifyAuthor',
      BARBEQUE_MESSAGE: '{"n":12345678901234567890}',
      BARBEQUE_MESSAGE_ID: inv.messageId,
      BARBEQUE_QUEUE_NAME: 'default',
      BARBEQUE_RETRY_COUNT: '2',
      BARBEQUE_SENT_TIMESTAMP: '1764756000123',
      BARBEQUE_REVISION: 'v3',
      FOO: 'bar',
      PATH: process.env.PATH,
    });
    expect(env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
  });

  it('leaves BARBEQUE_REVISION unset when the app is not pinned', async () => {
    const env = JSON.parse((await executor().run(def([node, ...printEnv]), inv)).stdout);
    expect(env.BARBEQUE_REVISION).toBeUndefined();
  });

  it('never runs the command through a shell', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grill-shell-'));
    const marker = join(dir, 'pwned');
    const result = await executor().run(def(['/bin/echo', `hi; touch ${marker}`, '$(id)']), inv);
    expect(result.stdout).toBe(`hi; touch ${marker} $(id)\n`);
    expect(() => readFileSync(marker)).toThrow();
  });

  it('reports failed with stderr for a non-zero exit', async () => {
    const result = await executor().run(def([node, '-e', 'console.error("bad"); process.exit(2)']), inv);
    expect(result).toEqual({ status: 'failed', stdout: '', stderr: 'bad\n' });
  });

  it('reports error when the program does not exist', async () => {
    const result = await executor().run(def(['/no/such/program']), inv);
    expect(result.status).toBe('error');
    expect(result.stderr).toContain('ENOENT');
  });

  it('kills a job past its timeout and reports failed', async () => {
    const started = Date.now();
    const result = await executor({ killGraceMs: 200 }).run(
      def([node, '-e', 'setTimeout(() => {}, 60000)'], { timeoutSeconds: 1 }),
      inv,
    );
    expect(result.status).toBe('failed');
    expect(result.stderr).toContain("killed after the job's 1 s timeout");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('kills with SIGKILL a job that ignores SIGTERM', async () => {
    const result = await executor({ killGraceMs: 200 }).run(
      def([node, '-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { timeoutSeconds: 1 }),
      inv,
    );
    expect(result.status).toBe('failed');
  });

  it('keeps only the tail of a large output and says so', async () => {
    const result = await executor({ outputCapBytes: 1000 }).run(
      def([node, '-e', 'process.stdout.write("a".repeat(5000) + "END")']),
      inv,
    );
    expect(result.stdout).toMatch(/^\[grill\] output truncated: the first 4003 bytes were dropped\n/);
    expect(result.stdout.endsWith('aEND')).toBe(true);
  });
});

describe('CommandExecutor and the processes a job leaves behind', () => {
  /** Running, not a zombie waiting for a reaper that this sandbox's init may not be. */
  const isAlive = (pid: number) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return !/^\d+ \(.*\) [ZX]/.test(stat);
    } catch {
      return false;
    }
  };
  const settle = () => new Promise((r) => setTimeout(r, 100));

  it('ends the run when the job exits, and kills what it left running in the background', async () => {
    const started = Date.now();
    const result = await executor().run(def(['/bin/sh', '-c', 'sleep 30 & echo $!']), inv);
    expect(result.status).toBe('success');
    expect(Date.now() - started).toBeLessThan(5000);
    await settle();
    expect(isAlive(Number(result.stdout.trim()))).toBe(false);
  });

  it('kills the whole process group at the timeout', async () => {
    const result = await executor({ killGraceMs: 200 }).run(
      def(['/bin/sh', '-c', 'sleep 30 & echo $!; sleep 30'], { timeoutSeconds: 1 }),
      inv,
    );
    expect(result.status).toBe('failed');
    await settle();
    expect(isAlive(Number(result.stdout.trim()))).toBe(false);
  });

  it('stops every job in flight on cancelAll, and ends their runs error', async () => {
    const ex = executor();
    const running = ex.run(def([node, '-e', 'setTimeout(() => {}, 30000)']), inv);
    await new Promise((r) => setTimeout(r, 200));
    ex.cancelAll();
    const result = await running;
    expect(result.status).toBe('error');
    expect(result.stderr).toContain('Grill stopped while the job was running');
  });

  it('kills a job that ignores SIGTERM after cancelAll, so none outlives Grill', async () => {
    const ex = executor();
    const running = ex.run(def([node, '-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)']), inv);
    await new Promise((r) => setTimeout(r, 300));
    ex.cancelAll(200);
    expect((await running).status).toBe('error');
  });

  it('reports error, saying why, when the environment is too large for the kernel', async () => {
    const huge = { ...inv, message: new RawJson(JSON.stringify('x'.repeat(200 * 1024))) };
    const result = await executor().run(def(['/bin/true']), huge);
    expect(result.status).toBe('error');
    expect(result.stderr).toContain('E2BIG');
  });
});

describe('TailBuffer', () => {
  it('starts the kept text at a character, not inside a cut UTF-8 sequence', () => {
    const b = new TailBuffer(9);
    b.push(Buffer.from('😀😀😀')); // 12 bytes: the cut falls inside the first emoji
    expect(b.text()).toBe('[grill] output truncated: the first 3 bytes were dropped\n😀😀');
  });

  it('keeps everything under the cap, unmarked', () => {
    const b = new TailBuffer(10);
    b.push(Buffer.from('abc'));
    b.push(Buffer.from('def'));
    expect(b.text()).toBe('abcdef');
  });

  it('drops whole and partial chunks from the front', () => {
    const b = new TailBuffer(4);
    for (const s of ['ab', 'cd', 'efg']) b.push(Buffer.from(s));
    expect(b.text()).toBe('[grill] output truncated: the first 3 bytes were dropped\ndefg');
  });
});
