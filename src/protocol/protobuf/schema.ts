import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

/**
 * client.proto, parsed once by protobufjs (field names kept in snake_case, as the JSON encoding
 * spells them), plus a flat table per message that the strict decoder (decode.ts) walks and the
 * encoder (encode.ts) uses to turn JSON-shaped objects into protobufjs message objects.
 * The .proto file is the one source of field names and numbers.
 */
const source = readFileSync(new URL('./client.proto', import.meta.url), 'utf8');
export const root = protobuf.parse(source, { keepCase: true }).root;
root.resolveAll();

export const PKG = 'centrifugal.centrifuge.protocol';
export const typeOf = (name: string): protobuf.Type => root.lookupType(`${PKG}.${name}`);

/** How a value is read off the wire. Only the kinds client.proto uses are supported. */
export const enum Kind { Uint32, Int32, Uint64, Int64, Bool, String, Bytes, Message }

export interface FieldPlan {
  name: string;
  kind: Kind;
  /** The wire type the field must arrive with (0 varint, 2 length-delimited). */
  wire: 0 | 2;
  repeated: boolean;
  /** For a map field, the kind and message of its values (keys are always strings here). */
  map: boolean;
  valueKind: Kind;
  msg: MessagePlan | undefined;
  /** A `bytes` field carried as raw bytes rather than as the UTF-8 text of a JSON value. */
  rawBytes: boolean;
}

export interface MessagePlan {
  name: string;
  /** Fields indexed by field number (sparse). */
  byNumber: (FieldPlan | undefined)[];
  /** Fields by (snake_case) name, on a null-prototype object. */
  byName: Record<string, FieldPlan | undefined>;
  fields: FieldPlan[];
}

const kinds: Record<string, Kind> = {
  uint32: Kind.Uint32, int32: Kind.Int32, uint64: Kind.Uint64, int64: Kind.Int64,
  bool: Kind.Bool, string: Kind.String, bytes: Kind.Bytes,
};

/** The only `bytes` fields that are not JSON payloads: the emulation body carries encoded Commands. */
const RAW_BYTES = new Set(['EmulationRequest.data']);

const plans = new Map<string, MessagePlan>();

/** The decoding/encoding table of one message of client.proto (built once, shared). */
export function planOf(name: string): MessagePlan {
  const found = plans.get(name);
  if (found) return found;
  const type = typeOf(name);
  const plan: MessagePlan = { name, byNumber: [], byName: Object.create(null), fields: [] };
  plans.set(name, plan); // before the fields: a message may (indirectly) contain itself
  for (const f of type.fieldsArray) {
    const map = f instanceof protobuf.MapField;
    if (map && (f as protobuf.MapField).keyType !== 'string') throw new Error(`${name}.${f.name}: only string map keys are supported`);
    const valueKind = f.resolvedType ? Kind.Message : kinds[f.type];
    if (valueKind === undefined) throw new Error(`${name}.${f.name}: unsupported type ${f.type}`);
    if (f.repeated && valueKind !== Kind.Message) throw new Error(`${name}.${f.name}: repeated scalars are not supported`);
    const msg = f.resolvedType ? planOf(f.resolvedType.name) : undefined;
    const fp: FieldPlan = {
      name: f.name,
      kind: map ? Kind.Message : valueKind,
      wire: map || valueKind >= Kind.String ? 2 : 0,
      repeated: f.repeated,
      map,
      valueKind,
      msg,
      rawBytes: RAW_BYTES.has(`${name}.${f.name}`),
    };
    plan.byNumber[f.id] = fp;
    plan.byName[f.name] = fp;
    plan.fields.push(fp);
  }
  return plan;
}
