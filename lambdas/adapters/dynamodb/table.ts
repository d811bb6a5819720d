/**
 * The single DynamoDB table's schema, read by the CDK stack, by local mode
 * (which creates the table on dynalite) and by the adapters.
 *
 * Items (pk / sk):
 * - `EXEC#<message_id>` / `EXEC`           an execution, with its retries as a list inside it: every
 *                                          state change of an execution or its retries is then a
 *                                          single-item conditional write (no transactions needed)
 * - `APP#<name>` / `APP`                   an application (revision lock)
 * - `APP#<name>` / `JOB#<job>`             a job definition
 * - `COUNTER#<name>` / `COUNTER`           an atomic counter (execution ids, reserved in blocks)
 * - `IDEMPOTENCY#<key>` / `IDEMPOTENCY`    an Idempotency-Key and the response it got
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds after which DynamoDB may delete the item. */
  ttlAttribute: 'expires_at',
} as const;

export const keys = {
  execution: (messageId: string) => ({ pk: `EXEC#${messageId}`, sk: 'EXEC' }),
  app: (name: string) => ({ pk: `APP#${name}`, sk: 'APP' }),
  job: (app: string, job: string) => ({ pk: `APP#${app}`, sk: `JOB#${job}` }),
  counter: (name: string) => ({ pk: `COUNTER#${name}`, sk: 'COUNTER' }),
  idempotency: (key: string) => ({ pk: `IDEMPOTENCY#${key}`, sk: 'IDEMPOTENCY' }),
} as const;
