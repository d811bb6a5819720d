import { describe, expect, it } from 'vitest';
import { InvalidParameterError, NotFoundError } from '../../../lambdas/domain/errors.ts';
import { parseFields, show } from '../../../lambdas/domain/show.ts';
import { memoryDeps } from '../../fixtures/deps.ts';

describe('parseFields', () => {
  it('defaults to message_id, status and id', () => {
    expect(parseFields(undefined)).toEqual(['message_id', 'status', 'id']);
    expect(parseFields('')).toEqual(['message_id', 'status', 'id']);
  });

  it('expands __default__ in place and keeps the order asked', () => {
    expect(parseFields('html_url,__default__,message')).toEqual(['html_url', 'message_id', 'status', 'id', 'message']);
  });

  it('ignores repeats, spaces and empty entries', () => {
    expect(parseFields(' status , status,id')).toEqual(['status', 'id']);
    expect(parseFields('message,')).toEqual(['message']);
  });

  it('rejects an unknown field with invalid_parameter naming it', () => {
    expect(() => parseFields('__default__,secret')).toThrow(InvalidParameterError);
    expect(() => parseFields('secret')).toThrow(/"secret"/);
  });
});

describe('show', () => {
  it('answers not found for an id that is not a UUID, without a lookup', async () => {
    const { deps } = await memoryDeps();
    await expect(show(deps, '../etc/passwd', ['status'])).rejects.toThrow(NotFoundError);
  });
});
