/** era.ts: which protocol era a POST body speaks, and the header cross-checks (pure, no sockets). */
import { describe, expect, it } from 'vitest';
import { classify, decodeHeaderValue, eraHeaders } from '../src/expose/mcp/era.js';

const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
const headers = { protocolVersion: '2026-07-28', method: 'tools/list' };

describe('MCP era classification', () => {
  it('leaves 2025-era messages to the SDK: initialize, plain requests, responses, batches, a 2025 version in _meta', () => {
    expect(classify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25' } }, {}).kind).toBe('legacy');
    expect(classify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { protocolVersion: '2025-11-25' }).kind).toBe('legacy');
    expect(classify({ jsonrpc: '2.0', id: 1, result: {} }, {}).kind).toBe('legacy');
    expect(classify([{ jsonrpc: '2.0', id: 1, method: 'tools/list' }], {}).kind).toBe('legacy');
    expect(classify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2025-11-25' } } }, {}).kind).toBe('legacy');
  });

  it('takes a request with the 2026-07-28 envelope and agreeing headers as modern', () => {
    const era = classify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: meta } }, headers);
    expect(era).toMatchObject({ kind: 'modern', version: '2026-07-28', message: { method: 'tools/list' } });
  });

  it('refuses a batch carrying a modern request, an initialize with a modern header, a missing clientCapabilities', () => {
    expect(classify([{ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: meta } }], {})).toMatchObject({ kind: 'reject', status: 400, code: -32600 });
    expect(classify({ jsonrpc: '2.0', id: 2, method: 'initialize', params: {} }, { protocolVersion: '2026-07-28' })).toMatchObject({ kind: 'reject', code: -32020, id: 2 });
    expect(classify({ jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } } }, headers)).toMatchObject({ kind: 'reject', code: -32602 });
  });

  it('lets a modern notification through without the standard headers, but not with a contradicting one', () => {
    expect(classify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, _meta: meta } }, {}).kind).toBe('modern');
    expect(classify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, _meta: meta } }, { method: 'tools/call' })).toMatchObject({ kind: 'reject', code: -32020 });
  });

  it('reads the headers trimmed, and decodes =?base64?…?= values (refusing broken ones)', () => {
    expect(eraHeaders({ 'mcp-protocol-version': ' 2026-07-28 ', 'mcp-method': 'tools/call', 'mcp-name': 'x' })).toEqual({ protocolVersion: '2026-07-28', method: 'tools/call', name: 'x' });
    expect(decodeHeaderValue('plain')).toBe('plain');
    expect(decodeHeaderValue(`=?base64?${Buffer.from('héllo').toString('base64')}?=`)).toBe('héllo');
    expect(decodeHeaderValue('=?base64?abc?=')).toBeUndefined();
    expect(decodeHeaderValue(`=?base64?${Buffer.from([0xff, 0xfe]).toString('base64')}?=`)).toBeUndefined();
  });
});
