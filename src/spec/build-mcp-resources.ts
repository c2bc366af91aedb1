/**
 * `resources[]` and `prompts[]` of an MCP adapter (FEATURES §8, §9) → typed entries: static folders
 * resolved and checked, URI templates parsed (RFC 6570 level 1), dynamic reads built as operations the
 * invoker runs, prompt placeholders checked against the declared arguments.
 */
import { readFileSync, statSync } from 'node:fs';
import type { BoundVariable, DynamicResource, ExposedOperation, McpPrompt, McpPromptArgument, McpResource } from './model.js';
import { BuildContext, list, str, type Raw } from './context.js';
import { compileTemplate } from './template.js';
import { resolveLocation } from './locations.js';

/** Builds the operation behind a dynamic resource; `declared` are its inputs (the URI variables). */
export type BuildResourceOperation = (raw: Raw, pointer: string, id: string, declared: Raw[]) => ExposedOperation;

const VARIABLE = /^[A-Za-z0-9_.-]+$/;

export function buildMcpResources(
  ctx: BuildContext, raw: Raw, pointer: string, variables: ReadonlyMap<string, BoundVariable>, buildOperation: BuildResourceOperation,
): McpResource[] {
  const out: McpResource[] = [];
  const names = new Map<string, string>();
  const uris = new Map<string, string>();
  list(raw.resources).forEach((res, r) => {
    const at = `${pointer}/resources/${r}`;
    const name = String(res.name);
    const common = {
      name,
      ...(str(res.label) !== undefined ? { label: str(res.label)! } : {}),
      ...(str(res.description) !== undefined ? { description: str(res.description)! } : {}),
      ...(str(res.mimeType) !== undefined ? { mimeType: str(res.mimeType)! } : {}),
      pointer: at,
    };
    if (names.has(name)) ctx.error('NR_ERR_DUPLICATE_RESOURCE', `${at}/name`, `resource name "${name}" is already declared at ${names.get(name)}; each resource of an MCP adapter needs its own name`);
    names.set(name, `${at}/name`);
    const template = parseUriTemplate(String(res.uri));
    if (!template.ok) {
      ctx.error('NR_ERR_RESOURCE_URI_TEMPLATE', `${at}/uri`, `uri ${JSON.stringify(res.uri)} of resource "${name}": ${template.reason}`);
      return;
    }
    const uriKey = template.uri.replace(/(?<!\/)\/$/, '').replace(/\{[^}]*\}/g, '{}');
    if (uris.has(uriKey)) ctx.error('NR_ERR_DUPLICATE_RESOURCE', `${at}/uri`, `resource uri ${JSON.stringify(res.uri)} is already declared at ${uris.get(uriKey)}; a client could not tell the two apart`);
    uris.set(uriKey, `${at}/uri`);

    if (res.location !== undefined) {
      if (template.variables.length) {
        ctx.error('NR_ERR_RESOURCE_URI_TEMPLATE', `${at}/uri`, `static resource "${name}" has a templated uri ${JSON.stringify(res.uri)}: its files are named uri + "/" + their path, so the uri must be a plain prefix such as docs://api`);
        return;
      }
      const directory = staticDirectory(ctx, String(res.location), `${at}/location`, name);
      if (directory !== undefined) out.push({ ...common, kind: 'static', uri: template.uri, directory });
      return;
    }
    const declared = template.variables.map((v) => ({ name: v, type: 'string', required: true, description: `the {${v}} part of ${template.uri}` }));
    const operation = buildOperation(res, at, `mcp-resource:${name}`, declared);
    checkTemplateReferences(ctx, res, at, name, template.variables, variables);
    if (template.variables.length === 0) {
      const needed = operation.inputs.filter((i) => i.required && !i.credential && i.constant === undefined);
      if (needed.length) {
        ctx.error('NR_ERR_RESOURCE_INPUT', at, `resource "${name}" needs ${needed.map((i) => `"${i.name}"`).join(', ')}, which nothing gives: a resource has no arguments, so put {${needed[0]!.name}} in its uri (a resource template) or a value in "with"`);
      }
    }
    const inputs = declared.map((d) => ({ name: d.name, in: 'query' as const, type: 'string' as const, description: d.description, required: true, credential: false }));
    const dynamic: DynamicResource = { ...common, kind: 'dynamic', uri: template.uri, variables: template.variables, operation: { ...operation, inputs } };
    out.push(dynamic);
  });
  return out;
}

type ParsedTemplate = { ok: true; uri: string; variables: string[] } | { ok: false; reason: string };

/** `{var}` and `{{var}}` (written `{var}`), RFC 6570 level 1 only: no operators, no lists, no modifiers. */
export function parseUriTemplate(uri: string): ParsedTemplate {
  const variables: string[] = [];
  let out = '';
  let i = 0;
  while (i < uri.length) {
    const c = uri[i]!;
    if (c === '}') return { ok: false, reason: `a "}" at character ${i + 1} closes no placeholder` };
    if (c !== '{') {
      out += c;
      i++;
      continue;
    }
    const double = uri.startsWith('{{', i);
    const close = uri.indexOf(double ? '}}' : '}', i);
    if (close < 0) return { ok: false, reason: `the placeholder at character ${i + 1} is not closed` };
    const name = uri.slice(i + (double ? 2 : 1), close).trim();
    if (!VARIABLE.test(name)) {
      const operator = /^[+#./;?&=,!@|]/.test(name);
      return { ok: false, reason: operator
        ? `{${name}} uses an RFC 6570 operator; only level-1 placeholders {name} are supported`
        : `placeholder {${name}} is not a name (letters, digits, "_", ".", "-")` };
    }
    if (variables.includes(name)) return { ok: false, reason: `placeholder {${name}} appears twice` };
    if (i > 0 && (uri[i - 1] === '}')) return { ok: false, reason: `placeholders {${variables.at(-1)}} and {${name}} touch: a value could not be told apart from the next` };
    variables.push(name);
    out += `{${name}}`;
    i = close + (double ? 2 : 1);
  }
  return { ok: true, uri: out, variables };
}

/** Every `{{x}}` in the resource's `with`, its steps' `with` and mappings is a URI variable, a step or a bind. */
function checkTemplateReferences(ctx: BuildContext, res: Raw, at: string, name: string, vars: readonly string[], binds: ReadonlyMap<string, BoundVariable>): void {
  const steps = list(res.steps).map((s) => String(s.name));
  const check = (value: unknown, where: string) => {
    if (typeof value !== 'string' || !value.includes('{{')) return;
    for (const ref of compileTemplate(value).refs) {
      const head = ref.split('.')[0]!;
      if (vars.includes(ref) || binds.has(ref) || steps.includes(head)) continue;
      const has = vars.length ? `its uri has ${vars.map((v) => `{${v}}`).join(', ')}` : 'its uri has no placeholder';
      ctx.error('NR_ERR_RESOURCE_TEMPLATE_VARIABLE', where, `{{${ref}}} in resource "${name}" names no placeholder of its uri, step or bind variable (${has}); add {${ref}} to the uri or fix the name`);
    }
  };
  const withs = (w: unknown, base: string) => {
    if (w && typeof w === 'object') for (const [k, v] of Object.entries(w as Raw)) check(v, `${base}/with/${k}`);
  };
  withs(res.with, at);
  list(res.steps).forEach((s, i) => withs(s.with, `${at}/steps/${i}`));
}

function staticDirectory(ctx: BuildContext, location: string, at: string, name: string): string | undefined {
  // FEATURES §1.1: relative against the capability folder, then the working directory
  const resolved = resolveLocation(location, ctx.dir, { base: 'capability-first', plainPaths: false });
  if (!resolved.ok) {
    ctx.error('NR_ERR_RESOURCE_LOCATION', at, `location of resource "${name}": ${resolved.reason}; write file:///absolute/dir or file:///./dir (relative to the capability folder)`);
    return undefined;
  }
  for (const candidate of resolved.tried) {
    try {
      if (statSync(candidate).isDirectory()) return candidate;
    } catch {
      continue;
    }
  }
  ctx.error('NR_ERR_RESOURCE_LOCATION', at, `location ${JSON.stringify(location)} of resource "${name}" is not a directory (looked at ${resolved.tried.join(' and ')}); create it or point location at the folder whose files are served`);
  return undefined;
}

export function buildMcpPrompts(ctx: BuildContext, raw: Raw, pointer: string): McpPrompt[] {
  const out: McpPrompt[] = [];
  const names = new Map<string, string>();
  list(raw.prompts).forEach((p, i) => {
    const at = `${pointer}/prompts/${i}`;
    const name = String(p.name);
    if (names.has(name)) ctx.error('NR_ERR_DUPLICATE_PROMPT', `${at}/name`, `prompt "${name}" is already declared at ${names.get(name)}`);
    names.set(name, `${at}/name`);
    const args: McpPromptArgument[] = [];
    const argNames = new Map<string, string>();
    list(p.arguments).forEach((a, j) => {
      const argName = String(a.name);
      if (argNames.has(argName)) ctx.error('NR_ERR_DUPLICATE_PROMPT', `${at}/arguments/${j}/name`, `argument "${argName}" of prompt "${name}" is already declared at ${argNames.get(argName)}`);
      argNames.set(argName, `${at}/arguments/${j}/name`);
      args.push({
        name: argName,
        ...(str(a.label) !== undefined ? { label: str(a.label)! } : {}),
        ...(str(a.description) !== undefined ? { description: str(a.description)! } : {}),
        required: a.required !== false,
      });
    });
    let messages: McpPrompt['messages'] = [];
    if (p.location !== undefined) {
      const text = promptFile(ctx, String(p.location), `${at}/location`, name);
      if (text !== undefined) messages = [{ role: 'user', content: text }];
    } else {
      messages = list(p.template).map((m) => ({ role: m.role === 'assistant' ? 'assistant' : 'user', content: String(m.content) }));
    }
    messages.forEach((m, k) => {
      for (const match of m.content.matchAll(/\{\{\s*([^{}\s]+)\s*\}\}/g)) {
        if (argNames.has(match[1]!)) continue;
        const where = p.location !== undefined ? `${at}/location` : `${at}/template/${k}/content`;
        const declared = argNames.size ? `its arguments: ${[...argNames.keys()].join(', ')}` : 'it declares no arguments';
        ctx.warn('NR_WARN_PROMPT_PLACEHOLDER', where, `{{${match[1]}}} in prompt "${name}" names no declared argument (${declared}); it is sent as written`);
      }
    });
    out.push({
      name,
      ...(str(p.label) !== undefined ? { label: str(p.label)! } : {}),
      ...(str(p.description) !== undefined ? { description: str(p.description)! } : {}),
      arguments: args,
      messages,
      pointer: at,
    });
  });
  return out;
}

/** A file prompt is read once, at load: a missing file is a load error, not a failing prompts/get. */
function promptFile(ctx: BuildContext, location: string, at: string, name: string): string | undefined {
  const resolved = resolveLocation(location, ctx.dir, { base: 'capability-first', plainPaths: false });
  if (!resolved.ok) {
    ctx.error('NR_ERR_PROMPT_LOCATION', at, `location of prompt "${name}": ${resolved.reason}; write file:///absolute/file.md or file:///./file.md (relative to the capability folder)`);
    return undefined;
  }
  for (const candidate of resolved.tried) {
    try {
      if (statSync(candidate).isFile()) return readFileSync(candidate, 'utf8');
    } catch {
      continue;
    }
  }
  ctx.error('NR_ERR_PROMPT_LOCATION', at, `location ${JSON.stringify(location)} of prompt "${name}" is not a readable file (looked at ${resolved.tried.join(' and ')})`);
  return undefined;
}
