import { InvalidParameterError } from './errors.ts';

/** SQS's alphabet for queue names, used for application, job and queue names alike. */
export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

/** A lowercase v4 UUID, as Grill generates for every message_id. */
export const MESSAGE_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export const isName = (value: string) => NAME_PATTERN.test(value);
export const isMessageId = (value: string) => MESSAGE_ID_PATTERN.test(value);

/** Throws `invalid_parameter` naming the field unless `value` is a valid name. */
export function assertName(field: string, value: string): void {
  if (!isName(value)) {
    throw new InvalidParameterError(`${field} must be 1 to 80 characters of letters, digits, '-' and '_'`);
  }
}
