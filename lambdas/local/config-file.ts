import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as z from 'zod/mini';
import { NAME_PATTERN } from '../domain/names.ts';
import type { JobDefinition } from '../domain/ports.ts';
import type { QueueDef } from '../runtime/queues.ts';

const name = z.string().check(z.regex(NAME_PATTERN, "must be 1 to 80 characters of letters, digits, '-' and '_'"));

const fileSchema = z.strictObject({
  queues: z
    .array(
      z.strictObject({
        name: z
          .string()
          .check(
            z.regex(
              /^[A-Za-z0-9_-]{1,76}$/,
              "must be 1 to 76 characters of letters, digits, '-' and '_' (the DLQ adds '-dlq')",
            ),
          ),
        max_receive_count: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
        // Lambda's event source takes 2..1000, and the deployed queues come from this file too.
        max_concurrency: z.optional(z.int().check(z.minimum(2), z.maximum(1000))),
        batch_size: z.optional(z.int().check(z.minimum(1), z.maximum(10))),
      }),
    )
    .check(z.minLength(1, 'must list at least one queue')),
  apps: z.optional(
    z.array(
      z.strictObject({
        name,
        jobs: z.array(
          z.strictObject({
            job: name,
            command: z.array(z.string().check(z.minLength(1))).check(z.minLength(1, 'must be a non-empty argv array')),
            timeout_seconds: z.optional(z.int().check(z.minimum(1), z.maximum(900))),
            env: z.optional(z.record(z.string(), z.string())),
          }),
        ),
      }),
    ),
  ),
});

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
  const result = fileSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = (issue?.path ?? [])
      .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
      .join('');
    throw new ConfigFileError(`${source}: ${path || '(top level)'}: ${issue?.message ?? 'invalid'}`);
  }
  const c = result.data;
  const dup = firstDuplicate(c.queues.map((q) => q.name));
  if (dup) throw new ConfigFileError(`${source}: queues: "${dup}" is listed twice`);
  return {
    baseDir,
    queues: c.queues.map((q) => ({
      name: q.name,
      ...(q.max_receive_count ? { maxReceiveCount: q.max_receive_count } : {}),
      ...(q.max_concurrency ? { maxConcurrency: q.max_concurrency } : {}),
      ...(q.batch_size ? { batchSize: q.batch_size } : {}),
    })),
    apps: (c.apps ?? []).map((a) => ({
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

function firstDuplicate(names: string[]): string | undefined {
  return names.find((n, i) => names.indexOf(n) !== i);
}
