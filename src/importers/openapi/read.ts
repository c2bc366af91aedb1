/**
 * An OpenAPI file → its dereferenced document: read (YAML or JSON), version checked, validated by
 * @readme/openapi-parser (failures are warnings: real-world descriptions are often a little off), and
 * every `$ref` within the document resolved, circular ones as object cycles. A `$ref` into another
 * document is never followed — no file or network read happens on the description's say-so — and is
 * reported instead.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseYaml, parseYamlWithPositions, type ParsedYaml, type SourcePositions } from '../../spec/yaml-source.js';
import { pointerOf } from '../../spec/diagnostics.js';
import { RuntimeError } from '../../runtime-error.js';
import { ImportWarnings } from './warnings.js';

/** OpenAPI descriptions of large APIs run to megabytes; a capability file is limited to 5 MiB, this is not. */
const MAX_SPEC_BYTES = 64 * 1024 * 1024;

export type OpenApiVersion = '2.0' | '3.0' | '3.1';

export interface ReadSpec {
  readonly file: string;
  /** the `openapi` / `swagger` field as written */
  readonly versionText: string;
  readonly version: OpenApiVersion;
  /** dereferenced (may contain object cycles) */
  readonly doc: Record<string, any>;
  readonly positions: SourcePositions;
}

export async function readOpenApi(file: string, warnings: ImportWarnings): Promise<ReadSpec> {
  const text = readText(file);
  const parsed = parseSpecText(file, text);
  const syntax = parsed.diagnostics.find((d) => d.severity === 'error');
  if (syntax) throw new RuntimeError('NR_ERR_OPENAPI_SYNTAX', `${file}:${syntax.line}:${syntax.column}: not valid YAML or JSON: ${syntax.message}`);
  const raw = parsed.value;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw notOpenApi(file, 'the top level is not a mapping');
  const root = raw as Record<string, unknown>;
  const versionText = root.swagger !== undefined ? String(root.swagger) : root.openapi !== undefined ? String(root.openapi) : undefined;
  if (versionText === undefined) throw notOpenApi(file, 'naftiko' in root ? 'this is a Naftiko capability already' : 'it has no "openapi" or "swagger" field');
  const version = versionOf(root, versionText);
  if (!version) {
    throw new RuntimeError('NR_ERR_OPENAPI_VERSION', `${file}: ${root.swagger !== undefined ? 'swagger' : 'openapi'} "${versionText}" is not supported; naftiko-run imports Swagger 2.0 and OpenAPI 3.0.x and 3.1.x`);
  }
  warnings.positions = parsed.positions;

  for (const ref of externalRefs(root)) {
    warnings.add('NR_WARN_IMPORT_EXTERNAL_REF', ref.pointer, `$ref "${ref.target}" points into another document, which is not read (only references within this file are resolved); what it describes is left out. Bundle the description into one file first (for example with "redocly bundle") and import that`);
  }

  const { dereference, validate } = await import('@readme/openapi-parser');
  const options = {
    resolve: { external: false, file: false },
    dereference: { circular: true as const },
    timeoutMs: 30_000,
  };
  const checked = await validate(structuredClone(root) as never, options).catch((e: Error) => ({ valid: false as const, errors: [{ message: e.message }], warnings: [], additionalErrors: 0, specification: null }));
  if (!checked.valid) {
    const first = checked.errors.slice(0, 3).map((e) => firstLine(e.message)).join('; ');
    const more = checked.errors.length + (checked.additionalErrors ?? 0) - 3;
    warnings.add('NR_WARN_IMPORT_OPENAPI_INVALID', '', `the description breaks the OpenAPI ${version} schema (${first}${more > 0 ? `; and ${more} more` : ''}); imported as far as it goes — check the result`);
  }
  let doc: Record<string, any>;
  try {
    doc = (await dereference(structuredClone(root) as never, options)) as Record<string, any>;
  } catch (e) {
    throw new RuntimeError('NR_ERR_OPENAPI_REF', `${file}: a $ref cannot be resolved: ${firstLine((e as Error).message)}`);
  }
  return { file, versionText, version, doc, positions: parsed.positions };
}

function readText(file: string): string {
  let size: number;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new RuntimeError('NR_ERR_OPENAPI_UNREADABLE', `${file}: is a directory, expected an OpenAPI file (YAML or JSON)`);
    size = st.size;
  } catch (e) {
    if (e instanceof RuntimeError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new RuntimeError('NR_ERR_OPENAPI_NOT_FOUND', `${file}: file not found`);
    throw new RuntimeError('NR_ERR_OPENAPI_UNREADABLE', `${file}: cannot read file (${code ?? 'unknown error'})`);
  }
  if (size > MAX_SPEC_BYTES) throw new RuntimeError('NR_ERR_OPENAPI_UNREADABLE', `${file}: ${(size / 1024 / 1024).toFixed(1)} MiB is over the ${MAX_SPEC_BYTES / 1024 / 1024} MiB limit for an OpenAPI file`);
  try {
    const buf = readFileSync(file);
    if (buf.includes(0)) throw notOpenApi(file, 'the file is binary');
    return buf.toString('utf8');
  } catch (e) {
    if (e instanceof RuntimeError) throw e;
    throw new RuntimeError('NR_ERR_OPENAPI_UNREADABLE', `${file}: cannot read file (${(e as NodeJS.ErrnoException).code ?? 'unknown error'})`);
  }
}

/** JSON descriptions (the large ones usually are) with JSON.parse; positions, needed only for a warning, from the YAML parser. */
function parseSpecText(file: string, text: string): ParsedYaml {
  if (/^\s*\{/.test(text)) {
    try {
      const value: unknown = JSON.parse(text);
      let full: ParsedYaml | undefined;
      const located = () => (full ??= parseYamlWithPositions(file, text)).positions;
      return { value, diagnostics: [], positions: { valueAt: (p) => located().valueAt(p), keyAt: (p) => located().keyAt(p) } };
    } catch {
      // not strict JSON: YAML reads it and says where it breaks
    }
  }
  return parseYaml(file, text);
}

function notOpenApi(file: string, why: string): RuntimeError {
  return new RuntimeError('NR_ERR_NOT_OPENAPI', `${file}: not an OpenAPI description (${why}); expected a YAML or JSON file starting with "openapi: 3.x" or "swagger: 2.0"`);
}

function versionOf(root: Record<string, unknown>, text: string): OpenApiVersion | undefined {
  if (root.swagger !== undefined) return text === '2.0' ? '2.0' : undefined;
  if (/^3\.0\.\d+$/.test(text)) return '3.0';
  if (/^3\.1\.\d+$/.test(text)) return '3.1';
  return undefined;
}

/** Every `$ref` whose target is not `#…` (another file or a URL), with where it is written. */
function externalRefs(root: unknown): { pointer: string; target: string }[] {
  const out: { pointer: string; target: string }[] = [];
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach((v, i) => walk(v, [...path, i]));
      return;
    }
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && !v.startsWith('#')) out.push({ pointer: pointerOf([...path, k]), target: v });
      else walk(v, [...path, k]);
    }
  };
  walk(root, []);
  return out;
}

function firstLine(s: string): string {
  return (s.split('\n').find((l) => l.trim() !== '') ?? s).trim();
}
