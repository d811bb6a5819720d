import * as z from 'zod/mini';
import { InvalidParameterError } from '../domain/errors.ts';
import { NAME_PATTERN } from '../domain/names.ts';

const name = z.string().check(z.regex(NAME_PATTERN));
/** SQS's own range for a message timer; `null` means absent (Barbeque's Ruby client always sends the key). */
const delaySeconds = z.optional(z.nullable(z.int().check(z.minimum(0), z.maximum(900))));

export const enqueueBody = z.object({
  application: name,
  job: name,
  queue: name,
  message: z.unknown().check(z.refine((v) => v !== null && v !== undefined)),
  delay_seconds: delaySeconds,
});

export const retryBody = z.object({ delay_seconds: delaySeconds });

/** No control characters: a NUL cannot be put in BARBEQUE_REVISION, and no version, alias or image tag has any. */
const printable = (s: string) => [...s].every((c) => c >= ' ' && c !== '\x7f');

export const revisionLockBody = z.object({
  revision: z.string().check(z.minLength(1), z.maxLength(255), z.refine(printable)),
});

const NAME_RULE = "a string of 1 to 80 characters of letters, digits, '-' and '_'";
/** What each field must be, for error messages that tell the client how to fix the request. */
const RULES: Record<string, string> = {
  application: NAME_RULE,
  job: NAME_RULE,
  queue: NAME_RULE,
  message: 'any JSON value except null',
  delay_seconds: 'an integer from 0 to 900',
  revision: 'a string of 1 to 255 characters, without control characters',
};

/** Validates `input` against `schema`, or throws `invalid_parameter` naming the first bad field. */
export function parseBody<T>(schema: z.ZodMiniType<T>, input: Record<string, unknown>): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const field = String(result.error.issues[0]?.path[0] ?? 'body');
  const missing = input[field] === undefined;
  throw new InvalidParameterError(
    `${field} ${missing ? 'is required' : 'is invalid'}: it must be ${RULES[field] ?? 'valid'}`,
  );
}
