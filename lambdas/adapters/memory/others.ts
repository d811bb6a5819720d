import { NotFoundError } from '../../domain/errors.ts';
import type { App, IdAllocator, JobCatalog, JobDefinition, JobQueue } from '../../domain/ports.ts';

/** JobQueue in memory: records what was sent, for unit tests. */
export class MemoryJobQueue implements JobQueue {
  readonly sent: { queue: string; body: string; delaySeconds: number }[] = [];
  constructor(private readonly names: readonly string[]) {}
  has(queue: string): boolean {
    return this.names.includes(queue);
  }
  async send(queue: string, body: string, delaySeconds: number): Promise<void> {
    this.sent.push({ queue, body, delaySeconds });
  }
}

export class MemoryJobCatalog implements JobCatalog {
  private readonly apps = new Map<string, { revision: string | null; jobs: Map<string, JobDefinition> }>();
  async getApp(name: string): Promise<App | undefined> {
    const a = this.apps.get(name);
    return a && { name, revision: a.revision };
  }
  async getJob(application: string, job: string): Promise<JobDefinition | undefined> {
    return this.apps.get(application)?.jobs.get(job);
  }
  async putApp(name: string, jobs: readonly JobDefinition[]): Promise<void> {
    const revision = this.apps.get(name)?.revision ?? null;
    this.apps.set(name, { revision, jobs: new Map(jobs.map((j) => [j.job, j])) });
  }
  async lockRevision(app: string, revision: string): Promise<void> {
    this.existing(app).revision = revision;
  }
  async unlockRevision(app: string): Promise<void> {
    this.existing(app).revision = null;
  }
  private existing(app: string) {
    const a = this.apps.get(app);
    if (!a) throw new NotFoundError(`no application is named "${app}"`);
    return a;
  }
}

export class MemoryIdAllocator implements IdAllocator {
  private last = 0;
  async next(): Promise<number> {
    return ++this.last;
  }
}
