import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as z from 'zod/mini';
import { NAME_PATTERN } from '../domain/names.ts';
import type { JobDefinition } from '../domain/ports.ts';
import { dlqName, type QueueDef } from '../runtime/queues.ts';

const NAME_RULE = "must be 1 to 80 characters of letters, digits, '-' and '_'";
const name = z.string({ error: NAME_RULE }).check(z.regex(NAME_PATTERN, NAME_RULE));
/** An integer in a range, with one message for every way it can be wrong. */
const int = (min: number, max: number) => {
  const error = `must be an integer from ${min} to ${max}`;
  return z.int({ error }).check(z.minimum(min, error), z.maximum(max, error));
};
const QUEUE_NAME_RULE = "must be 1 to 76 characters of letters, digits, '-' and '_' (the DLQ adds '-dlq')";

const queueSchema = z.strictObject({
  name: z.string({ error: QUEUE_NAME_RULE }).check(z.regex(/^[A-Za-z0-9_-]{1,76}$/, QUEUE_NAME_RULE)),
  max_receive_count: z.optional(int(1, 1000)),
  // Lambda's event source takes 2..1000, and the deployed queues come from this file too.
  max_concurrency: z.optional(int(2, 1000)),
  batch_size: z.optional(int(1, 10)),
});
const queuesSchema = z
  .array(queueSchema, { error: 'must be a list of queues' })
  .check(z.minLength(1, 'must list at least one queue'));

const ARGV_RULE = 'must be a non-empty array of non-empty strings (argv, no shell)';
const fileSchema = z.strictObject(
  {
    queues: queuesSchema,
    apps: z.optional(
      z.array(
        z.strictObject({
          name,
          jobs: z.array(
            z.strictObject({
              job: name,
              command: z
                .array(z.string({ error: ARGV_RULE }).check(z.minLength(1, ARGV_RULE)), { error: ARGV_RULE })
                .check(z.minLength(1, ARGV_RULE)),
              timeout_seconds: z.optional(int(1, 900)),
              env: z.optional(
                z.record(
                  z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'names must be [A-Za-z_][A-Za-z0-9_]*')),
                  z.string({ error: 'must map names to string values' }),
                  {
                    error: (issue) =>
                      issue.code === 'invalid_key'
                        ? 'names must be [A-Za-z_][A-Za-z0-9_]*'
                        : 'must be an object of string values',
                  },
                ),
              ),
            }),
            { error: 'must be a list of jobs' },
          ),
        }),
        { error: 'must be a list of apps' },
      ),
    ),
  },
  { error: 'must be a JSON object with "queues" and "apps"' },
);

/** The local config file (`grill.config.json`), checked, with paths resolved. */
export interface GrillConfig {
  readonly queues: readonly QueueDef[];
  readonly apps: readonly { readonly name: string; readonly jobs: readonly JobDefinition[] }[];
  /** Jobs' working directory: the config file's own folder, so relative paths in commands work. */
  readonly baseDir: string;
}

export const DEFAULT_TIMEOUT_SECONDS = 600;

export class ConfigFileError extends Error {
  override name = 'ConfigFileError';
}

export function loadConfigFile(path: string): GrillConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigFileError(`cannot read the config file ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigFileError(`the config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseConfig(json, dirname(resolve(path)), path);
}

/** Checks a config object; the error names the first bad field, e.g. `apps[0].jobs[1].command`. */
export function parseConfig(json: unknown, baseDir: string, source = 'config'): GrillConfig {
  const c = check(fileSchema, json, source);
  const queues = toQueueDefs(c.queues, source);
  const apps = c.apps ?? [];
  const dupApp = firstDuplicate(apps.map((a) => a.name));
  if (dupApp) throw new ConfigFileError(`${source}: apps: "${dupApp}" is listed twice`);
  apps.forEach((a, i) => {
    const dupJob = firstDuplicate(a.jobs.map((j) => j.job));
    if (dupJob) throw new ConfigFileError(`${source}: apps[${i}].jobs: "${dupJob}" is listed twice`);
  });
  return {
    baseDir,
    queues,
    apps: apps.map((a) => ({
      name: a.name,
      jobs: a.jobs.map((j) => ({
        application: a.name,
        job: j.job,
        executor: 'command' as const,
        command: j.command,
        timeoutSeconds: j.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS,
        env: j.env ?? {},
      })),
    })),
  };
}

/** Checks a list of queues in the config file's format (also what `cdk deploy -c queues=…` takes). */
export function parseQueueList(json: unknown, source: string): QueueDef[] {
  return toQueueDefs(check(queuesSchema, json, source), source);
}

function toQueueDefs(queues: z.infer<typeof queuesSchema>, source: string): QueueDef[] {
  const names = queues.map((q) => q.name);
  const dup = firstDuplicate(names);
  if (dup) throw new ConfigFileError(`${source}: queues: "${dup}" is listed twice`);
  const clash = names.find((n) => names.includes(dlqName(n)));
  if (clash) throw new ConfigFileError(`${source}: queues: "${dlqName(clash)}" is the name of "${clash}"'s DLQ`);
  return queues.map((q) => ({
    name: q.name,
    ...(q.max_receive_count ? { maxReceiveCount: q.max_receive_count } : {}),
    ...(q.max_concurrency ? { maxConcurrency: q.max_concurrency } : {}),
    ...(q.batch_size ? { batchSize: q.batch_size } : {}),
  }));
}

function check<T>(schema: z.ZodMiniType<T>, json: unknown, source: string): T {
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = (issue?.path ?? [])
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
  let problem = issue?.message ?? 'is invalid';
  if (issue?.code === 'unrecognized_keys') problem = `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  else if (issue?.code === 'invalid_type' && valueAt(json, issue.path) === undefined) problem = 'is required';
  throw new ConfigFileError(`${source}: ${path || '(top level)'}: ${problem}`);
}

function valueAt(json: unknown, path: readonly PropertyKey[]): unknown {
  let v = json;
  for (const key of path)
    v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

function firstDuplicate(names: string[]): string | undefined {
  return names.find((n, i) => names.indexOf(n) !== i);
}
