/**
 * Grill's error codes and the domain errors that carry them. The domain knows
 * nothing of HTTP: `lambdas/http/errors.ts` maps each code to a status.
 */
export type ErrorCode =
  | 'invalid_parameter'
  | 'invalid_json'
  | 'record_not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'service_unavailable'
  | 'internal_error';

export class GrillError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class InvalidParameterError extends GrillError {
  constructor(message: string) {
    super('invalid_parameter', message);
  }
}

export class InvalidJsonError extends GrillError {
  constructor(message: string) {
    super('invalid_json', message);
  }
}

export class NotFoundError extends GrillError {
  constructor(message: string) {
    super('record_not_found', message);
  }
}

export class ConflictError extends GrillError {
  constructor(message: string) {
    super('conflict', message);
  }
}

/** A dependency (DynamoDB, SQS) is throttling, timing out or down: try again later. */
export class UnavailableError extends GrillError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('service_unavailable', message, options);
  }
}

/**
 * A queue message that can never be processed (unparseable, unknown type, no
 * such execution). The consumer leaves it on the queue so that SQS moves it to
 * the dead-letter queue after its last receive, instead of dropping it.
 */
export class PoisonMessageError extends Error {
  override name = 'PoisonMessageError';
}
