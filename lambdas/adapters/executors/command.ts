import { spawn } from 'node:child_process';
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

const DEFAULT_INHERIT = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'NODE_EXTRA_CA_CERTS'];

/**
 * Runs a job as a local process, from its argv and never through a shell,
 * with Barbeque's environment variables. Exit 0 is `success`, any other exit
 * or a timeout is `failed`, a process that cannot start is `error`.
 */
export class CommandExecutor implements Executor {
  constructor(private readonly options: CommandExecutorOptions) {}

  run(def: JobDefinition, inv: JobInvocation): Promise<RunResult> {
    const cap = this.options.outputCapBytes ?? 32 * 1024;
    const stdout = new TailBuffer(cap);
    const stderr = new TailBuffer(cap);
    const [file, ...args] = def.command;
    return new Promise<RunResult>((resolve) => {
      let timedOut = false;
      let settled = false;
      const settle = (status: RunResult['status'], note?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(killTimer);
        if (note) stderr.push(Buffer.from(`${note}\n`));
        resolve({ status, stdout: stdout.text(), stderr: stderr.text() });
      };
      let killTimer: NodeJS.Timeout | undefined;
      const child = spawn(file as string, args, {
        cwd: this.options.cwd,
        env: this.environment(def, inv),
        shell: false,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGTERM');
        killTimer = setTimeout(() => child.kill('SIGKILL'), this.options.killGraceMs ?? 5000);
      }, def.timeoutSeconds * 1000);
      child.stdout.on('data', (c: Buffer) => stdout.push(c));
      child.stderr.on('data', (c: Buffer) => stderr.push(c));
      child.on('error', (err) => settle('error', `[grill] could not start the command: ${err.message}`));
      child.on('close', (code, signal) => {
        if (timedOut) settle('failed', `[grill] killed after the job's ${def.timeoutSeconds} s timeout`);
        else if (code === 0) settle('success');
        else settle('failed', signal ? `[grill] the process was killed by ${signal}` : undefined);
      });
    });
  }

  private environment(def: JobDefinition, inv: JobInvocation): NodeJS.ProcessEnv {
    const base = this.options.baseEnv ?? process.env;
    const env: NodeJS.ProcessEnv = {};
    for (const name of this.options.inheritEnv ?? DEFAULT_INHERIT) {
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
