import { type Deps, delayUntil, iso } from './deps.ts';
import { type Execution, LOST_RUN, type Retry } from './execution.ts';
import { jobExecutionBody, jobRetryBody } from './messages.ts';

/**
 * Recovery when a single-process Grill (local mode) starts again. Its queue
 * emulator kept messages in memory, so every `pending` execution or retry gets
 * its message again, with whatever delay it had left; this is safe, because a
 * duplicate delivery never runs a job twice. Anything still `running` was
 * running in the process that stopped, so it can never finish: it ends `error`.
 */
export async function recoverAfterRestart(deps: Deps): Promise<{ resent: number; lost: number }> {
  let resent = 0;
  let lost = 0;
  const now = deps.clock.now();
  for await (const item of deps.store.listUnfinished()) {
    if (item.status === 'pending') {
      await resend(deps, item, delayUntil(item.dueAt, now));
      resent++;
    } else if (item.status === 'running') {
      if (isRetry(item)) await deps.store.finishRetry(item, 'running', LOST_RUN, iso(now));
      else await deps.store.finish(item.messageId, 'running', LOST_RUN, iso(now));
      lost++;
    }
  }
  if (resent + lost > 0) deps.log.warn('recovered after restart', { resent, lost });
  return { resent, lost };
}

const isRetry = (item: Execution | Retry): item is Retry => 'parentId' in item;

async function resend(deps: Deps, item: Execution | Retry, delaySeconds: number): Promise<void> {
  if (isRetry(item)) {
    const found = await deps.store.get(item.parentId);
    if (!found) return;
    await deps.queue.send(found.execution.queue, jobRetryBody(item.parentId, item.messageId), delaySeconds);
  } else {
    await deps.queue.send(item.queue, jobExecutionBody(item), delaySeconds);
  }
}
