/**
 * JSON text that must travel untouched. `JSON.parse` turns 12345678901234567890
 * into 12345678901234567000; a job's message must come back with every digit,
 * so Grill keeps the message as JSON text and only ever splices that text.
 */
export class RawJson {
  /** `text` is one valid, compact JSON value. */
  constructor(readonly text: string) {}
  toJSON(): never {
    throw new Error('RawJson must be serialized with stringifyWithRaw');
  }
}

/**
 * Reads the members of a top-level JSON object, giving each value both parsed
 * (for validation) and as compact raw text (whitespace outside strings removed,
 * every other character kept). Returns undefined when `text` is valid JSON but
 * not an object; throws SyntaxError when it is not valid JSON.
 */
export function parseObjectMembers(text: string): Map<string, { value: unknown; raw: string }> | undefined {
  const parsed: unknown = JSON.parse(text); // validates fully; the scan below may then trust the syntax
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const members = new Map<string, { value: unknown; raw: string }>();
  let i = skipWs(text, 0) + 1; // past '{'
  for (;;) {
    i = skipWs(text, i);
    if (text[i] === '}') break;
    if (text[i] === ',') i = skipWs(text, i + 1);
    const keyEnd = endOfString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWs(text, keyEnd) + 1; // past ':'
    i = skipWs(text, i);
    const valueEnd = endOfValue(text, i);
    // Later duplicates win, as in JSON.parse.
    members.set(key, { value: (parsed as Record<string, unknown>)[key], raw: compact(text.slice(i, valueEnd)) });
    i = valueEnd;
  }
  return members;
}

/** JSON.stringify for a flat object whose RawJson values are spliced in as they are. */
export function stringifyWithRaw(obj: Record<string, unknown>): string {
  const parts = Object.entries(obj).map(
    ([k, v]) => `${JSON.stringify(k)}:${v instanceof RawJson ? v.text : JSON.stringify(v ?? null)}`,
  );
  return `{${parts.join(',')}}`;
}

/** Removes insignificant whitespace from valid JSON text, keeping every other character. */
export function compact(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"') {
      const end = endOfString(text, i);
      out += text.slice(i, end);
      i = end;
    } else {
      if (!isWs(c)) out += c;
      i++;
    }
  }
  return out;
}

const isWs = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

function skipWs(text: string, i: number): number {
  while (isWs(text[i])) i++;
  return i;
}

/** `i` is at an opening quote; returns the index just past the closing one. */
function endOfString(text: string, i: number): number {
  let j = i + 1;
  while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
  return j + 1;
}

/** `i` is at the first character of a value; returns the index just past it. */
function endOfValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return endOfString(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    let j = i;
    do {
      const d = text[j];
      if (d === '"') {
        j = endOfString(text, j);
        continue;
      }
      if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') depth--;
      j++;
    } while (depth > 0);
    return j;
  }
  let j = i;
  while (j < text.length && !',}] \t\n\r'.includes(text[j] as string)) j++;
  return j;
}
