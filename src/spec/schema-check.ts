/**
 * Validates a parsed document against schema/naftiko-run.schema.json (our JSON Schema written from the
 * Naftiko spec) and turns ajv's errors into positioned, readable diagnostics.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ErrorObject } from 'ajv';
import { ajvOptions } from './schema-options.js';
import { packagePath } from '../package-root.js';
import { standaloneValidator } from './schema-validator-file.js';
import type { Diagnostic } from './diagnostics.js';
import type { SourcePositions } from './yaml-source.js';

export const SCHEMA_PATH = packagePath('schema', 'naftiko-run.schema.json');

interface Validator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

let compiled: Validator | undefined;

/**
 * The build writes a standalone validator next to this module (scripts/compile-schema.mjs); running
 * from source (tests), the schema is compiled here instead. Both come from the same schema and options.
 */
function validator(): Validator {
  if (compiled) return compiled;
  const mod = standaloneValidator() as Validator | { default: Validator } | undefined;
  if (mod) compiled = typeof mod === 'function' ? mod : mod.default;
  else {
    const require = createRequire(packagePath('package.json'));
    const { Ajv2020 } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    const addFormats = require('ajv-formats') as (ajv: unknown) => void;
    const ajv = new Ajv2020({ ...ajvOptions });
    addFormats(ajv);
    compiled = ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'))) as Validator;
  }
  return compiled;
}

const UNKNOWN_FIELD_KEYWORDS = new Set(['additionalProperties', 'unevaluatedProperties']);
/** Combinators whose failure is explained better by the errors of their branches. */
const COMBINATORS = new Set(['oneOf', 'anyOf', 'if', 'allOf']);

export function checkSchema(file: string, doc: unknown, positions: SourcePositions): Diagnostic[] {
  const validate = validator();
  if (validate(doc)) return [];
  const errors = validate.errors ?? [];
  const specific = errors.filter((e) => !COMBINATORS.has(e.keyword));
  const kept = errors.filter(
    (e) => !COMBINATORS.has(e.keyword) || !specific.some((s) => s.instancePath.startsWith(e.instancePath)),
  );
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const e of kept) {
    if (isExtensionField(e) || isTopLevelOutputName(e)) continue;
    const d = toDiagnostic(file, e, positions);
    const key = d.pointer + '\0' + d.message;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

function unknownField(e: ErrorObject): string {
  const p = e.params as { additionalProperty?: string; unevaluatedProperty?: string };
  return String(p.additionalProperty ?? p.unevaluatedProperty);
}

/**
 * `name` on a top-level exposed output names its field in the answer (`[{name: title, type: string,
 * mapping: $.title}]` → `{"title": …}`), a tolerated dialect the official schema lacks: not unknown.
 * Nested outputs are named by their key in `properties`, so a `name` there is still reported.
 */
function isTopLevelOutputName(e: ErrorObject): boolean {
  return UNKNOWN_FIELD_KEYWORDS.has(e.keyword) && unknownField(e) === 'name' && /\/outputParameters\/\d+$/.test(e.instancePath) && !e.instancePath.startsWith('/capability/consumes/');
}

/** `x-…` fields are extensions: allowed anywhere, never reported. */
function isExtensionField(e: ErrorObject): boolean {
  return UNKNOWN_FIELD_KEYWORDS.has(e.keyword) && unknownField(e).startsWith('x-');
}

function toDiagnostic(file: string, e: ErrorObject, positions: SourcePositions): Diagnostic {
  const schema = (e.parentSchema ?? {}) as Record<string, unknown>;
  const base = { file, severity: 'error' as const, code: 'NR_ERR_SCHEMA' };
  if (UNKNOWN_FIELD_KEYWORDS.has(e.keyword)) {
    const field = unknownField(e);
    const pointer = `${e.instancePath}/${escape(field)}`;
    const known = schema.properties && typeof schema.properties === 'object' ? Object.keys(schema.properties) : [];
    const hint = suggest(field, known);
    // a near miss of a known field is a typo that silently changes behaviour: an error, not a warning
    if (hint) {
      return { ...base, code: 'NR_ERR_MISSPELLED_FIELD', pointer, ...positions.keyAt(pointer), message: `unknown field "${field}" (did you mean "${hint}"?)` };
    }
    return {
      ...base, severity: 'warning', code: 'NR_WARN_UNKNOWN_FIELD', pointer, ...positions.keyAt(pointer),
      message: `unknown field "${field}"${known.length ? ` (expected one of: ${known.join(', ')})` : ''}`,
    };
  }
  if (e.keyword === 'not') {
    const forbidden = ((e.schema ?? {}) as { required?: string[] }).required ?? [];
    if (forbidden.length === 1) {
      const pointer = `${e.instancePath}/${escape(forbidden[0]!)}`;
      return { ...base, pointer, ...positions.keyAt(pointer), message: `"${forbidden[0]}" is not allowed here${notReason(e.instancePath, forbidden[0]!)}` };
    }
    if (forbidden.length > 1) {
      return { ...base, pointer: e.instancePath, ...positions.valueAt(e.instancePath), message: `fields ${forbidden.map((f) => `"${f}"`).join(' and ')} cannot be used together` };
    }
  }
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    return { ...base, pointer: `${e.instancePath}/${escape(missing)}`, ...positions.valueAt(e.instancePath), message: `missing required field "${missing}"` };
  }
  const pointer = e.instancePath;
  const pos = positions.valueAt(pointer);
  return { ...base, pointer, ...pos, message: describe(e, schema) };
}

function describe(e: ErrorObject, schema: Record<string, unknown>): string {
  const got = `, got ${show(e.data)}`;
  switch (e.keyword) {
    case 'type':
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const t = schema.type;
      const type = Array.isArray(t) ? t.join(' or ') : typeof t === 'string' ? t : String((e.params as { type?: string }).type ?? 'value');
      const range = typeof schema.minimum === 'number' && typeof schema.maximum === 'number' ? ` ${schema.minimum}–${schema.maximum}` :
        typeof schema.minimum === 'number' ? ` ≥ ${schema.minimum}` : typeof schema.maximum === 'number' ? ` ≤ ${schema.maximum}` : '';
      return `must be ${article(type)} ${type}${range}${got}`;
    }
    case 'enum':
      return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}${got}`;
    case 'const':
      return `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}${got}`;
    case 'pattern':
      return `must match ${(e.params as { pattern: string }).pattern}${patternHint((e.params as { pattern: string }).pattern)}${got}`;
    case 'format':
      return `must be a valid ${(e.params as { format: string }).format}${got}`;
    case 'minItems':
      return `must have at least ${(e.params as { limit: number }).limit} item(s)${got}`;
    case 'minLength':
      return `must not be empty`;
    case 'propertyNames':
      return `has an invalid key: ${e.message ?? ''}`;
    case 'oneOf':
    case 'anyOf':
      return `does not match any allowed form of this field${got}`;
    default:
      return `${e.message ?? 'is invalid'}${got}`;
  }
}

function notReason(_path: string, field: string): string {
  if (field === 'port') return ' (an MCP adapter with transport: stdio has no port)';
  return ' in this form of the object';
}

const PATTERN_HINTS: Record<string, string> = {
  '^[a-zA-Z0-9-]+$': ' (letters, digits and "-")',
  '^[a-zA-Z0-9-_*]+$': ' (letters, digits, "-", "_" and "*")',
  '^[a-zA-Z0-9_-]+$': ' (letters, digits, "-" and "_")',
  '^[A-Z][A-Z0-9_]*$': ' (UPPER_SNAKE_CASE)',
  '^[a-zA-Z0-9-]+\\.[a-zA-Z0-9-]+$': ' (namespace.operation)',
};

function patternHint(p: string): string {
  return PATTERN_HINTS[p] ?? '';
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'a mapping';
  const s = JSON.stringify(v);
  return s.length > 60 ? s.slice(0, 57) + '…"' : s;
}

function escape(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The known field closest to a misspelt one (edit distance ≤ 2), if any. */
function suggest(field: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = distance(field.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
