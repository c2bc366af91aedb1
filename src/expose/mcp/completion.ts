/**
 * `completion/complete` for prompt arguments and resource-template variables. A capability gives values
 * only where an argument's type has a closed set (a boolean input behind a template variable); every
 * other declared argument completes to no values, and an unknown prompt, template or argument is -32602.
 */
import type { ExposedOperation, McpAdapter, ParamType } from '../../spec/model.js';
import { INVALID_PARAMS, ProtocolError } from './tools.js';

export interface CompleteResult {
  completion: { values: string[]; total: number; hasMore: boolean };
}

export type Complete = (ref: unknown, argument: unknown) => CompleteResult;

/** undefined when the adapter has nothing to complete (no prompt arguments, no template) */
export function compileCompletion(adapter: McpAdapter): Complete | undefined {
  const prompts = new Map(adapter.prompts.map((p) => [p.name, new Set(p.arguments.map((a) => a.name))]));
  const templates = new Map<string, Map<string, readonly string[]>>();
  for (const r of adapter.resources) {
    if (r.kind !== 'dynamic' || r.variables.length === 0) continue;
    const vars = new Map<string, readonly string[]>();
    for (const v of r.variables) vars.set(v, consumedType(r.operation, v) === 'boolean' ? ['true', 'false'] : []);
    templates.set(r.uri, vars);
  }
  if (![...prompts.values()].some((a) => a.size > 0) && templates.size === 0) return undefined;

  return (ref, argument) => {
    const r = ref as { type?: unknown; name?: unknown; uri?: unknown } | null;
    const a = argument as { name?: unknown; value?: unknown } | null;
    if (typeof a?.name !== 'string' || typeof a.value !== 'string') throw invalid('argument must be {name, value} strings');
    let values: readonly string[];
    if (r?.type === 'ref/prompt' && typeof r.name === 'string') {
      const args = prompts.get(r.name);
      if (!args) throw invalid(`unknown prompt ${JSON.stringify(r.name)} (NR_ERR_PROMPT_NOT_FOUND)`);
      if (!args.has(a.name)) throw invalid(`prompt ${r.name} has no argument ${JSON.stringify(a.name)}`);
      values = [];
    } else if (r?.type === 'ref/resource' && typeof r.uri === 'string') {
      const vars = templates.get(r.uri);
      if (!vars) throw invalid(`no resource template ${JSON.stringify(r.uri)}`);
      const known = vars.get(a.name);
      if (!known) throw invalid(`resource template ${r.uri} has no variable ${JSON.stringify(a.name)}`);
      values = known;
    } else {
      throw invalid('ref must be {type: "ref/prompt", name} or {type: "ref/resource", uri}');
    }
    const prefix = a.value.toLowerCase();
    const matching = values.filter((v) => v.toLowerCase().startsWith(prefix));
    return { completion: { values: matching, total: matching.length, hasMore: false } };
  };
}

function invalid(detail: string): ProtocolError {
  return new ProtocolError(INVALID_PARAMS, `Invalid completion request: ${detail}`);
}

/** The type of the consumed parameter a template variable feeds (a call resource: by `with`, or by name). */
function consumedType(op: ExposedOperation, variable: string): ParamType | undefined {
  const h = op.handler;
  if (h.kind !== 'call') return undefined;
  const target = h.with.find((w) => w.source.kind === 'input' && w.source.name === variable)?.target ?? (h.withImplicit ? variable : undefined);
  return target === undefined ? undefined : h.operation.parameters.find((p) => p.name === target)?.type;
}
