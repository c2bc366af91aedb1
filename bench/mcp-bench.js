/**
 * The MCP rows beyond the 2025-era one (issue 8, Speed): tools/call from 2026-07-28 clients (the 2.x
 * client pinned to the revision) against naftiko-run and against a hand-written SDK 2.x server, and
 * naftiko-run with inbound bearer auth and with OAuth JWT validation (cached JWKS of a local issuer)
 * against the same server without auth. Used by bench/run.js (full run and `--only mcp`).
 */
import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { BENCH_DIR, CLI, HOST, freePort, startNode, waitForPorts } from './lib.js';
import { connectCallers } from './mcp-load.js';

const BEARER = 'bench-bearer-token-0123456789';

/** bench-capability.yaml with `authentication` on its MCP adapter (and the bind it needs) */
function withAuth(auth) {
  const text = readFileSync(path.join(BENCH_DIR, 'bench-capability.yaml'), 'utf8')
    .replace(/^naftiko: .*$/m, 'naftiko: 1.0.0-alpha3\nbinds:\n  - namespace: env\n    keys:\n      BENCH_TOKEN: BENCH_TOKEN')
    .replace(/^( {6}namespace: bench-mcp\n)/m, `$1      authentication: ${auth}\n`);
  if (!text.includes('authentication:')) throw new Error('bench: could not add authentication to bench-capability.yaml');
  return text;
}

/**
 * Starts the extra servers: the SDK 2.x floor, naftiko-run with bearer auth, the OAuth issuer and
 * naftiko-run with OAuth. `nr` is the plain naftiko-run side's MCP URL (its 2026 side shares its process).
 */
export async function startMcpExtras({ upstreamUrl, tmp, nr, timeoutMs = 60_000 }) {
  const ports = { floor2: await freePort(), plain: await freePort(), bearer: await freePort(), issuer: await freePort(), oauth: await freePort() };
  const issuer = `http://${HOST}:${ports.issuer}/realms/bench`;
  const resource = `http://${HOST}:${ports.oauth}/mcp`;
  const bearerFile = path.join(tmp, 'bench-bearer.yaml');
  const oauthFile = path.join(tmp, 'bench-oauth.yaml');
  writeFileSync(bearerFile, withAuth('{ type: bearer, token: "{{BENCH_TOKEN}}" }'));
  writeFileSync(oauthFile, withAuth(`{ type: oauth2, authorizationServerUri: "${issuer}", resource: "${resource}", scopes: [mcp.tools] }`));
  // the level of bench/run.js's own naftiko-run side (the default, info), so the auth rows compare like with like
  const nrArgs = (file, mcp) => [file, '--base-uri', `upstream=${upstreamUrl}`, '--port', 'bench-rest=0', '--port', `bench-mcp=${mcp}`, '--log-level', 'info'];
  const procs = {
    floor2: startNode(path.join(BENCH_DIR, 'floor-mcp-v2.js'), [String(ports.floor2), upstreamUrl], { name: 'floor-mcp-v2' }),
    issuer: startNode(path.join(BENCH_DIR, 'jwks-issuer.js'), [String(ports.issuer)], { name: 'jwks issuer' }),
    // the auth sides' reference: no auth, started like them, so it has their history (the main naftiko-run
    // process has served every REST group by the MCP rows, and a process with more warm code runs faster)
    plain: startNode(CLI, nrArgs(path.join(BENCH_DIR, 'bench-capability.yaml'), ports.plain), { name: 'naftiko-run (MCP, no auth)' }),
    bearer: startNode(CLI, nrArgs(bearerFile, ports.bearer), { name: 'naftiko-run (bearer auth)', env: { BENCH_TOKEN: BEARER } }),
    oauth: startNode(CLI, nrArgs(oauthFile, ports.oauth), { name: 'naftiko-run (OAuth JWT)', env: { BENCH_TOKEN: 'unused' } }),
  };
  await Promise.all([
    waitForPorts([ports.floor2], { child: procs.floor2, timeoutMs }),
    waitForPorts([ports.issuer], { child: procs.issuer, timeoutMs }),
    waitForPorts([ports.plain], { child: procs.plain, timeoutMs }),
    waitForPorts([ports.bearer], { child: procs.bearer, timeoutMs }),
    waitForPorts([ports.oauth], { child: procs.oauth, timeoutMs }),
  ]);
  const jwt = (await (await fetch(`http://${HOST}:${ports.issuer}/mint?aud=${encodeURIComponent(resource)}`)).json()).token;
  const url = (p) => `http://${HOST}:${p}/mcp`;
  const side = (name, proc, u, connect) => ({ name, kind: 'mcp', proc, url: u, tool: 'get-small', connect });
  const sides = {
    floorMcp2026: side('SDK 2.x floor server, MCP tools/call 1 KB, 2026-07-28 client', procs.floor2, url(ports.floor2), { era: '2026' }),
    nrMcp2026: side('naftiko-run, MCP tools/call 1 KB, 2026-07-28 client', undefined, nr, { era: '2026' }),
    nrMcpPlain: side('naftiko-run, MCP tools/call 1 KB, no auth (own process, paired with the auth sides)', procs.plain, url(ports.plain)),
    nrMcpBearer: side('naftiko-run, MCP tools/call 1 KB, bearer auth', procs.bearer, url(ports.bearer), { headers: { authorization: `Bearer ${BEARER}` } }),
    nrMcpOauth: side('naftiko-run, MCP tools/call 1 KB, OAuth JWT (cached JWKS)', procs.oauth, url(ports.oauth), { headers: { authorization: `Bearer ${jwt}` } }),
  };
  return { procs, sides, issuerStats: async () => (await fetch(`http://${HOST}:${ports.issuer}/stats`)).json() };
}

export async function connectSide(side, callers) {
  side.clients = await connectCallers(side.url, callers, side.connect ?? {});
}

/**
 * The rows: `sides` holds nrMcp and floorMcp (the 2025-era pair) and the extras.
 * `row(label, a, b, ref, target, min)` and `cpuRow(label, a, b, ref)` are the report's own.
 */
export function mcpTargetRows(s, row) {
  return [
    row('MCP tools/call 1 KB, 2025-11-25 client (SDK 1.x), calls/s', s.nrMcp, s.floorMcp, 'SDK 1.x floor server', '≥ 1.0×', 1.0),
    row('MCP tools/call 1 KB, 2026-07-28 client (SDK 2.x), calls/s', s.nrMcp2026, s.floorMcp2026, 'SDK 2.x floor server', '≥ 1.0×', 1.0),
    row('MCP tools/call 1 KB with bearer auth on, calls/s', s.nrMcpBearer, s.nrMcpPlain, 'naftiko-run without auth', '≥ 0.95×', 0.95),
    row('MCP tools/call 1 KB with OAuth JWT validation (cached JWKS), calls/s', s.nrMcpOauth, s.nrMcpPlain, 'naftiko-run without auth', '≥ 0.90×', 0.9),
  ];
}

export function mcpCpuRows(s, cpuRow) {
  return [
    cpuRow('MCP tools/call 1 KB, 2026-07-28 client', s.nrMcp2026, s.floorMcp2026, 'SDK 2.x floor server'),
    cpuRow('MCP tools/call 1 KB, 2026-07-28 vs 2025-11-25 client', s.nrMcp2026, s.nrMcp, 'naftiko-run, 2025 client'),
    cpuRow('MCP tools/call 1 KB, bearer auth on', s.nrMcpBearer, s.nrMcpPlain, 'naftiko-run without auth'),
    cpuRow('MCP tools/call 1 KB, OAuth JWT (cached JWKS)', s.nrMcpOauth, s.nrMcpPlain, 'naftiko-run without auth'),
  ];
}
