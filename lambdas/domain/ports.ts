import type { Execution, Retry, RunResult } from './execution.ts';
import type { RawJson } from './raw-json.ts';

/**
 * Where executions and their retries live. Every state change is a conditional
 * write, so two workers holding the same message can never both run it, and a
 * late writer can never overwrite a newer status.
 */
export interface ExecutionStore {
  /**
   * Writes a new `pending` execution. With `idempotency`, claims the key in the
   * same atomic write; if the key is already claimed nothing is written and
   * `IdempotencyKeyTaken` is thrown carrying the first claim.
   */
  create(execution: Execution, idempotency?: IdempotencyClaim): Promise<void>;
  /** Deletes an Idempotency-Key claim, so a request that failed can be sent again with the same key. */
  releaseIdempotencyKey(key: string): Promise<void>;
  /** The execution and its retries (oldest first), read consistently; undefined if unknown. */
  get(messageId: string): Promise<{ execution: Execution; retries: Retry[] } | undefined>;
  /**
   * `pending` → `running`, giving the execution its `id`. Throws `NotInStatus`
   * (carrying the item as it is) when the execution is not pending: a
   * duplicate delivery, or a run already ended.
   */
  take(messageId: string, id: number, startedAt: string): Promise<Execution>;
  /** `from` → a final status with output. Throws `NotInStatus` if it is no longer in `from`. */
  finish(messageId: string, from: 'pending' | 'running', result: RunResult, finishedAt: string): Promise<void>;
  /**
   * Writes a `pending` retry and moves its parent from `expectedStatus` (a final
   * status) to `retried` in one atomic write. Throws `NotInStatus` when the
   * parent changed since it was read (another retry won the race).
   */
  createRetry(parent: Execution, retry: Retry): Promise<void>;
  /** Retry `pending` → `running`. Throws `NotInStatus` when not pending. */
  takeRetry(retry: Retry, startedAt: string): Promise<void>;
  /**
   * Retry `from` → a final status, and its parent (still `retried` by this
   * retry) to the same status and output, in one atomic write. Throws
   * `NotInStatus` when the retry is no longer in `from`.
   */
  finishRetry(retry: Retry, from: 'pending' | 'running', result: RunResult, finishedAt: string): Promise<void>;
  /** Every execution and retry still `pending` or `running`: for recovery after a crash. */
  listUnfinished(): AsyncIterable<Execution | Retry>;
}

export interface IdempotencyClaim {
  readonly key: string;
  /** A digest of the request body: the same key with another body is a conflict. */
  readonly fingerprint: string;
  readonly messageId: string;
  /** Epoch seconds after which the claim is void. */
  readonly expiresAt: number;
}

/** Thrown by `ExecutionStore.create` when an Idempotency-Key is claimed already. */
export class IdempotencyKeyTaken extends Error {
  override name = 'IdempotencyKeyTaken';
  constructor(readonly claim: IdempotencyClaim) {
    super('idempotency key already used');
  }
}

/**
 * Thrown when a conditional state change finds the execution in another state
 * (or absent). It carries the execution as it is now, so that the caller needs
 * no second read to decide what the failed condition meant.
 */
export class NotInStatus extends Error {
  override name = 'NotInStatus';
  constructor(readonly current: Execution | undefined) {
    super(current ? `execution is ${current.status}` : 'execution does not exist');
  }
}

/** Hands out execution ids: positive, unique, increasing with time. */
export interface IdAllocator {
  next(): Promise<number>;
}

/** The SQS queues jobs are sent to. */
export interface JobQueue {
  /** Whether `queue` is a queue Grill knows. */
  has(queue: string): boolean;
  /** Sends one message body to the named queue, visible after `delaySeconds` (0..900). */
  send(queue: string, body: string, delaySeconds: number): Promise<void>;
}

/** An application: the unit a revision lock pins. */
export interface App {
  readonly name: string;
  /** The pinned revision, or null for the latest. */
  readonly revision: string | null;
}

/** How to run one job of one application. */
export interface JobDefinition {
  readonly application: string;
  readonly job: string;
  readonly executor: 'command';
  /** argv of the process; never run through a shell. */
  readonly command: readonly string[];
  /** The run is killed and `failed` after this long. */
  readonly timeoutSeconds: number;
  /** Extra environment variables for the process. */
  readonly env: Readonly<Record<string, string>>;
}

/** Applications and their job definitions (data, seeded from the config file). */
export interface JobCatalog {
  getApp(name: string): Promise<App | undefined>;
  getJob(application: string, job: string): Promise<JobDefinition | undefined>;
  /** Creates the app if needed and replaces the given job definitions. */
  putApp(name: string, jobs: readonly JobDefinition[]): Promise<void>;
  /** Pins an existing app to a revision; throws NotFoundError for an unknown app. */
  lockRevision(app: string, revision: string): Promise<void>;
  /** Unpins an existing app; throws NotFoundError for an unknown app. */
  unlockRevision(app: string): Promise<void>;
}

/** The facts every run of a job receives (API.md, "What a job receives"). */
export interface JobInvocation {
  readonly application: string;
  readonly job: string;
  readonly message: RawJson;
  readonly messageId: string;
  readonly queueName: string;
  readonly retryCount: number;
  /** Epoch milliseconds when the message was sent. */
  readonly sentTimestamp: number;
  /** The app's pinned revision, or null for the latest. */
  readonly revision: string | null;
}

/** Runs a job on its target and reports how it ended. Never throws for a job's own failure. */
export interface Executor {
  run(definition: JobDefinition, invocation: JobInvocation): Promise<RunResult>;
}

export interface Clock {
  now(): Date;
}

export interface Ids {
  /** A new lowercase v4 UUID. */
  uuid(): string;
}
