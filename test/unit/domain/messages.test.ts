import { describe, expect, it } from 'vitest';
import { PoisonMessageError } from '../../../lambdas/domain/errors.ts';
import { jobExecutionBody, jobRetryBody, parseQueueMessage } from '../../../lambdas/domain/messages.ts';
import { RawJson } from '../../../lambdas/domain/raw-json.ts';

const ID = '44b34792-99c2-4165-b0a7-97ba8cb67701';
const RETRY = '8f5cbe66-8dee-433e-ba90-30cbf36eddfe';

describe('queue message bodies', () => {
  it("writes Barbeque's JobExecution body plus Grill's MessageId, the message embedded as JSON", () => {
    const body = jobExecutionBody({
      application: 'blog',
      job: 'NotifyAuthor',
      message: new RawJson('{"n":1}'),
      messageId: ID,
    });
    expect(body).toBe(
      `{"Type":"JobExecution","Application":"blog","Job":"NotifyAuthor","Message":{"n":1},"MessageId":"${ID}"}`,
    );
    expect(parseQueueMessage(body)).toEqual({ type: 'JobExecution', messageId: ID });
  });

  it('writes and reads a JobRetry body', () => {
    expect(parseQueueMessage(jobRetryBody(ID, RETRY))).toEqual({ type: 'JobRetry', parentId: ID, retryId: RETRY });
  });

  it.each([
    ['not JSON', 'hello'],
    ['JSON null', 'null'],
    ['an unknown Type', '{"Type":"Other"}'],
    ['a JobExecution without MessageId', '{"Type":"JobExecution","Application":"a","Job":"b","Message":{}}'],
    ['a MessageId that is not a UUID', '{"Type":"JobExecution","MessageId":"x"}'],
    ['a JobRetry without RetryMessageId', `{"Type":"JobRetry","MessageId":"${RETRY}"}`],
  ])('treats %s as a poison message', (_, body) => {
    expect(() => parseQueueMessage(body)).toThrow(PoisonMessageError);
  });
});
