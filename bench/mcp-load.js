/**
 * MCP load: `callers` SDK clients (Client + StreamableHTTPClientTransport, each initialised once),
 * each calling one tool in a loop until the deadline. The same code drives naftiko-run and the floor.
 */
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { percentile } from './lib.js';

/**
 * `era`: '2025' (the SDK 1.x Client: initialize, then calls) or '2026' (the official 2.x client pinned to
 * 2026-07-28: no initialize, the `_meta` envelope and Mcp-Method/Mcp-Name headers on every call).
 * `headers`: sent with every request (a bearer token).
 */
export async function connectCallers(url, callers, { era = '2025', headers } = {}) {
  const v2 = era === '2026' ? await import('@modelcontextprotocol/client') : undefined;
  return Promise.all(Array.from({ length: callers }, async (_, i) => {
    const requestInit = headers ? { headers } : undefined;
    if (v2) {
      const client = new v2.Client({ name: `bench-${i}`, version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
      await client.connect(new v2.StreamableHTTPClientTransport(new URL(url), requestInit ? { requestInit } : undefined));
      return client;
    }
    const client = new Client({ name: `bench-${i}`, version: '1.0.0' }, { capabilities: {} });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), requestInit ? { requestInit } : undefined));
    return client;
  }));
}

export async function closeCallers(clients) {
  await Promise.allSettled(clients.map((c) => c.close()));
}

/**
 * Runs the loop for `durationSec` (or until `maxCalls` calls, for warm-up); the clients stay connected
 * (connect once per side, run many).
 */
export async function mcpLoad(clients, { tool, durationSec, expectText, maxCalls = Infinity }) {
  const latencies = [];
  let errors = 0;
  let mismatches = 0;
  let firstError;
  const start = performance.now();
  const deadline = start + durationSec * 1000;
  await Promise.all(clients.map(async (client) => {
    while (performance.now() < deadline && latencies.length + errors < maxCalls) {
      const t0 = performance.now();
      try {
        const r = await client.callTool({ name: tool, arguments: {} });
        latencies.push(performance.now() - t0);
        if (r.isError || (expectText !== undefined && r.content?.[0]?.text !== expectText)) mismatches++;
      } catch (e) {
        errors++;
        firstError ??= e;
        if (errors > 1000) break;
      }
    }
  }));
  const elapsed = (performance.now() - start) / 1000;
  return {
    rps: latencies.length / elapsed,
    total: latencies.length,
    errors,
    mismatches,
    firstError: firstError ? String(firstError.message ?? firstError) : undefined,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    elapsed,
  };
}
