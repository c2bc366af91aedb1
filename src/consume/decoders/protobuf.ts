/**
 * Protobuf body → JSON (FEATURES §13). protobufjs loads the `.proto` (and its imports) when the
 * capability starts; a schema that does not parse, or names no message, fails the start. The message
 * type is the `outputSchema` fragment (`file.proto#pkg.Message`) [extension], else the first message the
 * file declares (what Jackson's `ProtobufSchemaLoader` takes). Field names stay as declared.
 *
 * JSON shape (`toObject` with defaults): missing scalars get their defaults, repeated fields `[]`, enums
 * their names, bytes base64, 64-bit integers a number when safe, else a decimal string.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createRequire } from 'node:module';
import type * as Protobuf from 'protobufjs';
import { DecodeError, isStackOverflow } from './errors.js';

let lib: typeof Protobuf | undefined;
const protobufjs = (): typeof Protobuf => (lib ??= createRequire(import.meta.url)('protobufjs') as typeof Protobuf);

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/** `outputSchema` → the .proto path and the optional `#pkg.Message` fragment. */
export function splitProtoSchema(outputSchema: string): { file: string; message?: string } {
  const hash = outputSchema.lastIndexOf('#');
  if (hash === -1 || existsSync(outputSchema)) return { file: outputSchema };
  const message = outputSchema.slice(hash + 1).replace(/^\./, '');
  return message ? { file: outputSchema.slice(0, hash), message } : { file: outputSchema.slice(0, hash) };
}

export function prepareProtobuf(outputSchema: string): (body: Buffer) => Record<string, unknown> {
  const pb = protobufjs();
  const { file, message } = splitProtoSchema(outputSchema);
  let root: Protobuf.Root;
  try {
    root = new pb.Root().loadSync(file, { keepCase: true });
    root.resolveAll();
  } catch (e) {
    throw new Error(`Protobuf schema ${file} cannot be loaded: ${(e as Error).message}`);
  }
  let type: Protobuf.Type;
  if (message !== undefined) {
    try {
      type = root.lookupType(message);
    } catch {
      throw new Error(`Protobuf schema ${file} declares no message "${message}" (outputSchema fragment #${message})`);
    }
  } else {
    const first = firstMessage(pb, root, file);
    if (!first) throw new Error(`Protobuf schema ${file} declares no message`);
    type = first;
  }
  const options: Protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, defaults: true };
  return (body) => {
    const reader = pb.Reader.create(body);
    let decoded: Protobuf.Message;
    try {
      decoded = type.decode(reader);
    } catch (e) {
      if (isStackOverflow(e)) throw new DecodeError('protobuf', 'messages nest too deeply to decode');
      const msg = (e as Error).message;
      const at = /at offset (\d+)/.exec(msg);
      // a missing required field is found once the message is read: no position to give
      const offset = at ? Number(at[1]) : e instanceof pb.util.ProtocolError ? undefined : Math.min(reader.pos, body.length);
      throw new DecodeError('protobuf', `${msg.replace(/ at offset \d+/, '')} (message ${type.fullName.replace(/^\./, '')})`, offset === undefined ? undefined : { offset });
    }
    return safeLongs(pb, type, type.toObject(decoded, options));
  };
}

/** The first message type declared in `file` (depth first, in declaration order). */
function firstMessage(pb: typeof Protobuf, root: Protobuf.Root, file: string): Protobuf.Type | undefined {
  const wanted = resolve(file);
  let fallback: Protobuf.Type | undefined;
  const stack: Protobuf.ReflectionObject[] = [...root.nestedArray].reverse();
  while (stack.length) {
    const obj = stack.pop()!;
    if (obj instanceof pb.Type) {
      if (obj.filename && resolve(obj.filename) === wanted) return obj;
      fallback ??= obj;
    }
    if (obj instanceof pb.Namespace) for (let i = obj.nestedArray.length - 1; i >= 0; i--) stack.push(obj.nestedArray[i]!);
  }
  return fallback;
}

/** 64-bit fields (strings from toObject) → numbers where that loses nothing. Iterative. */
function safeLongs(pb: typeof Protobuf, type: Protobuf.Type, root: Record<string, unknown>): Record<string, unknown> {
  const work: [Protobuf.Type, Record<string, unknown>][] = [[type, root]];
  while (work.length) {
    const [t, obj] = work.pop()!;
    for (const field of t.fieldsArray) {
      const v = obj[field.name];
      if (v === null || v === undefined) continue;
      const isMap = (field as unknown as { map?: boolean }).map === true;
      if (LONG_TYPES.has(field.type) && !field.resolvedType) {
        if (Array.isArray(v)) obj[field.name] = v.map(safeLong);
        else if (isMap) for (const k of Object.keys(v as object)) (v as Record<string, unknown>)[k] = safeLong((v as Record<string, unknown>)[k]);
        else obj[field.name] = safeLong(v);
      } else if (field.resolvedType instanceof pb.Type) {
        const sub = field.resolvedType;
        const values = Array.isArray(v) ? v : isMap ? Object.values(v as object) : [v];
        for (const item of values) if (item && typeof item === 'object') work.push([sub, item as Record<string, unknown>]);
      }
    }
  }
  return root;
}

function safeLong(v: unknown): unknown {
  if (typeof v !== 'string' || !/^-?[0-9]+$/.test(v)) return v;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}
