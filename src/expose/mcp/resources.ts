/**
 * The resources of an MCP adapter (FEATURES §8), compiled once and shared by every per-request SDK
 * server: static files under a folder (the skill adapter's safe file rules: safe segments, no hidden
 * files, nothing outside the folder once symlinks are resolved) and dynamic reads through the invoker.
 */
import type { ReadResourceResult, Resource, ResourceTemplate } from '@modelcontextprotocol/sdk/types.js';
import type { DynamicResource, McpAdapter, StaticResource } from '../../spec/model.js';
import type { BoundInvocation, InvokeResult, Invoker } from '../../invoke/invoker.js';
import { decodeSegments, listSkillFiles, mediaTypeOf, openSkillFile, SkillFilesError } from '../skill/files.js';
import { discardBody, readBody, readPrefix } from '../../consume/send.js';
import { hideOrigins, InvokeError } from '../../consume/errors.js';
import type { CallSignal } from '../../consume/call-signal.js';
import { INVALID_PARAMS, ProtocolError } from './tools.js';
import type { ResultLimits } from './tool-result.js';

/** MCP "Resource not found" (the MCP specification's code; the SDK 1.x has no constant for it). */
export const RESOURCE_NOT_FOUND = -32002;
export const INTERNAL_ERROR = -32603;

export interface ResourceTable {
  readonly count: number;
  list(): Promise<Resource[]>;
  readonly templates: readonly ResourceTemplate[];
  read(uri: string, signal?: CallSignal): Promise<ReadResourceResult>;
}

interface CompiledDynamic {
  readonly spec: DynamicResource;
  /** anchored; one group per variable */
  readonly pattern?: RegExp;
  readonly invoke: BoundInvocation;
}

export function compileResources(adapter: McpAdapter, invoker: Invoker, limits: ResultLimits): ResourceTable {
  const statics = adapter.resources.filter((r): r is StaticResource => r.kind === 'static');
  const dynamics: CompiledDynamic[] = adapter.resources
    .filter((r): r is DynamicResource => r.kind === 'dynamic')
    .map((spec) => ({ spec, invoke: invoker.bind(spec.operation), ...(spec.variables.length ? { pattern: templatePattern(spec.uri) } : {}) }));
  const plain: Resource[] = dynamics.filter((d) => !d.pattern).map(({ spec }) => ({
    uri: spec.uri, name: spec.name, ...describe(spec),
  }));
  const templates: ResourceTemplate[] = dynamics.filter((d) => d.pattern).map(({ spec }) => ({
    uriTemplate: spec.uri, name: spec.name, ...describe(spec),
  }));

  const list = async (): Promise<Resource[]> => {
    const out: Resource[] = [];
    for (const spec of statics) {
      // walked at each call: the folder's files may change while the server runs
      let files;
      try {
        files = (await listSkillFiles(spec.directory)) ?? [];  // a folder removed since load lists nothing
      } catch (e) {
        if (!(e instanceof SkillFilesError)) throw e;
        throw new ProtocolError(INTERNAL_ERROR, `Resources of "${spec.name}" cannot be listed: ${e.message} (NR_ERR_RESOURCE_TOO_LARGE); serve a smaller folder`, { resource: spec.name });
      }
      for (const f of files) {
        out.push({ uri: `${folderPrefix(spec)}${f.path}`, name: f.path, ...describe(spec), mimeType: spec.mimeType ?? mediaTypeOf(f.path) });
      }
    }
    return [...out, ...plain];
  };

  const read = async (uri: string, signal?: CallSignal): Promise<ReadResourceResult> => {
    for (const spec of statics) {
      const prefix = folderPrefix(spec);
      if (uri.startsWith(prefix) && uri.length > prefix.length) return readStatic(spec, uri, uri.slice(prefix.length), limits);
      if (uri === spec.uri || uri === prefix) throw notFound(uri, `${uri} is the folder of resource "${spec.name}"; resources/list names its files`);
    }
    for (const d of dynamics) {
      const inputs = matchUri(d, uri);
      if (inputs) return readDynamic(d, uri, inputs, limits, signal);
    }
    throw notFound(uri);
  };

  return { count: adapter.resources.length, list, templates, read };
}

/** What a static resource's file URIs start with: its uri and one `/` (unless it already ends with one). */
function folderPrefix(spec: StaticResource): string {
  return spec.uri.endsWith('/') ? spec.uri : `${spec.uri}/`;
}

function describe(spec: { label?: string; description?: string; mimeType?: string }) {
  return {
    ...(spec.label !== undefined ? { title: spec.label } : {}),
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    ...(spec.mimeType !== undefined ? { mimeType: spec.mimeType } : {}),
  };
}

function notFound(uri: string, detail?: string): ProtocolError {
  return new ProtocolError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}${detail ? ` (${detail})` : ''} (NR_ERR_RESOURCE_NOT_FOUND); resources/list and resources/templates/list name what exists`, { uri });
}

/** `a://x/{id}/y` → /^a:\/\/x\/([^/?#]+)\/y$/ (a level-1 value is percent-encoded, so it holds no `/`). */
function templatePattern(uri: string): RegExp {
  const source = uri.split(/\{[^}]+\}/).map((lit) => lit.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('([^/?#]+)');
  return new RegExp(`^${source}$`);
}

function matchUri(d: CompiledDynamic, uri: string): Record<string, string> | undefined {
  if (!d.pattern) return uri === d.spec.uri ? {} : undefined;
  const m = d.pattern.exec(uri);
  if (!m) return undefined;
  const inputs: Record<string, string> = {};
  d.spec.variables.forEach((v, i) => {
    try {
      inputs[v] = decodeURIComponent(m[i + 1]!);
    } catch {
      throw new ProtocolError(INVALID_PARAMS, `Invalid resource URI: ${uri}: the {${v}} part ${JSON.stringify(m[i + 1])} has a malformed percent escape (NR_ERR_RESOURCE_URI_INVALID)`, { uri });
    }
  });
  return inputs;
}

async function readStatic(spec: StaticResource, uri: string, rest: string, limits: ResultLimits): Promise<ReadResourceResult> {
  const decoded = decodeSegments(rest.split('/'));
  if (!decoded.ok) throw new ProtocolError(INVALID_PARAMS, `Invalid resource URI: ${uri}: ${decoded.detail} (NR_ERR_RESOURCE_URI_INVALID)`, { uri });
  const opened = await openSkillFile(spec.directory, decoded.segments);
  // a path that resolves outside the folder (a symlink) is as absent as a missing file: nothing says it exists
  if (opened.kind !== 'file') throw notFound(uri);
  try {
    if (opened.size > limits.maxResponseBytes) {
      throw new ProtocolError(INTERNAL_ERROR, `Resource too large: ${uri} is ${opened.size} bytes; the limit is ${limits.maxResponseBytes} (--max-response-bytes) (NR_ERR_RESOURCE_TOO_LARGE)`, { uri, size: opened.size });
    }
    const bytes = await opened.handle.readFile();
    return { contents: [content(uri, spec.mimeType ?? mediaTypeOf(opened.path), bytes)] };
  } finally {
    await opened.handle.close().catch(() => {});
  }
}

async function readDynamic(d: CompiledDynamic, uri: string, inputs: Record<string, string>, limits: ResultLimits, signal?: CallSignal): Promise<ReadResourceResult> {
  let result: InvokeResult;
  try {
    result = await d.invoke(inputs, signal);
  } catch (e) {
    if (!(e instanceof InvokeError)) throw e;
    const detail = limits.hideUpstream ? hideOrigins(e.detail) : e.detail;
    const code = e.code === 'NR_ERR_BAD_INPUT' ? INVALID_PARAMS : INTERNAL_ERROR;
    throw new ProtocolError(code, `Resource ${uri} could not be read: ${e.title} (${e.code}, status ${e.status}): ${detail}`, { uri, code: e.code, status: e.status });
  }
  if (result.status >= 300 || result.step) {
    let body = '';
    if (result.kind === 'stream') body = (await readPrefix(result.body, result.headers, 4096, limits.maxResponseBytes, `resource ${uri}`)).bytes.toString('utf8');
    else body = JSON.stringify(result.value) ?? '';
    const step = result.step ? `step "${result.step.name}" (${result.step.call}): ` : '';
    if (result.status === 404) throw new ProtocolError(RESOURCE_NOT_FOUND, `Resource not found: ${uri} (${step}the upstream answered 404) (NR_ERR_RESOURCE_NOT_FOUND)`, { uri, status: 404, body });
    throw new ProtocolError(INTERNAL_ERROR, `Resource ${uri} could not be read: ${step}upstream answered ${result.status} (NR_ERR_RESOURCE_UPSTREAM); data.body has its answer`, { uri, code: 'NR_ERR_RESOURCE_UPSTREAM', status: result.status, body });
  }
  if (result.kind === 'value') {
    return { contents: [{ uri, mimeType: d.spec.mimeType ?? 'application/json', text: JSON.stringify(result.value) ?? 'null' }] };
  }
  if (result.status === 204) {
    discardBody(result.body);
    return { contents: [{ uri, mimeType: d.spec.mimeType ?? 'text/plain', text: '' }] };
  }
  let bytes: Buffer;
  try {
    bytes = await readBody(result.body, result.headers, limits.maxResponseBytes, `resource ${uri}`);
  } catch (e) {
    if (!(e instanceof InvokeError)) throw e;
    throw new ProtocolError(INTERNAL_ERROR, `Resource ${uri} could not be read: ${e.title} (${e.code}): ${limits.hideUpstream ? hideOrigins(e.detail) : e.detail}`, { uri, code: e.code });
  }
  const mimeType = d.spec.mimeType ?? result.headers['content-type'] ?? 'application/octet-stream';
  return { contents: [content(uri, mimeType, bytes)] };
}

const TEXTUAL = /^(text\/|application\/(json|yaml|x-yaml|xml|javascript|ecmascript|toml|x-sh|graphql|sql)\b|[a-z]+\/[^;]*\+(json|xml|yaml)\b)/i;

/** Whether a media type is read as text (`text`) rather than bytes (`blob`, base64). */
export function isTextual(mimeType: string): boolean {
  return TEXTUAL.test(mimeType.trim());
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Text types as UTF-8 `text` (bytes that are not UTF-8 go as a `blob` after all); others as base64 `blob`. */
function content(uri: string, mimeType: string, bytes: Buffer): ReadResourceResult['contents'][number] {
  if (isTextual(mimeType)) {
    try {
      return { uri, mimeType, text: strictUtf8.decode(bytes) };
    } catch {
      // declared text, but not UTF-8: the bytes still reach the client unchanged
    }
  }
  return { uri, mimeType, blob: bytes.toString('base64') };
}
