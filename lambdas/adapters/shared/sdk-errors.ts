import { UnavailableError } from '../../domain/errors.ts';

const TRANSIENT = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
]);

/**
 * Runs one SDK call and translates what the caller must not see: throttling,
 * timeouts and dropped connections become `UnavailableError` (HTTP 503, or a
 * redelivery on the queue side); SDK error types never reach a handler.
 */
export async function sdkCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isTransient(err)) throw new UnavailableError(`${what} is unavailable; try again`, { cause: err });
    throw err;
  }
}

export function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as Error & {
    code?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: { throttling?: boolean };
  };
  if (TRANSIENT.has(e.name) || (e.code && TRANSIENT.has(e.code)) || e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

export const isConditionFailed = (err: unknown) =>
  err instanceof Error && err.name === 'ConditionalCheckFailedException';
