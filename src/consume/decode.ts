/**
 * Upstream body → a JSON-like value, by `outputRawFormat` (SEMANTICS §5, FEATURES §13).
 *
 * `prepareDecoder` runs once per consumed operation at start-up: it loads the parser a format needs
 * (cheerio, markdown-it, avsc, protobufjs are only loaded when some operation uses them) and parses
 * avro/protobuf schemas, throwing a plain Error when a schema or selector is unusable. The decoder it
 * returns is synchronous; a body that is not valid in its format throws a DecodeError naming the format
 * and, where the parser tells it, the line/column or byte offset.
 */
import { yamlLib } from '../spec/yaml-lib.js';
import type { OutputFormat } from '../spec/model.js';
import { DecodeError, isStackOverflow, lineColumn, utf8Text } from './decoders/errors.js';
import { decodeXml } from './decoders/xml.js';
import { prepareHtml } from './decoders/html.js';
import { prepareMarkdown } from './decoders/markdown.js';
import { prepareAvro } from './decoders/avro.js';
import { prepareProtobuf } from './decoders/protobuf.js';

export { DecodeError } from './decoders/errors.js';
export type { DecodePosition } from './decoders/errors.js';

export interface DecoderOptions {
  /** avro/protobuf: absolute path of the schema file (protobuf may end in `#pkg.Message`); html: a CSS selector; markdown: a heading prefix. */
  readonly outputSchema?: string;
}

export type Decoder = (body: Buffer) => unknown;

/** Prepared once per consumed operation at start-up (schemas parsed here; throws Error with a clear message if the schema file cannot be parsed). */
export function prepareDecoder(format: OutputFormat, options: DecoderOptions = {}): Decoder {
  const f = String(format).toLowerCase() as OutputFormat;
  const schema = options.outputSchema?.trim() ? options.outputSchema : undefined;
  switch (f) {
    case 'json':
    case 'yaml':
    case 'csv':
    case 'tsv':
    case 'psv':
      return guarded(f, (body) => decodeText(f, utf8Text(body)));
    case 'xml':
      return guarded(f, decodeXml);
    case 'html':
      return guarded(f, prepareHtml(schema));
    case 'markdown':
      return guarded(f, prepareMarkdown(schema));
    case 'avro':
      if (!schema) throw new Error('outputRawFormat avro needs outputSchema: the path of an .avsc schema');
      return guarded(f, prepareAvro(schema));
    case 'protobuf':
      if (!schema) throw new Error('outputRawFormat protobuf needs outputSchema: the path of a .proto schema');
      return guarded(f, prepareProtobuf(schema));
    default:
      throw new Error(`outputRawFormat "${format}" is not decoded by naftiko-run`);
  }
}

const textDecoders = new Map<OutputFormat, Decoder>();

/** Text in a text format: the same decoders as prepareDecoder, prepared once per format. */
export function decodeBody(format: OutputFormat, text: string): unknown {
  const f = String(format).toLowerCase() as OutputFormat;
  if (f === 'avro' || f === 'protobuf') throw new Error(`outputRawFormat "${format}" cannot be decoded from text: use prepareDecoder with its outputSchema`);
  let decoder = textDecoders.get(f);
  if (!decoder) textDecoders.set(f, (decoder = prepareDecoder(f)));
  return decoder(Buffer.from(text, 'utf8'));
}

/** Any failure of a decoder becomes a DecodeError (a library's own error or a stack exhausted by nesting). */
function guarded(format: OutputFormat, decode: Decoder): Decoder {
  return (body) => caught(format, () => decode(body));
}

function caught<T>(format: OutputFormat, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    if (isStackOverflow(e)) throw new DecodeError(format, 'the body nests too deeply to decode');
    throw new DecodeError(format, e instanceof Error ? e.message.split('\n')[0]! : String(e));
  }
}

function decodeText(format: OutputFormat, text: string): unknown {
  switch (format) {
    case 'json':
      return text.trim() === '' ? null : parseJson(text);
    case 'yaml':
      return parseYaml(text);
    case 'csv':
      return parseDelimited(text, ',');
    case 'tsv':
      return parseDelimited(text, '\t');
    default:
      return parseDelimited(text, '|');
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const at = /at position (\d+)/.exec(message) ?? (/^Unexpected end of JSON input/.test(message) ? [, String(text.length)] : null);
    // V8 quotes the start of the body in some messages: keep the cause only
    const reason = message
      .replace(/, ".*" is not valid JSON$/s, '')
      .replace(/^(.*?) "[\s\S]*" is not valid JSON$/, '$1 (not valid JSON)')
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/ at position \d+.*$/s, '');
    if (!at) throw new DecodeError('json', reason);
    const offset = Number(at[1]);
    throw new DecodeError('json', reason, { ...lineColumn(text, offset), offset });
  }
}

function parseYaml(text: string): unknown {
  try {
    return yamlLib().parse(text, { prettyErrors: false, logLevel: 'error' });
  } catch (e) {
    const err = e as Error & { linePos?: { line: number; col: number }[]; pos?: [number, number] };
    const pos = err.linePos?.[0];
    const reason = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new DecodeError('yaml', reason, pos ? { line: pos.line, column: pos.col, offset: err.pos?.[0] } : err.pos ? { ...lineColumn(text, err.pos[0]), offset: err.pos[0] } : undefined);
  }
}

/** RFC 4180-style rows (quoted fields, doubled quotes); the first row names the columns. */
export function parseDelimited(text: string, sep: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === sep) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  const [header, ...data] = rows.filter((r) => !(r.length === 1 && r[0] === ''));
  if (!header) return [];
  return data.map((r) => Object.fromEntries(header.map((h, i) => [h.trim(), r[i] ?? ''])));
}
