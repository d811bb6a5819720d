import type { Execution, Retry, RunResult } from '../../domain/execution.ts';
import { type ExecutionStore, type IdempotencyClaim, IdempotencyKeyTaken, NotInStatus } from '../../domain/ports.ts';

interface Row {
  execution: Execution;
  retries: Retry[];
  currentRetry: string | null;
}

/** ExecutionStore in memory, for unit tests; the contract suite holds it to the DynamoDB adapter's behaviour. */
export class MemoryExecutionStore implements ExecutionStore {
  private readonly rows = new Map<string, Row>();
  private readonly claims = new Map<string, IdempotencyClaim>();

  async create(e: Execution, idempotency?: IdempotencyClaim): Promise<void> {
    if (idempotency) {
      const taken = this.claims.get(idempotency.key);
      if (taken && taken.expiresAt >= Date.now() / 1000) throw new IdempotencyKeyTaken(taken);
      this.claims.set(idempotency.key, idempotency);
    }
    if (this.rows.has(e.messageId)) throw new NotInStatus(this.rows.get(e.messageId)?.execution);
    this.rows.set(e.messageId, { execution: e, retries: [], currentRetry: null });
  }

  async releaseIdempotencyKey(key: string): Promise<void> {
    this.claims.delete(key);
  }

  async get(messageId: string) {
    const row = this.rows.get(messageId);
    return row && { execution: row.execution, retries: [...row.retries] };
  }

  async take(messageId: string, id: number, startedAt: string): Promise<Execution> {
    const row = this.expect(messageId, (r) => r.execution.status === 'pending');
    row.execution = { ...row.execution, status: 'running', id, startedAt };
    return row.execution;
  }

  async finish(messageId: string, from: 'pending' | 'running', result: RunResult, finishedAt: string): Promise<void> {
    const row = this.expect(messageId, (r) => r.execution.status === from);
    row.execution = { ...row.execution, ...output(result), finishedAt };
  }

  async createRetry(parent: Execution, retry: Retry): Promise<void> {
    const row = this.expect(
      parent.messageId,
      (r) => r.execution.status === parent.status && r.execution.retryCount === parent.retryCount,
    );
    row.execution = { ...row.execution, status: 'retried', retryCount: retry.retryCount };
    row.retries.push(retry);
    row.currentRetry = retry.messageId;
  }

  async takeRetry(retry: Retry, startedAt: string): Promise<void> {
    const row = this.expectRetry(retry, 'pending', false);
    this.replaceRetry(row, { ...this.retryOf(row, retry), status: 'running', startedAt });
  }

  async finishRetry(retry: Retry, from: 'pending' | 'running', result: RunResult, finishedAt: string): Promise<void> {
    const row = this.expectRetry(retry, from, true);
    this.replaceRetry(row, { ...this.retryOf(row, retry), status: result.status, finishedAt });
    row.execution = { ...row.execution, ...output(result), finishedAt };
  }

  async *listUnfinished(): AsyncIterable<Execution | Retry> {
    for (const row of this.rows.values()) {
      const s = row.execution.status;
      if (s === 'pending' || s === 'running') yield row.execution;
      const current = row.retries.find((r) => r.messageId === row.currentRetry);
      if (s === 'retried' && current && (current.status === 'pending' || current.status === 'running')) yield current;
    }
  }

  private expect(messageId: string, condition: (row: Row) => boolean): Row {
    const row = this.rows.get(messageId);
    if (!row || !condition(row)) throw new NotInStatus(row?.execution);
    return row;
  }

  private expectRetry(retry: Retry, from: string, parentRetried: boolean): Row {
    return this.expect(
      retry.parentId,
      (r) =>
        r.currentRetry === retry.messageId &&
        (!parentRetried || r.execution.status === 'retried') &&
        this.retryOf(r, retry)?.status === from,
    );
  }

  private retryOf(row: Row, retry: Retry): Retry {
    return row.retries.find((r) => r.messageId === retry.messageId) as Retry;
  }

  private replaceRetry(row: Row, next: Retry): void {
    row.retries = row.retries.map((r) => (r.messageId === next.messageId ? next : r));
  }
}

const output = (r: RunResult) => ({ status: r.status, stdout: r.stdout, stderr: r.stderr });
