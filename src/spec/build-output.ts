/** Exposed `outputParameters` → OutputShape (SEMANTICS §5): pass-through when nothing is reshaped. */
import type { OutputNode, OutputShape } from './model.js';
import { compileTemplate } from './template.js';
import { list, str, type BuildContext, type Raw } from './context.js';
import { jsonPathProblem } from './json-path.js';

const ROOT_PATHS = new Set(['$', '$.']);

export function isRootPath(path: string | undefined): boolean {
  return path !== undefined && ROOT_PATHS.has(path.trim());
}

export function buildOutputShape(rawParams: unknown): OutputShape {
  const params = list(rawParams);
  if (params.length === 0) return { kind: 'passthrough' };
  if (params.length === 1) {
    const only = params[0]!;
    if (only.name === undefined && isPassthroughNode(only)) return { kind: 'passthrough' };
    if (only.name === undefined) return { kind: 'mapped', root: buildNode(only) };
  }
  return { kind: 'mapped', root: buildNamed(params) };
}

/** `{type: object|array, mapping: $.}` with nothing nested: the body as it is. */
function isPassthroughNode(p: Raw): boolean {
  const path = str(p.mapping) ?? str(p.value);
  return (p.type === 'object' || p.type === 'array') && isRootPath(path) && p.properties === undefined && p.items === undefined && p.const === undefined;
}

export function buildNamed(params: Raw[]): OutputNode {
  return { kind: 'named', fields: new Map(params.map((p, i) => [str(p.name) ?? `output${i}`, buildNode(p)])) };
}

export function buildNode(p: Raw): OutputNode {
  const mapping = str(p.mapping);
  const path = mapping !== undefined ? mapping : looksLikePath(p.value) ? (p.value as string) : undefined;
  const staticValue = p.const !== undefined ? p.const : path === undefined && p.value !== undefined ? p.value : undefined;
  switch (p.type) {
    case 'object':
      return {
        kind: 'object',
        ...(path !== undefined ? { path } : {}),
        properties: new Map(Object.entries((p.properties ?? {}) as Record<string, Raw>).map(([k, v]) => [k, buildNode(v)])),
        ...(staticValue !== undefined ? { value: staticValue } : {}),
      };
    case 'array':
      return {
        kind: 'array',
        ...(path !== undefined ? { path } : {}),
        ...(p.items ? { items: buildNode(p.items as Raw) } : {}),
        ...(staticValue !== undefined ? { value: staticValue } : {}),
      };
    default: {
      const value = typeof staticValue === 'string' ? (staticValue.includes('{{') ? compileTemplate(staticValue) : staticValue) : (staticValue as number | boolean | undefined);
      return {
        kind: 'scalar',
        type: (p.type as 'string' | 'number' | 'boolean' | 'integer') ?? 'string',
        ...(path !== undefined ? { path } : {}),
        ...(value !== undefined ? { value } : {}),
      };
    }
  }
}

function looksLikePath(v: unknown): boolean {
  return typeof v === 'string' && v.startsWith('$');
}

/** True when every leaf has a static `value`/`const` (a mock needs no upstream call). */
export function isStaticOutput(node: OutputNode): boolean {
  switch (node.kind) {
    case 'scalar':
      return node.path === undefined && node.value !== undefined;
    case 'object':
      return node.path === undefined && (node.value !== undefined || (node.properties.size > 0 && [...node.properties.values()].every(isStaticOutput)));
    case 'array':
      return node.path === undefined && node.value !== undefined;
    case 'named':
      return [...node.fields.values()].every(isStaticOutput);
  }
}

/** Every JSONPath of an `outputParameters` tree is checked at load, at its own pointer. */
export function checkOutputPaths(ctx: BuildContext, rawParams: unknown, pointer: string): void {
  const params = list(rawParams);
  params.forEach((p, i) => checkParamPaths(ctx, p, `${pointer}/${i}`));
  checkOutputNames(ctx, params, pointer);
}

/**
 * Several top-level outputs become the fields of one object, so each needs its own `name` (a missing
 * one would otherwise become a made-up field). One named output is wrapped as `{name: value}`.
 */
function checkOutputNames(ctx: BuildContext, params: readonly Raw[], pointer: string): void {
  if (params.length < 2) return;
  const seen = new Map<string, number>();
  params.forEach((p, i) => {
    const name = str(p.name);
    if (name === undefined) {
      ctx.error('NR_ERR_OUTPUT_NAME_REQUIRED', `${pointer}/${i}`, `output ${i + 1} of ${params.length} has no "name": several top-level outputs are the fields of one object, each named by "name" (or use one {type: object, properties: {…}} output)`);
      return;
    }
    const first = seen.get(name);
    if (first !== undefined) ctx.error('NR_ERR_DUPLICATE_OUTPUT_NAME', `${pointer}/${i}/name`, `output name "${name}" is used twice (also output ${first + 1}); each field of the answer needs its own name`);
    else seen.set(name, i);
  });
}

function checkParamPaths(ctx: BuildContext, p: Raw, pointer: string): void {
  for (const field of ['mapping', 'value'] as const) {
    const path = str(p[field]);
    if (path === undefined || (field === 'value' && !path.startsWith('$'))) continue;
    const problem = jsonPathProblem(path);
    if (problem) ctx.error('NR_ERR_JSONPATH', `${pointer}/${field}`, `JSONPath ${JSON.stringify(path)} ${problem}`);
  }
  if (p.properties && typeof p.properties === 'object') {
    for (const [k, v] of Object.entries(p.properties as Record<string, Raw>)) checkParamPaths(ctx, v, `${pointer}/properties/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  }
  if (p.items && typeof p.items === 'object') checkParamPaths(ctx, p.items as Raw, `${pointer}/items`);
}
