/** Invoker results and errors → MCP `tools/call` results (SEMANTICS §6). */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { InvokeResult } from '../../invoke/invoker.js';
import { discardBody, readPrefix, utf8Prefix } from '../../consume/send.js';
import { hideOrigins, type InvokeError } from '../../consume/errors.js';
import { MAX_JSON_DEPTH, valueNestingExceeds } from '../../consume/json-depth.js';

/** Sizes an MCP result is held to: the upstream body limit, and the smaller limit of what a result carries. */
export interface ResultLimits {
  /** the upstream response limit (--max-response-bytes), for bodies that must be read whole */
  readonly maxResponseBytes: number;
  /** the most text a tool result carries (--mcp-max-result-bytes); past it the text is cut and marked */
  readonly maxResultBytes: number;
  /** error results say `upstream` instead of the upstream's origin (`--upstream-in-errors`) */
  readonly hideUpstream?: boolean;
  /** `--mcp-tool-timeout`: past it a call is cancelled and answered as a tool error */
  readonly toolTimeoutMs?: number;
  /** the most items one `resources/list` page holds (default 100) */
  readonly pageSize?: number;
}

/**
 * One tool result. Memory per call is bounded by `maxResultBytes` (probe F9): a pass-through body is read
 * only that far, and a result past it carries the cut text with a marker and no structuredContent — as
 * an error when the tool has an outputSchema, so a client that validates never gets a partial object.
 */
export async function toolResult(result: InvokeResult, limits: ResultLimits, what: string, hasOutputSchema: boolean): Promise<CallToolResult> {
  if (result.kind === 'value') {
    const text = JSON.stringify(result.value) ?? 'null';
    if (text.length * 3 <= limits.maxResultBytes || Buffer.byteLength(text) <= limits.maxResultBytes) return jsonResult(result.value, text);
    return truncatedResult(utf8Prefix(Buffer.from(text), limits.maxResultBytes).toString('utf8'), `the mapped result is ${Buffer.byteLength(text)} bytes`, limits.maxResultBytes, hasOutputSchema);
  }
  if (result.status === 204) discardBody(result.body);
  const read = result.status === 204 ? { bytes: Buffer.alloc(0), truncated: false } : await readPrefix(result.body, result.headers, limits.maxResultBytes, limits.maxResponseBytes, what);
  const contentType = result.headers['content-type'] ?? '';
  if (result.status < 300 && !result.step && read.bytes.length > 0 && !isTextual(contentType)) return mediaResult(read, contentType, limits.maxResultBytes, what);
  const text = read.bytes.toString('utf8');
  // a redirect is not followed, so it is not the answer the tool promised (probe F13)
  if (result.status >= 300 || result.step) {
    const prefix = result.step ? `Step "${result.step.name}" (${result.step.call}): ` : '';
    const location = result.status < 400 && result.headers.location ? ` (redirects are not followed; Location: ${result.headers.location})` : '';
    const body = text ? `: ${text}${read.truncated ? truncationMarker(sizeNote(result.headers), limits.maxResultBytes) : ''}` : ' with no body';
    return { isError: true, content: [{ type: 'text', text: `${prefix}Upstream answered ${result.status}${location}${body}` }] };
  }
  if (text === '') return { content: [{ type: 'text', text: `Upstream answered ${result.status} with no body` }] };
  if (read.truncated) return truncatedResult(text, sizeNote(result.headers), limits.maxResultBytes, hasOutputSchema);
  let value: unknown = undefined;
  if (/json/i.test(result.headers['content-type'] ?? 'json')) {
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
  }
  if (valueNestingExceeds(value, MAX_JSON_DEPTH)) {
    // deeper than any real answer: recursive validation of it could spin the server (probe F4)
    return { isError: true, content: [{ type: 'text', text: `Upstream response unreadable (NR_ERR_UPSTREAM_BAD_BODY, status 502): ${what}: the JSON answer is nested deeper than ${MAX_JSON_DEPTH} levels` }] };
  }
  return jsonResult(value, text);
}

/** Content types whose bodies are text (answered as text content); anything else is binary. */
function isTextual(contentType: string): boolean {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === '' || type.startsWith('text/') || /[/+](json|xml|yaml|x-yaml|javascript|ecmascript|csv|graphql|x-www-form-urlencoded|x-ndjson|problem\+json)$/.test(type) || type.endsWith('+json') || type.endsWith('+xml');
}

/**
 * A binary upstream answer: an image or audio answer is MCP image / audio content, anything else an
 * embedded resource with a base64 blob. A binary cut at the result limit would be corrupt, so past
 * the limit the result is an error saying so.
 */
function mediaResult(read: { bytes: Buffer; truncated: boolean }, contentType: string, limit: number, what: string): CallToolResult {
  const mimeType = contentType.split(';')[0]!.trim().toLowerCase();
  if (read.truncated) {
    return { isError: true, content: [{ type: 'text', text: `${what}: the upstream answered ${mimeType} larger than ${limit} bytes, which a tool result cannot carry whole [naftiko-run NR_WARN_RESULT_TRUNCATED: ask for a smaller one, or the operator raises --mcp-max-result-bytes]` }] };
  }
  const data = read.bytes.toString('base64');
  if (mimeType.startsWith('image/')) return { content: [{ type: 'image', data, mimeType }] };
  if (mimeType.startsWith('audio/')) return { content: [{ type: 'audio', data, mimeType }] };
  return { content: [{ type: 'resource', resource: { uri: `naftiko-run://result/${encodeURIComponent(what.replace(/^tool /, ''))}`, mimeType: mimeType || 'application/octet-stream', blob: data } }] };
}

function jsonResult(value: unknown, text: string): CallToolResult {
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  return { content: [{ type: 'text', text }], ...(isObject ? { structuredContent: value as Record<string, unknown> } : {}) };
}

function truncatedResult(text: string, size: string, limit: number, asError: boolean): CallToolResult {
  return { ...(asError ? { isError: true } : {}), content: [{ type: 'text', text: text + truncationMarker(size, limit) }] };
}

/** The marker ending a cut result: what happened, the code, and what the caller can do. */
export function truncationMarker(size: string, limit: number): string {
  return `\n[naftiko-run NR_WARN_RESULT_TRUNCATED: ${size}; the result is cut at ${limit} bytes. Ask for less (filters, paging), or the operator raises --mcp-max-result-bytes]`;
}

function sizeNote(headers: Record<string, string>): string {
  const length = Number(headers['content-length']);
  return Number.isFinite(length) && length > 0 ? `the upstream answer is ${length} bytes` : 'the upstream answer is longer';
}


/** A failed step is named first, as when a step's upstream answers with an error. */
export function errorResult(e: InvokeError, hideUpstream = false): CallToolResult {
  const prefix = e.step ? `Step "${e.step.name}"${e.step.call !== undefined ? ` (${e.step.call})` : ''}: ` : '';
  const full = prefix && e.detail.startsWith(prefix) ? e.detail.slice(prefix.length) : e.detail;
  const detail = hideUpstream ? hideOrigins(full) : full;
  return { isError: true, content: [{ type: 'text', text: `${prefix}${e.title} (${e.code}, status ${e.status}): ${detail}` }] };
}
