import { PoisonMessageError } from './errors.ts';
import type { Execution } from './execution.ts';
import { isMessageId } from './names.ts';
import { stringifyWithRaw } from './raw-json.ts';

/**
 * The SQS message bodies. A JobExecution body is Barbeque's, plus the
 * execution's `MessageId` (Grill writes the row before sending, so the id
 * cannot be SQS's own message id as in Barbeque).
 */
export function jobExecutionBody(e: Pick<Execution, 'application' | 'job' | 'message' | 'messageId'>): string {
  return asciiJson(
    stringifyWithRaw({
      Type: 'JobExecution',
      Application: e.application,
      Job: e.job,
      Message: e.message,
      MessageId: e.messageId,
    }),
  );
}

/**
 * Writes every non-ASCII character of JSON text as a \uXXXX escape: the same
 * JSON value, in characters SQS always carries (it refuses U+FFFE and U+FFFF,
 * and some emulators refuse astral characters). Outside strings valid JSON
 * has no non-ASCII characters, so only string contents change.
 */
export function asciiJson(text: string): string {
  return text.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function jobRetryBody(parentId: string, retryId: string): string {
  return JSON.stringify({ Type: 'JobRetry', RetryMessageId: parentId, MessageId: retryId });
}

export type QueueMessage =
  | { readonly type: 'JobExecution'; readonly messageId: string }
  | { readonly type: 'JobRetry'; readonly parentId: string; readonly retryId: string };

/** Parses a queue message body; throws PoisonMessageError for anything Grill cannot run. */
export function parseQueueMessage(body: string): QueueMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new PoisonMessageError('message body is not JSON');
  }
  const m = (parsed ?? {}) as Record<string, unknown>;
  if (m.Type === 'JobExecution' && typeof m.MessageId === 'string' && isMessageId(m.MessageId)) {
    return { type: 'JobExecution', messageId: m.MessageId };
  }
  if (
    m.Type === 'JobRetry' &&
    typeof m.RetryMessageId === 'string' &&
    isMessageId(m.RetryMessageId) &&
    typeof m.MessageId === 'string' &&
    isMessageId(m.MessageId)
  ) {
    return { type: 'JobRetry', parentId: m.RetryMessageId, retryId: m.MessageId };
  }
  throw new PoisonMessageError(`unsupported message (Type ${JSON.stringify(m.Type ?? null)})`);
}
