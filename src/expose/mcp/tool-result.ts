/** Invoker results and errors → MCP `tools/call` results (SEMANTICS §6). */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { InvokeResult } from '../../invoke/invoker.js';
import { discardBody, readLimited } from '../../consume/send.js';
import type { InvokeError } from '../../consume/errors.js';

export async function toolResult(result: InvokeResult, maxBytes: number, what: string): Promise<CallToolResult> {
  if (result.kind === 'value') return jsonResult(result.value, JSON.stringify(result.value) ?? 'null', result.status);
  if (result.status === 204) discardBody(result.body);
  const text = result.status === 204 ? '' : (await readLimited(result.body, maxBytes, what)).toString('utf8');
  if (result.status >= 400 || result.step) {
    const prefix = result.step ? `Step "${result.step.name}" (${result.step.call}): ` : '';
    return { isError: true, content: [{ type: 'text', text: `${prefix}Upstream answered ${result.status}${text ? `: ${text}` : ' with no body'}` }] };
  }
  if (text === '') return { content: [{ type: 'text', text: `Upstream answered ${result.status} with no body` }] };
  let value: unknown = undefined;
  if (/json/i.test(result.headers['content-type'] ?? 'json')) {
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
  }
  return jsonResult(value, text, result.status);
}

function jsonResult(value: unknown, text: string, _status: number): CallToolResult {
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  return { content: [{ type: 'text', text }], ...(isObject ? { structuredContent: value as Record<string, unknown> } : {}) };
}

export function errorResult(e: InvokeError): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: `${e.title} (${e.code}, status ${e.status}): ${e.detail}` }] };
}
