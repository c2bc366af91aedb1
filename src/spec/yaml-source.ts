/**
 * YAML text → plain JS value plus a position index (JSON pointer → line/column), so that every later
 * problem (schema, semantics) can be reported at the exact place in the file.
 */
import type { Node } from 'yaml';
import { yamlLib } from './yaml-lib.js';
import { CORE_SCHEMA, load as quickLoad } from 'js-yaml';
import type { Diagnostic } from './diagnostics.js';
import { QUICK_READER, currentParseCache } from './parse-cache.js';

export interface Position {
  readonly line: number;
  readonly column: number;
}

export interface SourcePositions {
  /** Where the value at `pointer` starts; falls back to the nearest located ancestor. */
  valueAt(pointer: string): Position;
  /** Where the key of the mapping entry at `pointer` starts (for unknown or duplicate fields). */
  keyAt(pointer: string): Position;
}

export interface ParsedYaml {
  readonly value: unknown;
  readonly positions: SourcePositions;
  readonly diagnostics: Diagnostic[];
}

export const MAX_FILE_BYTES = 5 * 1024 * 1024;
const MAX_ALIAS_EXPANSION = 100;

const START: Position = { line: 1, column: 1 };

/**
 * The common case, a well-formed file without anchors, aliases, tags or directives, is read with js-yaml
 * (3–4× faster on large files); the `yaml` parser, which keeps every position, runs only when a problem
 * needs one, or for any file js-yaml refuses or that uses those features (alias limits, tags).
 */
export function parseYaml(file: string, text: string): ParsedYaml {
  const quick = quickParse(text);
  if (!quick) return parseYamlWithPositions(file, text);
  let full: ParsedYaml | undefined;
  const located = (): SourcePositions => (full ??= parseYamlWithPositions(file, text)).positions;
  return {
    value: quick.value,
    diagnostics: [],
    positions: { valueAt: (pointer) => located().valueAt(pointer), keyAt: (pointer) => located().keyAt(pointer) },
  };
}

function quickParse(text: string): { value: unknown } | undefined {
  if (/[&*!%]/.test(text)) return undefined;
  const cache = currentParseCache();
  const cached = cache?.get(text, QUICK_READER);
  if (cached) return cached;
  let value: unknown;
  try {
    // CORE_SCHEMA: YAML 1.2 core types, as the `yaml` parser's default; duplicate keys throw
    value = quickLoad(text, { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
  cache?.set(text, QUICK_READER, value);
  return { value };
}

export function parseYamlWithPositions(file: string, text: string): ParsedYaml {
  const { LineCounter, parseDocument, isMap, isSeq, isScalar, isPair } = yamlLib();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  const diagnostics: Diagnostic[] = [];
  const posOf = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };

  for (const warn of doc.warnings) {
    const p = posOf(warn.pos[0]);
    diagnostics.push({ severity: 'warning', code: 'NR_WARN_YAML', file, line: p.line, column: p.column, pointer: '', message: firstLine(warn.message) });
  }

  // The position index is built only when a problem needs a position: a valid file never pays for it.
  const values = new Map<string, Position>();
  const keys = new Map<string, Position>();
  const keyPointerAt = new Map<number, string>();
  let indexed = false;
  const index = (): void => {
    if (indexed) return;
    indexed = true;
    walk(doc.contents, '');
  };
  const walk = (node: unknown, pointer: string): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as Node;
    if (n.range) values.set(pointer, posOf(n.range[0]));
    if (isMap(n)) {
      for (const pair of n.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as Node | null;
        const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        const child = pointer + '/' + escapeToken(key);
        if (keyNode?.range) {
          keys.set(child, posOf(keyNode.range[0]));
          keyPointerAt.set(keyNode.range[0], child);
        }
        if (pair.value) walk(pair.value, child);
        else if (keyNode?.range) values.set(child, posOf(keyNode.range[0]));
      }
    } else if (isSeq(n)) {
      n.items.forEach((item, i) => walk(item, `${pointer}/${i}`));
    }
  };
  if (doc.errors.length) index();
  for (const err of doc.errors) {
    const duplicate = err.code === 'DUPLICATE_KEY';
    const pointer = duplicate ? keyPointerAt.get(err.pos[0]) ?? '' : '';
    const offset = duplicate ? err.pos[0] : openingOffset(text, err.code, err.message, err.pos[0]);
    const p = posOf(Math.min(offset, Math.max(0, text.trimEnd().length - 1)));
    const key = pointer.slice(pointer.lastIndexOf('/') + 1).replace(/~1/g, '/').replace(/~0/g, '~');
    diagnostics.push({
      severity: 'error',
      code: duplicate ? 'NR_ERR_YAML_DUPLICATE_KEY' : 'NR_ERR_YAML_SYNTAX',
      file,
      line: p.line,
      column: p.column,
      pointer,
      message: duplicate ? `duplicate key "${key}": a mapping may name each key once` : 'YAML syntax error: ' + firstLine(err.message),
    });
  }

  const nearest = (map: Map<string, Position>, pointer: string): Position => {
    index();
    let p = pointer;
    for (;;) {
      const hit = map.get(p) ?? values.get(p);
      if (hit) return hit;
      if (p === '') return START;
      p = p.slice(0, p.lastIndexOf('/'));
    }
  };

  let value: unknown = null;
  if (doc.errors.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSION });
    } catch (e) {
      diagnostics.push({
        severity: 'error', code: 'NR_ERR_YAML_SYNTAX', file, line: 1, column: 1, pointer: '',
        message: 'YAML could not be expanded: ' + firstLine((e as Error).message),
      });
    }
  }
  return {
    value,
    diagnostics,
    positions: {
      valueAt: (pointer) => nearest(values, pointer),
      keyAt: (pointer) => nearest(keys, pointer),
    },
  };
}

/**
 * The parser reports an unclosed quote or flow collection where the input ends; the useful place is
 * where it was opened, found by scanning back from there.
 */
function openingOffset(text: string, code: string, message: string, at: number): number {
  const end = Math.min(at, text.length);
  if (code === 'MISSING_CHAR' && /quote/.test(message)) {
    const quote = /closing '/.test(message) || /single/.test(message) ? "'" : '"';
    for (let i = end - 1; i >= 0; i--) if (text[i] === quote && (quote === "'" || text[i - 1] !== '\\')) return i;
  }
  const flow = /end with a ([\]}])/.exec(message);
  if (flow) {
    const close = flow[1]!;
    const open = close === ']' ? '[' : '{';
    let depth = 0;
    for (let i = end - 1; i >= 0; i--) {
      if (text[i] === close) depth++;
      else if (text[i] === open && depth-- === 0) return i;
    }
  }
  return at;
}

function escapeToken(key: string): string {
  return key.includes('~') || key.includes('/') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key;
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? s;
  return line.replace(/ at line \d+, column \d+:?$/, '').trim();
}
