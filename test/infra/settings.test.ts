/** Stage settings and their checks; none of these builds a function, so none bundles. */
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { GrillStack } from '../../lib/grill-stack.ts';
import { stageSettings } from '../../lib/stage-settings.ts';
import { useRepoTmpDir } from './tmp-dir.ts';

useRepoTmpDir();

describe('stageSettings', () => {
  it("declares the config file's queues when the context names none", () => {
    expect(stageSettings(new App().node).queues).toEqual([{ name: 'default' }]);
  });

  it('parses JSON given as a string with -c', () => {
    const app = new App({ context: { queues: '[{"name":"slow","batch_size":1}]', idBlockSize: '500' } });
    const settings = stageSettings(app.node);
    expect(settings.queues).toEqual([{ name: 'slow', batchSize: 1 }]);
    expect(settings.idBlockSize).toBe(500);
  });

  it('checks queues given in context as the config file does', () => {
    const app = new App({ context: { queues: [{ name: 'q', max_concurrency: 1 }] } });
    expect(() => stageSettings(app.node)).toThrow(
      'context "queues": [0].max_concurrency: must be an integer from 2 to 1000',
    );
  });

  it.each([
    [{ idBlockSize: '-5' }, /idBlockSize" must be an integer/],
    [{ idBlockSize: '1.5' }, /idBlockSize" must be an integer/],
    [{ consoleUrl: 'not a url' }, /consoleUrl" must be an absolute URL/],
  ])('refuses a setting the functions would refuse at start: %j', (context, message) => {
    expect(() => stageSettings(new App({ context }).node)).toThrow(message);
  });

  it('fails loudly on a setting that is not JSON', () => {
    const app = new App({ context: { queues: '[{name:' } });
    expect(() => stageSettings(app.node)).toThrow(/"queues" is not valid JSON/);
  });
});

describe('queue declarations', () => {
  it('rejects a queue declared twice', () => {
    expect(() => new GrillStack(new App(), 'Grill', { queues: [{ name: 'a' }, { name: 'a' }] })).toThrow(
      /declared twice/,
    );
  });

  it('rejects a queue name clients could not use', () => {
    expect(() => new GrillStack(new App(), 'Grill', { queues: [{ name: 'has space' }] })).toThrow(/must be 1\.\.80/);
  });

  it('rejects a stage without queues', () => {
    expect(() => new GrillStack(new App(), 'Grill', { queues: [] })).toThrow(/at least one queue/);
  });
});
