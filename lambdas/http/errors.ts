import type { ErrorCode } from '../domain/errors.ts';

/** The one table from error code to HTTP status (API.md). */
export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  invalid_parameter: 400,
  invalid_json: 400,
  record_not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  service_unavailable: 503,
  internal_error: 500,
};

/** Seconds a client should wait before trying a 503 again. */
export const RETRY_AFTER_SECONDS = 1;

export interface ErrorBody {
  readonly status_code: number;
  readonly error_code: ErrorCode;
  readonly message: string;
}

/**
 * An error and the chain of its causes, for logs. Adapters wrap SDK errors in
 * safe domain errors (a throttle becomes `UnavailableError`); the client sees
 * only the safe message, but operators need the original underneath it.
 */
export function describeError(err: unknown, options: { stack?: boolean } = {}): string {
  const parts: string[] = [];
  // A few levels are plenty; the bound guards against a cause that refers back.
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 5; depth++) {
    parts.push(String((options.stack && e instanceof Error && e.stack) || e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join('\ncaused by: ');
}

export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { status_code: STATUS_BY_CODE[code], error_code: code, message };
}
