import { type ChildProcess, spawn } from 'node:child_process';
import type { RunResult } from '../../domain/execution.ts';
import type { Executor, JobDefinition, JobInvocation } from '../../domain/ports.ts';
import { TailBuffer } from './output-buffer.ts';

export interface CommandExecutorOptions {
  /** Working directory of every job process. */
  readonly cwd: string;
  /** Bytes of stdout and of stderr kept per run. */
  readonly outputCapBytes?: number;
  /** After the timeout, SIGTERM; after this grace, SIGKILL. */
  readonly killGraceMs?: number;
  /**
   * Variables passed through from Grill's own environment. Only these: a job
   * must not see Grill's credentials or settings by accident.
   */
  readonly inheritEnv?: readonly string[];
  readonly baseEnv?: NodeJS.ProcessEnv;
}

export const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'NODE_EXTRA_CA_CERTS'] as const;

/** How long output still in the pipes is read after the job's process has exited. */
const DRAIN_MS = 500;

/**
 * Runs a job as a local process, from its argv and never through a shell,
 * with Barbeque's environment variables. Exit 0 is `success`, any other exit
 * or a timeout is `failed`, a process that cannot start is `error`.
 *
 * Each job runs in a process group of its own, like a container: when its
 * process exits (or is killed at the timeout), whatever it left running in the
 * group is killed too, so a backgrounded child can neither hold the run open
 * nor outlive it.
 */
export class CommandExecutor implements Executor {
  private readonly running = new Set<ChildProcess>();
  private readonly cancelled = new WeakSet<ChildProcess>();

  constructor(private readonly options: CommandExecutorOptions) {}

  run(def: JobDefinition, inv: JobInvocation): Promise<RunResult> {
    const cap = this.options.outputCapBytes ?? 32 * 1024;
    const stdout = new TailBuffer(cap);
    const stderr = new TailBuffer(cap);
    const [file, ...args] = def.command;
    let child: ChildProcess;
    try {
      child = spawn(file as string, args, {
        cwd: this.options.cwd,
        env: this.environment(def, inv),
        shell: false,
        detached: true, // a process group of its own, see above
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      // Some failures (E2BIG: an environment too large for the kernel) throw instead of emitting.
      return Promise.resolve({ status: 'error', stdout: '', stderr: `${cannotStartNote(err)}\n` });
    }
    this.running.add(child);
    return new Promise<RunResult>((resolve) => {
      let timedOut = false;
      let settled = false;
      let killTimer: NodeJS.Timeout | undefined;
      const settle = (result: Omit<RunResult, 'stdout' | 'stderr'>, note?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(killTimer);
        this.running.delete(child);
        if (note) stderr.push(Buffer.from(`${note}\n`));
        resolve({ ...result, stdout: stdout.text(), stderr: stderr.text() });
      };
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child, 'SIGTERM');
        killTimer = setTimeout(() => killGroup(child, 'SIGKILL'), this.options.killGraceMs ?? 5000);
      }, def.timeoutSeconds * 1000);
      child.stdout?.on('data', (c: Buffer) => stdout.push(c));
      child.stderr?.on('data', (c: Buffer) => stderr.push(c));
      child.on('error', (err) => settle({ status: 'error' }, cannotStartNote(err)));
      child.on('exit', (code, signal) => {
        killGroup(child, 'SIGKILL');
        const [status, note] = this.cancelled.has(child)
          ? (['error', '[grill] Grill stopped while the job was running, and stopped the job'] as const)
          : timedOut
            ? (['failed', `[grill] killed after the job's ${def.timeoutSeconds} s timeout`] as const)
            : code === 0
              ? (['success', undefined] as const)
              : (['failed', signal ? `[grill] the process was killed by ${signal}` : undefined] as const);
        // Output may still sit in the pipes: read it until they close, for a moment at most.
        const done = () => settle({ status }, note);
        const drain = setTimeout(done, DRAIN_MS);
        child.once('close', () => {
          clearTimeout(drain);
          done();
        });
      });
    });
  }

  /**
   * Stops every job in flight (Grill is shutting down): SIGTERM, then SIGKILL
   * after `killAfterMs` for a job that ignores it. Each of those runs ends `error`.
   */
  cancelAll(killAfterMs = 1000): void {
    const children = [...this.running];
    for (const child of children) {
      this.cancelled.add(child);
      killGroup(child, 'SIGTERM');
    }
    if (children.length === 0) return;
    setTimeout(() => {
      for (const child of children) killGroup(child, 'SIGKILL');
    }, killAfterMs);
  }

  private environment(def: JobDefinition, inv: JobInvocation): NodeJS.ProcessEnv {
    const base = this.options.baseEnv ?? process.env;
    const env: NodeJS.ProcessEnv = {};
    for (const name of this.options.inheritEnv ?? INHERITED_ENV) {
      if (base[name] !== undefined) env[name] = base[name];
    }
    Object.assign(env, def.env, {
      BARBEQUE_JOB: inv.job,
      BARBEQUE_MESSAGE: inv.message.text,
      BARBEQUE_MESSAGE_ID: inv.messageId,
      BARBEQUE_QUEUE_NAME: inv.queueName,
      BARBEQUE_RETRY_COUNT: String(inv.retryCount),
      BARBEQUE_SENT_TIMESTAMP: String(inv.sentTimestamp),
    });
    if (inv.revision !== null) env.BARBEQUE_REVISION = inv.revision;
    return env;
  }
}

function cannotStartNote(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = err instanceof Error ? err.message : String(err);
  const hint = code === 'E2BIG' ? ' (the message and environment are too large for the kernel)' : '';
  return `[grill] could not start the command: ${reason}${hint}`;
}

/** Signals the job's whole process group; it may be gone already. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: nothing left in the group.
  }
}
