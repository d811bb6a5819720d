import type { Clock, ExecutionStore, Executor, IdAllocator, Ids, JobCatalog, JobQueue } from './ports.ts';

/** A structured logger (Powertools' Logger fits). Attributes never hold message bodies. */
export interface Log {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

/** Everything the use cases need, built once per execution environment. */
export interface Deps {
  readonly store: ExecutionStore;
  readonly queue: JobQueue;
  readonly catalog: JobCatalog;
  readonly idAllocator: IdAllocator;
  readonly executor: Executor;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly log: Log;
  readonly settings: Settings;
}

export interface Settings {
  /** Base URL of the console, without a trailing slash. */
  readonly consoleUrl: string;
  /** Reject enqueues of an application/job pair that has no job definition. */
  readonly verifyEnqueuedJobs: boolean;
}

export const iso = (d: Date) => d.toISOString();

/** Clamps seconds until `dueAt` into SQS's 0..900 delay. */
export function delayUntil(dueAt: string, now: Date): number {
  const s = Math.ceil((Date.parse(dueAt) - now.getTime()) / 1000);
  return Math.min(900, Math.max(0, s));
}
