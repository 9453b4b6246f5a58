import { COMMAND_NAMES, type Command, type CommandName } from './types.ts';
import { tooDeep, MAX_JSON_DEPTH } from './json-depth.ts';

export type Decoded =
  | { ok: true; pong: true }
  | { ok: true; pong?: false; id: number; name: CommandName; body: Record<string, unknown> }
  /** `fatal`: the frame cannot be read past this point (the connection is closed with 3501). */
  | { ok: false; id: number | undefined; message: string; fatal?: boolean };

const names = new Set<string>(COMMAND_NAMES);

/**
 * Splits one text frame into its commands (newline-separated JSON objects) and checks the envelope:
 * exactly one known command field whose value is an object, and a positive integer id (only `send`
 * may omit it). Bodies are checked by each command. Pure: no I/O.
 */
export function decodeFrame(text: string): Decoded[] {
  const out: Decoded[] = [];
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line.length > 0) out.push(decodeLine(line));
  }
  return out;
}

function decodeLine(line: string): Decoded {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { ok: false, id: undefined, message: 'malformed JSON' };
  }
  return checkCommand(v);
}

/**
 * The envelope check shared by every encoding (JSON lines, Protobuf's JSON-shaped commands): an
 * object, nested at most MAX_JSON_DEPTH levels, with exactly one known command field whose value is
 * an object, and a positive integer id (only `send` may omit it). `{}` is a pong.
 */
export function checkCommand(v: unknown): Decoded {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { ok: false, id: undefined, message: 'a command must be a JSON object' };
  const obj = v as Record<string, unknown>;
  if (tooDeep(obj, MAX_JSON_DEPTH + 2)) {
    const id = Number.isSafeInteger(obj.id) && (obj.id as number) > 0 ? (obj.id as number) : undefined;
    return { ok: false, id, message: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` };
  }
  // 0 is protobuf's default (no id): treat it as absent, as the JSON of a `send` may carry it.
  const rawId = obj.id === 0 ? undefined : obj.id;
  const id = Number.isSafeInteger(rawId) && (rawId as number) > 0 ? (rawId as number) : undefined;
  let name: CommandName | undefined;
  let empty = true;
  // for…in over a parsed object (own keys only: JSON and the Protobuf decoder make plain objects), no key array per command.
  for (const k in obj) {
    empty = false;
    if (k === 'id') continue;
    if (rawId !== undefined && id === undefined) break;
    if (!names.has(k)) return { ok: false, id, message: `unknown command "${k.slice(0, 40)}"` };
    if (name) return { ok: false, id, message: 'one command per object' };
    name = k as CommandName;
  }
  if (empty) return { ok: true, pong: true };
  if (rawId !== undefined && id === undefined) return { ok: false, id: undefined, message: 'id must be a positive integer' };
  if (!name) return { ok: false, id, message: 'no command' };
  const body = obj[name];
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { ok: false, id, message: `${name} must be an object` };
  if (id === undefined && name !== 'send') return { ok: false, id, message: 'id is required' };
  return { ok: true, id: id ?? 0, name, body: body as Record<string, unknown> };
}

export type { Command };
