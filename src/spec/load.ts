/**
 * The loader: file → YAML (positions kept) → schema check → semantic checks → immutable model.
 * Every problem of a file is collected and reported together, sorted by position.
 */
import { readCapabilityFile } from './read-file.js';
import path from 'node:path';
import { CapabilityLoadError, type Diagnostic } from './diagnostics.js';
import { MAX_FILE_BYTES, parseYaml } from './yaml-source.js';
import { checkSchema } from './schema-check.js';
import { BuildContext, list, str, type Raw } from './context.js';
import { resolveBinds, type BindDeclaration } from './binds.js';
import { buildConsumes, environmentParameters } from './build-consumes.js';
import { resolveConsumes } from './imports.js';
import { buildExposes } from './build-exposes.js';
import type { CapabilityModel } from './model.js';

export const SUPPORTED_VERSIONS = ['1.0.0-alpha1', '1.0.0-alpha2', '1.0.0-alpha3'] as const;

export interface LoadOptions {
  /** unknown fields and other warnings become errors */
  readonly strict?: boolean;
  /** where environment binds are read (default: process.env) */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface LoadResult {
  readonly model: CapabilityModel;
  readonly warnings: readonly Diagnostic[];
}

/** Loads and validates a capability file; throws CapabilityLoadError listing every problem. */
export function loadCapability(file: string, options: LoadOptions = {}): LoadResult {
  return loadCapabilityText(file, readCapabilityFile(file), options);
}

export function loadCapabilityText(file: string, text: string, options: LoadOptions = {}): LoadResult {
  const whole = (code: string, message: string): never => {
    throw new CapabilityLoadError([{ severity: 'error', code, file, line: 0, column: 0, pointer: '', message }]);
  };
  if (Buffer.byteLength(text) > MAX_FILE_BYTES) whole('NR_ERR_FILE_TOO_LARGE', `file is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB; a capability is a small YAML document`);
  if (text.trim() === '' || /^(\s*#[^\n]*\n?|\s*---\s*\n?)*\s*$/.test(text)) whole('NR_ERR_FILE_EMPTY', 'file is empty: expected a YAML mapping with "naftiko" and "capability"');

  const parsed = parseYaml(file, text);
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  if (diagnostics.some((d) => d.severity === 'error')) throw new CapabilityLoadError(diagnostics);
  const doc = parsed.value;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    const what = doc === null ? 'nothing' : Array.isArray(doc) ? 'a sequence' : `a ${typeof doc} (${JSON.stringify(doc).slice(0, 40)})`;
    whole('NR_ERR_NOT_A_MAPPING', `expected a YAML mapping with "naftiko" and "capability" at the top, got ${what}`);
  }
  const root = doc as Raw;
  if (!('naftiko' in root)) {
    const kind = 'openapi' in root ? 'an OpenAPI document' : 'swagger' in root ? 'a Swagger document' : 'a YAML mapping without a "naftiko" version field';
    const advice = 'openapi' in root || 'swagger' in root ? `; make one from it: naftiko-run import openapi ${file} -o capability.yaml` : '';
    whole('NR_ERR_NOT_A_CAPABILITY', `not a Naftiko capability: this is ${kind}; a capability starts with "naftiko: ${SUPPORTED_VERSIONS[SUPPORTED_VERSIONS.length - 1]}"${advice}`);
  }

  const ctx = new BuildContext(file, path.dirname(path.resolve(file)), parsed.positions);
  const version = str(root.naftiko);
  if (version !== undefined && !(SUPPORTED_VERSIONS as readonly string[]).includes(version)) {
    ctx.warn('NR_WARN_UNKNOWN_VERSION', '/naftiko', `naftiko version "${version}" is not one naftiko-run knows (${SUPPORTED_VERSIONS.join(', ')}); loading it as ${SUPPORTED_VERSIONS[SUPPORTED_VERSIONS.length - 1]}`);
  }
  diagnostics.push(...checkSchema(file, root, parsed.positions));
  const schemaErrors = diagnostics.filter((d) => d.severity === 'error');

  const capability = (root.capability ?? {}) as Raw;
  const bindDecls: BindDeclaration[] = [
    ...list(root.binds).map((b, i) => bindDecl(b, `/binds/${i}`)),
    ...list(capability.binds).map((b, i) => bindDecl(b, `/capability/binds/${i}`)),
  ];
  if (schemaErrors.length > 0) {
    // Semantic problems are still worth reporting with the schema's, where the part they concern is
    // well-formed; building over a malformed part may fail or repeat what the schema said.
    const all = [...diagnostics, ...semanticProblems(ctx, root, capability, bindDecls, options, schemaErrors)];
    throw new CapabilityLoadError(finish(all, new BuildContext(file, ctx.dir, parsed.positions), options));
  }
  const { variables, consumes, exposes } = buildParts(ctx, root, capability, bindDecls, options);

  const all = finish(diagnostics, ctx, options);
  if (all.some((d) => d.severity === 'error')) throw new CapabilityLoadError(all);
  const info = (root.info ?? {}) as Raw;
  const model: CapabilityModel = deepFreeze({
    file,
    version: version ?? '',
    info: {
      ...(str(info.label) !== undefined ? { label: str(info.label)! } : {}),
      ...(str(info.description) !== undefined ? { description: str(info.description)! } : {}),
      tags: Array.isArray(info.tags) ? info.tags.map(String) : [],
    },
    variables,
    consumes,
    exposes,
  });
  return { model, warnings: all };
}

/** binds → consumes → exposes, each reporting its problems into ctx. */
function buildParts(ctx: BuildContext, root: Raw, capability: Raw, bindDecls: BindDeclaration[], options: LoadOptions) {
  const env = options.env ?? process.env;
  const binds = resolveBinds(bindDecls, ctx.dir, env);
  for (const p of binds.problems) (p.severity === 'error' ? ctx.error : ctx.warn).call(ctx, p.code, p.pointer, p.message);
  const sources = resolveConsumes(ctx, [...list(root.consumes), ...list(capability.consumes)], capability.consumes ? '/capability/consumes' : '/consumes');
  const variables = new Map(binds.variables);
  for (const v of environmentParameters(sources, env)) if (!variables.has(v.name)) variables.set(v.name, v);
  const consumes = buildConsumes(ctx, sources, variables);
  const exposes = buildExposes(ctx, list(capability.exposes), '/capability/exposes', consumes, variables, list(capability.aggregates));
  return { variables, consumes, exposes };
}

const CROSS_REFERENCE_CODES = new Set(['NR_ERR_UNKNOWN_CALL', 'NR_ERR_UNKNOWN_REF', 'NR_ERR_UNKNOWN_NAMESPACE', 'NR_ERR_UNKNOWN_INPUT', 'NR_ERR_PATH_PLACEHOLDER']);

function semanticProblems(ctx: BuildContext, root: Raw, capability: Raw, bindDecls: BindDeclaration[], options: LoadOptions, schemaErrors: Diagnostic[]): Diagnostic[] {
  try {
    buildParts(ctx, root, capability, bindDecls, options);
  } catch {
    // a malformed part the schema already reported
  }
  const malformed = schemaErrors.map((d) => d.pointer);
  // a reference into a malformed consumes or aggregates block cannot be judged
  const targetsMalformed = malformed.some((m) => /^\/(capability\/)?(consumes|aggregates)(\/|$)/.test(m));
  return ctx.diagnostics.filter(
    (d) => d.severity === 'error' && !(targetsMalformed && CROSS_REFERENCE_CODES.has(d.code)) && !malformed.some((m) => d.pointer.startsWith(m) || m.startsWith(d.pointer)),
  );
}

function finish(diagnostics: Diagnostic[], ctx: BuildContext, options: LoadOptions): Diagnostic[] {
  const all = [...diagnostics, ...ctx.diagnostics];
  return options.strict ? all.map((d) => (d.severity === 'warning' ? { ...d, severity: 'error' as const } : d)) : all;
}

function bindDecl(b: Raw, pointer: string): BindDeclaration {
  return {
    namespace: String(b.namespace),
    ...(str(b.location) !== undefined ? { location: str(b.location)! } : {}),
    keys: (b.keys ?? {}) as Record<string, string>,
    pointer,
  };
}

function refuse(): never {
  throw new TypeError('the capability model is immutable');
}

/** Object.freeze does not reach a Map's entries, so a Map's mutators are replaced on the instance. */
function deepFreeze<T>(value: T, seen = new Set<unknown>()): T {
  if (value === null || typeof value !== 'object' || seen.has(value)) return value;
  seen.add(value);
  if (value instanceof Map) {
    for (const v of value.values()) deepFreeze(v, seen);
    for (const method of ['set', 'delete', 'clear']) Object.defineProperty(value, method, { value: refuse });
  } else {
    for (const v of Object.values(value as object)) deepFreeze(v, seen);
  }
  return Object.freeze(value);
}
