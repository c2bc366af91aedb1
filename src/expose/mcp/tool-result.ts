/** Invoker results and errors → MCP `tools/call` results (SEMANTICS §6). */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { InvokeResult } from '../../invoke/invoker.js';
import { discardBody, readBody } from '../../consume/send.js';
import type { InvokeError } from '../../consume/errors.js';
import { MAX_JSON_DEPTH, textNestingExceeds } from '../../consume/json-depth.js';

export async function toolResult(result: InvokeResult, maxBytes: number, what: string): Promise<CallToolResult> {
  if (result.kind === 'value') return jsonResult(result.value, JSON.stringify(result.value) ?? 'null', result.status);
  if (result.status === 204) discardBody(result.body);
  const text = result.status === 204 ? '' : (await readBody(result.body, result.headers, maxBytes, what)).toString('utf8');
  // a redirect is not followed, so it is not the answer the tool promised (probe F13)
  if (result.status >= 300 || result.step) {
    const prefix = result.step ? `Step "${result.step.name}" (${result.step.call}): ` : '';
    const location = result.status < 400 && result.headers.location ? ` (redirects are not followed; Location: ${result.headers.location})` : '';
    return { isError: true, content: [{ type: 'text', text: `${prefix}Upstream answered ${result.status}${location}${text ? `: ${text}` : ' with no body'}` }] };
  }
  if (text === '') return { content: [{ type: 'text', text: `Upstream answered ${result.status} with no body` }] };
  if (textNestingExceeds(text, MAX_JSON_DEPTH)) {
    // deeper than any real answer: recursive validation of it could spin the server (probe F4)
    return { isError: true, content: [{ type: 'text', text: `Upstream response unreadable (NR_ERR_UPSTREAM_BAD_BODY, status 502): ${what}: the JSON answer is nested deeper than ${MAX_JSON_DEPTH} levels` }] };
  }
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

/** A failed step is named first, as when a step's upstream answers with an error. */
export function errorResult(e: InvokeError): CallToolResult {
  const prefix = e.step ? `Step "${e.step.name}"${e.step.call !== undefined ? ` (${e.step.call})` : ''}: ` : '';
  const detail = prefix && e.detail.startsWith(prefix) ? e.detail.slice(prefix.length) : e.detail;
  return { isError: true, content: [{ type: 'text', text: `${prefix}${e.title} (${e.code}, status ${e.status}): ${detail}` }] };
}
