import type { Deps } from './deps.ts';
import { InvalidParameterError, NotFoundError } from './errors.ts';
import type { Execution, Retry } from './execution.ts';
import { isMessageId } from './names.ts';
import type { RawJson } from './raw-json.ts';

const DEFAULT_FIELDS = ['message_id', 'status', 'id'] as const;
/** Every field `?fields=` may name, besides `__default__`. */
export const SHOW_FIELDS = [
  ...DEFAULT_FIELDS,
  'html_url',
  'message',
  'application',
  'job',
  'queue',
  'created_at',
  'started_at',
  'finished_at',
  'retries',
  'stdout',
  'stderr',
] as const;
export type ShowField = (typeof SHOW_FIELDS)[number];

/** Parses Barbeque's `fields` parameter: a comma list where `__default__` stands for the default three. */
export function parseFields(param: string | undefined): ShowField[] {
  if (param === undefined || param.trim() === '') return [...DEFAULT_FIELDS];
  const out = new Set<ShowField>();
  for (const raw of param.split(',')) {
    const name = raw.trim();
    if (name === '') continue; // `fields=message,` as a client may build it
    if (name === '__default__') {
      for (const f of DEFAULT_FIELDS) out.add(f);
    } else if ((SHOW_FIELDS as readonly string[]).includes(name)) {
      out.add(name as ShowField);
    } else {
      throw new InvalidParameterError(
        `unknown field ${JSON.stringify(name)} in fields; known: __default__, ${SHOW_FIELDS.join(', ')}`,
      );
    }
  }
  return [...out];
}

/** The execution's chosen fields, in the order asked; `message` stays raw JSON text. */
export async function show(
  deps: Deps,
  messageId: string,
  fields: readonly ShowField[],
): Promise<Record<string, unknown>> {
  // Barbeque's route only matched UUIDs: anything else is simply not found.
  const found = isMessageId(messageId) ? await deps.store.get(messageId) : undefined;
  if (!found) throw new NotFoundError(`no job execution has message_id "${messageId}"`);
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = fieldValue(deps, found.execution, found.retries, f);
  return out;
}

function fieldValue(deps: Deps, e: Execution, retries: readonly Retry[], f: ShowField): unknown | RawJson {
  switch (f) {
    case 'message_id':
      return e.messageId;
    case 'status':
      return e.status;
    case 'id':
      return e.id;
    case 'html_url':
      return e.id === null ? null : `${deps.settings.consoleUrl}/job_executions/${e.messageId}`;
    case 'message':
      return e.message;
    case 'application':
      return e.application;
    case 'job':
      return e.job;
    case 'queue':
      return e.queue;
    case 'created_at':
      return e.createdAt;
    case 'started_at':
      return e.startedAt;
    case 'finished_at':
      return e.finishedAt;
    case 'retries':
      return retries.map((r) => ({
        message_id: r.messageId,
        status: r.status,
        created_at: r.createdAt,
        finished_at: r.finishedAt,
      }));
    case 'stdout':
      return e.stdout;
    case 'stderr':
      return e.stderr;
  }
}
