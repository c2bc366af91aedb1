/**
 * Avro body → JSON (FEATURES §13). The `outputSchema` `.avsc` is parsed with avsc when the capability
 * starts (a bad schema fails the start). The body is one binary-encoded datum of that schema; a body
 * that starts with the Object Container File magic `Obj\x01` is decoded as a container instead, with the
 * schema the file carries, and gives an array of its records [extension].
 *
 * JSON shape: records → objects, unions → the branch's value, `bytes`/`fixed` → base64, `long` → a
 * number when it is a safe integer, else a decimal string, enums → the symbol.
 *
 * avsc parses and checks the schema; the bytes are read by the small schema-driven reader below rather
 * than avsc's, which trusts block counts (a hostile count makes it loop for minutes or exhaust memory)
 * and reports no byte offsets. Every count here is checked against the bytes left, nesting is bounded,
 * and errors name the byte offset.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { inflateRawSync } from 'node:zlib';
import type * as Avsc from 'avsc';
import { DecodeError, setOwn } from './errors.js';

let lib: typeof Avsc | undefined;
const avsc = (): typeof Avsc => (lib ??= createRequire(import.meta.url)('avsc') as typeof Avsc);

/** Deepest nesting of records, arrays, maps and unions a datum may have. */
export const MAX_AVRO_DEPTH = 500;
/** Most items of zero-width types (null, empty records) one body may hold. */
const MAX_EMPTY_ITEMS = 1_000_000;
/** Most bytes a deflate-compressed container may inflate to. */
const MAX_INFLATED_BYTES = 256 * 1024 * 1024;
const CONTAINER_MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]);

/** The parts of an avsc Type that the reader uses. */
interface AvroType {
  readonly typeName: string;
  readonly fields?: readonly { readonly name: string; readonly type: AvroType }[];
  readonly itemsType?: AvroType;
  readonly valuesType?: AvroType;
  readonly types?: readonly AvroType[];
  readonly symbols?: readonly string[];
  readonly size?: number;
  readonly underlyingType?: AvroType;
}

export function prepareAvro(schemaPath: string): (body: Buffer) => unknown {
  let text: string;
  try {
    text = readFileSync(schemaPath, 'utf8');
  } catch (e) {
    throw new Error(`Avro schema ${schemaPath} cannot be read: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`Avro schema ${schemaPath} is not JSON: ${(e as Error).message}`);
  }
  const type = parseSchema(json, (m) => new Error(`Avro schema ${schemaPath} is not a valid Avro schema: ${m}`));
  const writers = new Map<string, AvroType>();
  return (body) => {
    if (body.length >= 4 && body.subarray(0, 4).equals(CONTAINER_MAGIC)) return readContainer(body, writers);
    const reader = new AvroReader(body);
    const value = reader.datum(type);
    if (reader.pos < body.length) throw new DecodeError('avro', `${body.length - reader.pos} bytes follow the datum (the body must be one datum of the schema)`, { offset: reader.pos });
    return value;
  };
}

function parseSchema(schema: unknown, error: (message: string) => Error): AvroType {
  try {
    return avsc().Type.forSchema(schema as Avsc.Schema) as unknown as AvroType;
  } catch (e) {
    throw error((e as Error).message);
  }
}

/** Object Container File: header (magic, metadata map, sync marker), then blocks of records. */
function readContainer(body: Buffer, writers: Map<string, AvroType>): unknown[] {
  const r = new AvroReader(body);
  r.pos = 4;
  const meta = new Map<string, Buffer>();
  r.blocks((at) => {
    const key = r.text();
    meta.set(key, r.bytes());
    void at;
  }, 1);
  const sync = r.raw(16);
  const codec = meta.get('avro.codec')?.toString('utf8') || 'null';
  if (codec !== 'null' && codec !== 'deflate') throw new DecodeError('avro', `container codec "${codec}" is not supported (null and deflate are)`);
  const schemaText = meta.get('avro.schema')?.toString('utf8');
  if (schemaText === undefined) throw new DecodeError('avro', 'the container header has no avro.schema');
  let writer = writers.get(schemaText);
  if (!writer) {
    let json: unknown;
    try {
      json = JSON.parse(schemaText);
    } catch {
      throw new DecodeError('avro', 'the container schema (avro.schema) is not JSON');
    }
    writer = parseSchema(json, (m) => new DecodeError('avro', `the container schema (avro.schema) is not valid: ${m}`));
    if (writers.size < 8) writers.set(schemaText, writer);
  }
  const records: unknown[] = [];
  let inflated = 0;
  while (r.pos < body.length) {
    const blockAt = r.pos;
    const count = r.count();
    const size = r.count();
    let data = r.raw(size);
    if (codec === 'deflate') {
      try {
        data = inflateRawSync(data, { maxOutputLength: MAX_INFLATED_BYTES - inflated });
      } catch (e) {
        throw new DecodeError('avro', `the block cannot be inflated: ${(e as Error).message}`, { offset: blockAt });
      }
      inflated += data.length;
    }
    const block = new AvroReader(data, r.emptyItems);
    for (let i = 0; i < count; i++) {
      if (block.pos >= data.length && minBytes(writer) > 0) throw new DecodeError('avro', `the block declares ${count} records but holds ${i}`, { offset: blockAt });
      const start = block.pos;
      records.push(block.datum(writer));
      if (block.pos === start && ++block.emptyItems > MAX_EMPTY_ITEMS) throw new DecodeError('avro', `more than ${MAX_EMPTY_ITEMS} empty records`, { offset: blockAt });
    }
    r.emptyItems = block.emptyItems;
    if (block.pos !== data.length) throw new DecodeError('avro', `the block holds ${data.length - block.pos} bytes more than its ${count} records`, { offset: blockAt });
    const markerAt = r.pos;
    if (!r.raw(16).equals(sync)) throw new DecodeError('avro', 'the sync marker after the block does not match the header', { offset: markerAt });
  }
  return records;
}

const minBytesMemo = new WeakMap<AvroType, number>();

/** Fewest bytes a datum of this type takes (0 for null and records of such fields). */
function minBytes(t: AvroType): number {
  const known = minBytesMemo.get(t);
  if (known !== undefined) return known;
  minBytesMemo.set(t, 0); // a record reaching itself again adds nothing more
  let n: number;
  switch (t.typeName) {
    case 'null':
      n = 0;
      break;
    case 'float':
      n = 4;
      break;
    case 'double':
      n = 8;
      break;
    case 'fixed':
      n = t.size ?? 0;
      break;
    case 'record':
    case 'error':
      n = (t.fields ?? []).reduce((sum, f) => sum + minBytes(f.type), 0);
      break;
    default:
      n = t.underlyingType ? minBytes(t.underlyingType) : 1;
  }
  minBytesMemo.set(t, n);
  return n;
}

class AvroReader {
  pos = 0;
  private depth = 0;

  constructor(
    private readonly buf: Buffer,
    public emptyItems = 0,
  ) {}

  datum(t: AvroType): unknown {
    switch (t.typeName) {
      case 'null':
        return null;
      case 'boolean': {
        const b = this.byte();
        if (b > 1) this.fail(`invalid boolean byte ${b}`, this.pos - 1);
        return b === 1;
      }
      case 'int': {
        const at = this.pos;
        const n = this.long();
        if (typeof n !== 'number' || n < -2147483648 || n > 2147483647) this.fail('int out of range', at);
        return n;
      }
      case 'long':
      case 'abstract:long':
        return this.long();
      case 'float':
        return this.need(4).readFloatLE(this.pos - 4);
      case 'double':
        return this.need(8).readDoubleLE(this.pos - 8);
      case 'bytes':
        return this.bytes().toString('base64');
      case 'string':
        return this.text();
      case 'fixed':
        return this.raw(t.size ?? 0).toString('base64');
      case 'enum': {
        const at = this.pos;
        const i = this.long();
        const symbol = typeof i === 'number' ? t.symbols?.[i] : undefined;
        if (symbol === undefined) this.fail(`enum index ${i} is out of range`, at);
        return symbol;
      }
      case 'union:wrapped':
      case 'union:unwrapped': {
        const at = this.pos;
        const i = this.long();
        const branch = typeof i === 'number' ? t.types?.[i] : undefined;
        if (!branch) this.fail(`union branch ${i} is out of range`, at);
        return this.nested(() => this.datum(branch));
      }
      case 'record':
      case 'error':
        return this.nested(() => {
          const out: Record<string, unknown> = {};
          for (const f of t.fields ?? []) setOwn(out, f.name, this.datum(f.type));
          return out;
        });
      case 'array':
        return this.nested(() => {
          const items: unknown[] = [];
          this.blocks(() => items.push(this.datum(t.itemsType!)), minBytes(t.itemsType!));
          return items;
        });
      case 'map':
        return this.nested(() => {
          const out: Record<string, unknown> = {};
          this.blocks(() => {
            const key = this.text();
            setOwn(out, key, this.datum(t.valuesType!));
          }, 1);
          return out;
        });
      default:
        if (t.underlyingType) return this.datum(t.underlyingType);
        return this.fail(`unsupported Avro type ${t.typeName}`, this.pos);
    }
  }

  /** Array/map blocks: a count (negative: followed by the block's byte size), items, until a zero count. */
  blocks(item: (at: number) => void, itemMinBytes: number): void {
    for (;;) {
      const at = this.pos;
      let n = this.count(true);
      if (n === 0) return;
      if (n < 0) {
        n = -n;
        this.count();
      }
      if (itemMinBytes > 0 && n * itemMinBytes > this.buf.length - this.pos) this.fail(`a block declares ${n} items but the body ends first`, at);
      if (itemMinBytes === 0 && (this.emptyItems += n) > MAX_EMPTY_ITEMS) this.fail(`more than ${MAX_EMPTY_ITEMS} empty items`, at);
      for (let i = 0; i < n; i++) item(this.pos);
    }
  }

  /** A long used as a count or size: a safe, non-negative number (negative allowed for block counts). */
  count(signed = false): number {
    const at = this.pos;
    const n = this.long();
    if (typeof n !== 'number' || (!signed && n < 0)) this.fail(`invalid count ${n}`, at);
    return n;
  }

  /** Zig-zag varint; a number when it is a safe integer, else its decimal string. */
  long(): number | string {
    const at = this.pos;
    let n = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      const b = this.byte();
      n += (b & 0x7f) * mul;
      if (!(b & 0x80)) return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
      mul *= 128;
    }
    this.pos = at;
    let u = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (shift > 63n) this.fail('varint longer than 10 bytes', at);
      const b = this.byte();
      u |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    u &= 0xffffffffffffffffn;
    const v = (u >> 1n) ^ -(u & 1n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  }

  bytes(): Buffer {
    return this.raw(this.count());
  }

  text(): string {
    return this.bytes().toString('utf8');
  }

  raw(n: number): Buffer {
    this.need(n);
    return this.buf.subarray(this.pos - n, this.pos);
  }

  private need(n: number): Buffer {
    if (n > this.buf.length - this.pos) this.fail(`the body ends ${n - (this.buf.length - this.pos)} bytes short of the datum`, this.buf.length);
    this.pos += n;
    return this.buf;
  }

  private byte(): number {
    if (this.pos >= this.buf.length) this.fail('the body ends in the middle of the datum', this.buf.length);
    return this.buf[this.pos++]!;
  }

  private nested<T>(read: () => T): T {
    if (++this.depth > MAX_AVRO_DEPTH) this.fail(`values nest deeper than ${MAX_AVRO_DEPTH} levels`, this.pos);
    try {
      return read();
    } finally {
      this.depth--;
    }
  }

  private fail(message: string, offset: number): never {
    throw new DecodeError('avro', message, { offset });
  }
}
