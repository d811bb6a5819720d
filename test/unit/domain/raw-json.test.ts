import { describe, expect, it } from 'vitest';
import { compact, parseObjectMembers, RawJson, stringifyWithRaw } from '../../../lambdas/domain/raw-json.ts';

describe('parseObjectMembers', () => {
  it('keeps every digit of a large integer in the raw text', () => {
    const m = parseObjectMembers('{"message": {"id": 12345678901234567890123}}');
    expect(m?.get('message')?.raw).toBe('{"id":12345678901234567890123}');
  });

  it('keeps strings intact, including escapes, braces and spaces inside them', () => {
    const text = '{ "a" : "x }\\" ,{ y" , "b":[ 1 , "]" ] }';
    const m = parseObjectMembers(text);
    expect(m?.get('a')?.raw).toBe('"x }\\" ,{ y"');
    expect(m?.get('b')?.raw).toBe('[1,"]"]');
    expect(m?.get('b')?.value).toEqual([1, ']']);
  });

  it('reads scalars, nulls and empty containers', () => {
    const m = parseObjectMembers('{"t":true,"f":false,"n":null,"num":-1.5e3,"o":{},"l":[]}');
    expect([...(m?.entries() ?? [])].map(([k, v]) => [k, v.raw])).toEqual([
      ['t', 'true'],
      ['f', 'false'],
      ['n', 'null'],
      ['num', '-1.5e3'],
      ['o', '{}'],
      ['l', '[]'],
    ]);
  });

  it('lets a later duplicate key win, as JSON.parse does', () => {
    expect(parseObjectMembers('{"a":1,"a":2}')?.get('a')?.raw).toBe('2');
  });

  it('returns undefined for JSON that is not an object', () => {
    for (const text of ['[1]', '"s"', '3', 'null']) expect(parseObjectMembers(text)).toBeUndefined();
  });

  it('throws on text that is not JSON', () => {
    for (const text of ['', '{', '{"a":}', "{'a':1}"]) expect(() => parseObjectMembers(text)).toThrow(SyntaxError);
  });
});

describe('stringifyWithRaw', () => {
  it('splices raw JSON in as it is and serializes the rest', () => {
    expect(stringifyWithRaw({ a: 'x', m: new RawJson('{"n":12345678901234567890}'), z: null })).toBe(
      '{"a":"x","m":{"n":12345678901234567890},"z":null}',
    );
  });

  it('refuses to serialize RawJson through JSON.stringify, which would lose it', () => {
    expect(() => JSON.stringify({ m: new RawJson('1') })).toThrow();
  });
});

describe('compact', () => {
  it('removes whitespace outside strings only', () => {
    expect(compact(' { "a b" : [ 1 ,\n\t2 ] } ')).toBe('{"a b":[1,2]}');
  });
});
