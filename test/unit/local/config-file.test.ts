import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigFileError, loadConfigFile, parseConfig } from '../../../lambdas/local/config-file.ts';

const valid = {
  queues: [{ name: 'default' }],
  apps: [{ name: 'blog', jobs: [{ job: 'NotifyAuthor', command: ['node', 'x.mjs'], timeout_seconds: 60 }] }],
};

describe('the local config file', () => {
  it('reads queues and job definitions, with defaults', () => {
    const c = parseConfig({ ...valid, apps: [{ name: 'blog', jobs: [{ job: 'J', command: ['true'] }] }] }, '/base');
    expect(c.queues).toEqual([{ name: 'default' }]);
    expect(c.apps[0]?.jobs[0]).toEqual({
      application: 'blog',
      job: 'J',
      executor: 'command',
      command: ['true'],
      timeoutSeconds: 600,
      env: {},
    });
    expect(c.baseDir).toBe('/base');
  });

  it('ships a repository config that is valid', () => {
    expect(loadConfigFile('grill.config.json').apps.length).toBeGreaterThan(0);
  });

  it.each([
    [{ ...valid, queues: [] }, 'queues: must list at least one queue'],
    [{ ...valid, queues: [{ name: 'bad/name' }] }, 'queues[0].name'],
    [{ ...valid, queues: [{ name: 'a' }, { name: 'a' }] }, '"a" is listed twice'],
    [{ ...valid, apps: [{ name: 'blog', jobs: [{ job: 'J', command: [] }] }] }, 'apps[0].jobs[0].command'],
    [{ ...valid, apps: [{ name: 'blog', jobs: [{ job: 'J', command: 'node x.mjs' }] }] }, 'apps[0].jobs[0].command'],
    [
      { ...valid, apps: [{ name: 'blog', jobs: [{ job: 'J', command: ['x'], timeout_seconds: 0 }] }] },
      'timeout_seconds',
    ],
    [{ ...valid, apps: [{ name: 'blog', jobs: [{ job: 'J', command: ['x'], timeout: 5 }] }] }, 'apps[0].jobs[0]'],
    [{ ...valid, extra: true }, '(top level): unknown field "extra"'],
    [{ ...valid, queues: [{ name: 'q', batch_size: 11 }] }, 'queues[0].batch_size: must be an integer from 1 to 10'],
    [{ ...valid, queues: [{ name: 'q', max_concurrency: 1 }] }, 'queues[0].max_concurrency: must be an integer from 2'],
    [{ ...valid, queues: [{ name: 'x' }, { name: 'x-dlq' }] }, `"x-dlq" is the name of "x"'s DLQ`],
    [
      {
        ...valid,
        apps: [
          {
            name: 'b',
            jobs: [
              { job: 'J', command: ['x'] },
              { job: 'J', command: ['y'] },
            ],
          },
        ],
      },
      'apps[0].jobs: "J" is listed twice',
    ],
    [
      {
        ...valid,
        apps: [
          { name: 'b', jobs: [] },
          { name: 'b', jobs: [] },
        ],
      },
      'apps: "b" is listed twice',
    ],
    [{ ...valid, apps: [{ name: 'b', jobs: [{ job: 'J' }] }] }, 'apps[0].jobs[0].command: is required'],
    [{}, 'queues: is required'],
    [{ ...valid, apps: [{ name: 'b', jobs: [{ job: 'J', command: ['x'], env: { 'A=B': '1' } }] }] }, 'names must be'],
  ])('names the bad field: %j', (json, field) => {
    expect(() => parseConfig(json, '/base', 'grill.config.json')).toThrow(ConfigFileError);
    expect(() => parseConfig(json, '/base', 'grill.config.json')).toThrow(field);
  });

  it('says when the file is missing or not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'grill-config-'));
    expect(() => loadConfigFile(join(dir, 'missing.json'))).toThrow(/cannot read the config file/);
    writeFileSync(join(dir, 'bad.json'), '{ nope');
    expect(() => loadConfigFile(join(dir, 'bad.json'))).toThrow(/not valid JSON/);
  });
});
