import { describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv } from '../../../lambdas/runtime/config.ts';

const base = { GRILL_TABLE_NAME: 't', GRILL_QUEUE_URLS: '{"default":"https://sqs.example/q"}' };

describe('configFromEnv', () => {
  it('reads the settings', () => {
    const c = configFromEnv({ ...base, GRILL_CONSOLE_URL: 'https://grill.example.com/', GRILL_ID_BLOCK_SIZE: '10' });
    expect(c).toMatchObject({
      tableName: 't',
      queueUrls: { default: 'https://sqs.example/q' },
      consoleUrl: 'https://grill.example.com',
      idBlockSize: 10,
      verifyEnqueuedJobs: false,
    });
  });

  it("takes Barbeque's names for the console host and job verification", () => {
    const c = configFromEnv({ ...base, BARBEQUE_HOST: 'barbeque.example.com', BARBEQUE_VERIFY_ENQUEUED_JOBS: '1' });
    expect(c.consoleUrl).toBe('https://barbeque.example.com');
    expect(c.verifyEnqueuedJobs).toBe(true);
  });

  it.each([
    [{ GRILL_TABLE_NAME: '' }, 'GRILL_TABLE_NAME must be set'],
    [{ GRILL_QUEUE_URLS: '[1]' }, 'GRILL_QUEUE_URLS must be a JSON object'],
    [{ GRILL_QUEUE_URLS: '{' }, 'GRILL_QUEUE_URLS must be a JSON object'],
    [{ GRILL_ID_BLOCK_SIZE: '0' }, 'GRILL_ID_BLOCK_SIZE must be an integer'],
    [{ GRILL_CONSOLE_URL: 'not a url' }, 'GRILL_CONSOLE_URL must be an absolute URL'],
    [{ GRILL_VERIFY_ENQUEUED_JOBS: 'maybe' }, 'GRILL_VERIFY_ENQUEUED_JOBS must be 1/true/yes or 0/false/no'],
  ])('fails at start, naming the setting: %j', (env, message) => {
    expect(() => configFromEnv({ ...base, ...env })).toThrow(ConfigError);
    expect(() => configFromEnv({ ...base, ...env })).toThrow(message);
  });
});
