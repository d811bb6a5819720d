import type { Node } from 'constructs';
import { loadConfigFile, parseQueueList } from '../lambdas/local/config-file.ts';
import type { QueueDef } from '../lambdas/runtime/queues.ts';
import type { GrillSettings } from './grill-stack.ts';

/**
 * The queues of a stage that declares none in context: those of the config
 * file local mode runs (GRILL_CONFIG, default grill.config.json), so that the
 * queues tried locally are the queues deployed.
 */
const configFileQueues = (): readonly QueueDef[] =>
  loadConfigFile(process.env.GRILL_CONFIG ?? 'grill.config.json').queues;

/**
 * Reads a stage's settings from CDK context (`cdk.json` or `-c key=value`):
 * `queues` (in the config file's format; default: the config file's), `consoleUrl`, `verifyEnqueuedJobs`, `idBlockSize`.
 * Values given with `-c` arrive as strings, so JSON values are parsed here.
 */
export function stageSettings(node: Node): GrillSettings {
  return {
    queues: contextQueues(node) ?? configFileQueues(),
    consoleUrl: consoleUrl(node),
    verifyEnqueuedJobs: parse(node, 'verifyEnqueuedJobs') as boolean | undefined,
    idBlockSize: idBlockSize(node),
  };
}

/** `-c queues=…` takes the config file's format: `[{"name":"q","max_concurrency":10}]`. */
function contextQueues(node: Node): QueueDef[] | undefined {
  const value = parse(node, 'queues');
  return value === undefined ? undefined : parseQueueList(value, 'context "queues"');
}

/** The functions check their settings at start; the same checks here fail the synth instead of every invocation. */
function consoleUrl(node: Node): string | undefined {
  const value: unknown = node.tryGetContext('consoleUrl');
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !URL.canParse(value)) {
    throw new Error(`Context "consoleUrl" must be an absolute URL, not ${JSON.stringify(value)}`);
  }
  return value;
}

function idBlockSize(node: Node): number | undefined {
  const value = parse(node, 'idBlockSize');
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 10_000) {
    throw new Error(`Context "idBlockSize" must be an integer from 1 to 10000, not ${JSON.stringify(value)}`);
  }
  return value;
}

function parse(node: Node, key: string): unknown {
  const value: unknown = node.tryGetContext(key);
  if (typeof value !== 'string') {
    return value;
  }
  try {
    return JSON.parse(value);
  } catch {
    throw new Error(`Context "${key}" is not valid JSON: ${value}`);
  }
}
