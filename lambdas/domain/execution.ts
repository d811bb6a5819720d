import type { RawJson } from './raw-json.ts';

/**
 * `pending` → `running` → `success` | `failed` | `error`; a finished execution
 * that is retried is `retried` until its retry ends, then takes the retry's status.
 */
export type Status = 'pending' | 'running' | 'success' | 'failed' | 'error' | 'retried';
export type FinalStatus = 'success' | 'failed' | 'error';

export const FINAL_STATUSES: readonly FinalStatus[] = ['success', 'failed', 'error'];
export const isFinal = (s: Status): s is FinalStatus => (FINAL_STATUSES as readonly string[]).includes(s);

/** One enqueued job, keyed by its `messageId`. Times are ISO-8601 UTC strings. */
export interface Execution {
  readonly messageId: string;
  readonly application: string;
  readonly job: string;
  readonly queue: string;
  /** The message exactly as enqueued, as compact JSON text. */
  readonly message: RawJson;
  readonly status: Status;
  /** Given when a worker first takes the execution; null while pending. */
  readonly id: number | null;
  readonly createdAt: string;
  /** When the message becomes visible to workers (createdAt + delay_seconds). */
  readonly dueAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly stdout: string | null;
  readonly stderr: string | null;
  /** How many retries were made; the next retry's BARBEQUE_RETRY_COUNT is this + 1. */
  readonly retryCount: number;
}

/**
 * A retry of an execution: its own message_id and status. Its output becomes
 * the execution's output, which always shows the latest run.
 */
export interface Retry {
  readonly messageId: string;
  readonly parentId: string;
  readonly status: Exclude<Status, 'retried'>;
  /** 1 for the first retry: BARBEQUE_RETRY_COUNT of the run. */
  readonly retryCount: number;
  readonly createdAt: string;
  readonly dueAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

/** What a run of a job produced. */
export interface RunResult {
  readonly status: FinalStatus;
  readonly stdout: string;
  readonly stderr: string;
}

/** The result of a run whose worker was lost (Grill stopped, or the run outlived its deadline). */
export const LOST_RUN: RunResult = {
  status: 'error',
  stdout: '',
  stderr: '[grill] lost track of the run: its worker stopped before recording how the job ended',
};
