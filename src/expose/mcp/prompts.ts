/**
 * The prompts of an MCP adapter (FEATURES §9): listed in declaration order, rendered by one pass of
 * `{{argument}}` substitution over the declared argument names, so a value that itself contains
 * `{{x}}` is sent as written, never substituted again.
 */
import type { GetPromptResult, Prompt } from '@modelcontextprotocol/sdk/types.js';
import type { McpAdapter, McpPrompt } from '../../spec/model.js';
import { INVALID_PARAMS, ProtocolError } from './tools.js';

export interface PromptTable {
  readonly count: number;
  readonly list: readonly Prompt[];
  get(name: string, args: Readonly<Record<string, unknown>>): GetPromptResult;
}

export function compilePrompts(adapter: McpAdapter): PromptTable {
  const byName = new Map<string, (args: Readonly<Record<string, unknown>>) => GetPromptResult>();
  for (const p of adapter.prompts) byName.set(p.name, compilePrompt(p));
  const list: Prompt[] = adapter.prompts.map((p) => ({
    name: p.name,
    ...(p.label !== undefined ? { title: p.label } : {}),
    ...(p.description !== undefined ? { description: p.description } : {}),
    ...(p.arguments.length ? {
      arguments: p.arguments.map((a) => ({
        name: a.name,
        ...(a.label !== undefined ? { title: a.label } : {}),
        ...(a.description !== undefined ? { description: a.description } : {}),
        required: a.required,
      })),
    } : {}),
  }));
  return {
    count: adapter.prompts.length,
    list,
    get(name, args) {
      const render = byName.get(name);
      if (!render) throw new ProtocolError(INVALID_PARAMS, `Unknown prompt: ${name} (NR_ERR_PROMPT_NOT_FOUND; prompts: ${[...byName.keys()].join(', ')})`);
      return render(args);
    },
  };
}

function compilePrompt(p: McpPrompt): (args: Readonly<Record<string, unknown>>) => GetPromptResult {
  const declared = new Set(p.arguments.map((a) => a.name));
  const names = [...declared].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const placeholder = names.length ? new RegExp(`\\{\\{\\s*(${names.join('|')})\\s*\\}\\}`, 'g') : undefined;
  return (args) => {
    const unknown = Object.keys(args).filter((k) => !declared.has(k));
    if (unknown.length) {
      throw new ProtocolError(INVALID_PARAMS, `Invalid arguments for prompt ${p.name}: ${unknown.map((k) => `"${k}"`).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not declared (NR_ERR_PROMPT_ARGUMENTS; arguments: ${[...declared].join(', ') || 'none'})`, { unknown });
    }
    const missing = p.arguments.filter((a) => a.required && (args[a.name] === undefined || args[a.name] === null)).map((a) => a.name);
    if (missing.length) {
      throw new ProtocolError(INVALID_PARAMS, `Invalid arguments for prompt ${p.name}: missing required argument${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} (NR_ERR_PROMPT_ARGUMENTS)`, { missing });
    }
    const values = new Map<string, string>();
    for (const name of declared) values.set(name, stringify(args[name]));
    const render = (text: string) => (placeholder ? text.replace(placeholder, (_, name: string) => values.get(name) ?? '') : text);
    return {
      ...(p.description !== undefined ? { description: p.description } : {}),
      messages: p.messages.map((m) => ({ role: m.role, content: { type: 'text' as const, text: render(m.content) } })),
    };
  };
}

/** MCP prompt arguments are strings; anything else a client sends is written as JSON. An absent optional one is empty. */
function stringify(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
