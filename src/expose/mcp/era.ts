/**
 * Which MCP protocol era a POST speaks, and whether its headers agree with its body (MCP 2026-07-28,
 * Streamable HTTP: "servers reject requests where the headers and body disagree").
 *
 * A 2026-07-28 request names its revision in `params._meta["io.modelcontextprotocol/protocolVersion"]`
 * and needs no `initialize`; it carries `MCP-Protocol-Version`, `Mcp-Method` and, for tools/call,
 * prompts/get and resources/read, `Mcp-Name` (a `=?base64?…?=` value is decoded), which must match the
 * body. Anything else without that claim is a 2025-era message, served by the SDK as before.
 * Classification reads the body first; the headers only cross-check it.
 */
export const MODERN_VERSION = '2026-07-28';
export const SUPPORTED_MODERN_VERSIONS: readonly string[] = [MODERN_VERSION];
const VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';
const CAPABILITIES_KEY = 'io.modelcontextprotocol/clientCapabilities';

/** JSON-RPC codes of the 2026-07-28 revision */
export const HEADER_MISMATCH = -32020;
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;
const INVALID_REQUEST = -32600;
const INVALID_PARAMS = -32602;

/** The methods whose `Mcp-Name` header mirrors a body field */
const NAME_SOURCE: Readonly<Record<string, string>> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

export interface EraHeaders {
  readonly protocolVersion?: string;
  readonly method?: string;
  readonly name?: string;
}

export type Era =
  | { readonly kind: 'legacy' }
  | { readonly kind: 'modern'; readonly message: JsonRpcMessage; readonly version: string; readonly meta: Readonly<Record<string, unknown>> }
  | { readonly kind: 'reject'; readonly status: number; readonly code: number; readonly message: string; readonly data?: unknown; readonly id: string | number | null };

export interface JsonRpcMessage {
  readonly jsonrpc: '2.0';
  readonly id?: string | number;
  readonly method: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

export function eraHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): EraHeaders {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(', ') : v)?.trim();
  const protocolVersion = one(headers['mcp-protocol-version']);
  const method = one(headers['mcp-method']);
  const name = one(headers['mcp-name']);
  return { ...(protocolVersion !== undefined ? { protocolVersion } : {}), ...(method !== undefined ? { method } : {}), ...(name !== undefined ? { name } : {}) };
}

const isModern = (v: string) => v >= MODERN_VERSION;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const metaOf = (m: unknown) => (isObject(m) && isObject(m.params) && isObject(m.params._meta) ? m.params._meta : undefined);
const claims = (m: unknown) => metaOf(m) !== undefined && VERSION_KEY in metaOf(m)!;

export function classify(body: unknown, h: EraHeaders): Era {
  if (Array.isArray(body)) {
    return body.some(claims) ? reject(400, INVALID_REQUEST, 'Invalid request: a JSON-RPC batch cannot carry 2026-07-28 requests (send each in its own POST)', null) : LEGACY;
  }
  if (!isObject(body) || typeof body.method !== 'string') return LEGACY;  // responses, malformed bodies: the SDK answers them
  const method = body.method;
  const id = typeof body.id === 'string' || typeof body.id === 'number' ? body.id : null;
  const isRequest = 'id' in body;
  const headerModern = h.protocolVersion !== undefined && isModern(h.protocolVersion);
  const meta = metaOf(body);

  if (!meta || !(VERSION_KEY in meta)) {
    if (method === 'initialize' && headerModern) return mismatch(`an initialize request (2025 handshake) came with MCP-Protocol-Version: ${h.protocolVersion}`, id);
    if (headerModern && isRequest) {
      return reject(400, INVALID_PARAMS, `Invalid params: MCP-Protocol-Version: ${h.protocolVersion} names the 2026-07-28 revision, but params._meta lacks "${VERSION_KEY}"`, id, { envelope: { missing: [VERSION_KEY] } });
    }
    if (headerModern) return methodHeaderMatches(method, h, id) ?? modern(body, h.protocolVersion!, meta ?? {});
    return LEGACY;
  }
  const version = meta[VERSION_KEY];
  if (typeof version !== 'string') return reject(400, INVALID_PARAMS, `Invalid params: _meta["${VERSION_KEY}"] must be a string`, id);
  if (!isModern(version)) return LEGACY;  // a 2025 revision named in _meta: the 2025 rules apply
  if (!SUPPORTED_MODERN_VERSIONS.includes(version)) {
    return reject(400, UNSUPPORTED_PROTOCOL_VERSION, `Unsupported protocol version: ${version} (supported: ${SUPPORTED_MODERN_VERSIONS.join(', ')}, and 2025-11-25 or earlier with initialize)`, id, { supported: SUPPORTED_MODERN_VERSIONS, requested: version });
  }
  if (isRequest && !isObject(meta[CAPABILITIES_KEY])) {
    return reject(400, INVALID_PARAMS, `Invalid params: _meta["${CAPABILITIES_KEY}"] is required on a 2026-07-28 request (an object, {} for none)`, id, { envelope: { missing: [CAPABILITIES_KEY] } });
  }
  if (h.protocolVersion !== undefined && h.protocolVersion !== version) return mismatch(`the body names protocol version ${version} but MCP-Protocol-Version names ${h.protocolVersion}`, id);
  const wrongMethod = methodHeaderMatches(method, h, id);
  if (wrongMethod) return wrongMethod;
  if (isRequest) {
    // the presence half: requests only (a notification may come without the standard headers)
    if (h.protocolVersion === undefined) return mismatch(`the MCP-Protocol-Version header is required on a 2026-07-28 request (the body names ${version})`, id);
    if (h.method === undefined) return mismatch(`the Mcp-Method header is required on a 2026-07-28 request (the body names ${method})`, id);
    const field = NAME_SOURCE[method];
    const value = field && isObject(body.params) ? body.params[field] : undefined;
    if (typeof value === 'string') {
      if (h.name === undefined) return mismatch(`the Mcp-Name header is required on ${method} (the body names params.${field} ${JSON.stringify(value)})`, id);
      const decoded = decodeHeaderValue(h.name);
      if (decoded === undefined) return mismatch('the Mcp-Name header holds an invalid =?base64?…?= value', id);
      if (decoded !== value) return mismatch(`the body names params.${field} ${JSON.stringify(value)} but Mcp-Name names ${JSON.stringify(decoded)}`, id);
    }
  }
  return modern(body, version, meta);
}

const LEGACY: Era = { kind: 'legacy' };

function modern(body: Record<string, unknown>, version: string, meta: Record<string, unknown>): Era {
  return { kind: 'modern', message: body as unknown as JsonRpcMessage, version, meta };
}

function methodHeaderMatches(method: string, h: EraHeaders, id: string | number | null): Era | undefined {
  return h.method !== undefined && h.method !== method ? mismatch(`the body names method ${method} but Mcp-Method names ${h.method}`, id) : undefined;
}

function mismatch(detail: string, id: string | number | null): Era {
  return reject(400, HEADER_MISMATCH, `Bad request: the headers and the body disagree: ${detail} (NR_ERR_MCP_HEADER_MISMATCH)`, id);
}

function reject(status: number, code: number, message: string, id: string | number | null, data?: unknown): Era {
  return { kind: 'reject', status, code, message, id, ...(data !== undefined ? { data } : {}) };
}

/** An `Mcp-Name`/`Mcp-Param-*` value: as written, or the UTF-8 text of a canonical `=?base64?…?=` one; undefined when that is broken. */
export function decodeHeaderValue(value: string): string | undefined {
  if (!(value.startsWith('=?base64?') && value.endsWith('?='))) return value;
  const b64 = value.slice(9, -2);
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(b64, 'base64'));
  } catch {
    return undefined;
  }
}
