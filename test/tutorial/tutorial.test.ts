/**
 * The reference engine's eleven tutorial capabilities (tutorial/step-1 … step-11), served unmodified
 * from their shared folder against mock upstreams built from the tutorial's OpenAPI files
 * (./upstreams.ts). Every MCP tool (official SDK client), every REST operation and every skill route is
 * called, and the answers are compared with VALUES derived by hand from the OpenAPI example payloads and
 * each capability's output mappings (the comment next to each constant says which example).
 *
 * Runtime set-up, as the brief and FEATURES §1.1 / §1.4 require:
 * - the files are read in place; the process CWD is left as is, so the binds
 *   `file:///./shared/secrets.yaml` must resolve against CWD first, then the capability folder
 *   (tutorial/shared/secrets.yaml: dummy-token, 1.0.0-alpha2, dummy-dockyard-key, sk-mcp-YYYYYYYYYYYY);
 * - consumes `registry` / `legacy` are pointed at the mocks with `baseUris`, every exposes namespace
 *   listens on port 0, on 127.0.0.1;
 * - MCP adapters that declare `authentication: bearer {{MCP_SERVER_TOKEN}}` are called with
 *   `Authorization: Bearer sk-mcp-YYYYYYYYYYYY`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { call, jsonInit, type Reply } from '../runtime/helpers.js';
import { TUTORIAL, startShipyardUpstreams, type MockRecorded, type ShipyardUpstreams } from './upstreams.js';

// ───────────────────────────── secrets (tutorial/shared/secrets.yaml) ─────────────────────────────

const MCP_TOKEN = 'sk-mcp-YYYYYYYYYYYY'; // mcp-server-token
const REGISTRY_BEARER = 'Bearer dummy-token'; // registry-bearer-token
const REGISTRY_VERSION = '1.0.0-alpha2'; // registry-api-version
const DOCK_KEY = 'dummy-dockyard-key'; // dockyard-api-key

// ───────────────────────────── expected values (from the OpenAPI examples) ─────────────────────────────

// registry GET /ships examples, mapped by {imo: imo_number, name: vessel_name, type: vessel_type,
// flag: flag_code, status: operational_status}
const NORTHERN_STAR = { imo: 'IMO-9321483', name: 'Northern Star', type: 'cargo', flag: 'NO', status: 'active' };
const PACIFIC_DAWN = { imo: 'IMO-9456781', name: 'Pacific Dawn', type: 'tanker', flag: 'SG', status: 'maintenance' };
const ALL_SHIPS = [NORTHERN_STAR, PACIFIC_DAWN]; // examples.allShips (the FALLBACK)
const ACTIVE_SHIPS = [NORTHERN_STAR]; // examples["?status=active"]
const MAINTENANCE_SHIPS = [PACIFIC_DAWN]; // examples["?status=maintenance"]

// registry GET /ships/{imo_number} examples "/imo_number=IMO-9321483" / "/imo_number=IMO-9456781":
// specs = {yearBuilt: year_built, tonnage: gross_tonnage, length: dimensions.length_overall}
const NORTHERN_STAR_SPECS = { yearBuilt: 2015, tonnage: 42000, length: 229 };
const PACIFIC_DAWN_SPECS = { yearBuilt: 2018, tonnage: 55000, length: 274 };
// 404 examples.notFound (answered for any IMO without an example)
const UNKNOWN_IMO = 'IMO-0000000';
const SHIP_NOT_FOUND = { error: 'not_found', message: 'Ship with IMO number IMO-0000000 not found' };

// registry GET /crew examples.allCrew, looked up by crewId from assignedCrew, projected to [fullName, role]
const NORTHERN_STAR_CREW = [
  { fullName: 'Erik Lindström', role: 'captain' }, // CREW-001
  { fullName: 'Aiko Tanaka', role: 'cook' }, // CREW-003
];
const PACIFIC_DAWN_CREW = [
  { fullName: 'Maria Santos', role: 'first_officer' }, // CREW-002
  { fullName: 'Hans Mueller', role: 'engineer' }, // CREW-004
];
// get-ship-with-crew mappings (flat: imo…status, yearBuilt, tonnage, length, crew) — FEATURES §3 worked example
const NORTHERN_STAR_WITH_CREW = { ...NORTHERN_STAR, ...NORTHERN_STAR_SPECS, crew: NORTHERN_STAR_CREW };
const PACIFIC_DAWN_WITH_CREW = { ...PACIFIC_DAWN, ...PACIFIC_DAWN_SPECS, crew: PACIFIC_DAWN_CREW };

// dockyard GET /vessels XML examples, mapped by {vesselCode, name: vesselName, type: category,
// flag: flagState, status: operationalStatus}; all XML leaves are strings
const OLD_FAITHFUL = { vesselCode: 'LEGACY-4012', name: 'Old Faithful', type: 'cargo', flag: 'GB', status: 'active' };
const IRON_MAIDEN = { vesselCode: 'LEGACY-2087', name: 'Iron Maiden', type: 'bulk_carrier', flag: 'PA', status: 'laid_up' };
const ALL_VESSELS = [OLD_FAITHFUL, IRON_MAIDEN]; // examples.allVessels
const ACTIVE_VESSELS = [OLD_FAITHFUL]; // examples["?status=active"]: ONE <vessel>, still an array (FEATURES §13 deviation)
const LAID_UP_VESSELS = [IRON_MAIDEN]; // examples["?status=laid_up"]

// create-voyage: arguments chosen to differ from the request example (osloToSingapore) so that the
// echo is visible. The 201 example "created" templates the scalars from request.body and answers
// fixed crewIds/cargoIds (the capability's own comment says so).
const VOYAGE_ARGS = {
  shipImo: 'IMO-9456781',
  departurePort: 'Rotterdam',
  arrivalPort: 'Lagos',
  departureDate: '2026-06-01T06:00:00Z',
  arrivalDate: '2026-06-19T18:30:00Z',
  crewIds: ['CREW-002', 'CREW-004'],
  cargoIds: ['CARGO-2024-0452', 'CARGO-2024-0453'],
};
// mapped by {voyageId, shipImo, route: {from, to}, dates: {departure, arrival}, crewIds, cargoIds, status}
const VOYAGE_CREATED = {
  voyageId: 'VOY-2026-042',
  shipImo: 'IMO-9456781',
  route: { from: 'Rotterdam', to: 'Lagos' },
  dates: { departure: '2026-06-01T06:00:00Z', arrival: '2026-06-19T18:30:00Z' },
  crewIds: ['CREW-001', 'CREW-003'],
  cargoIds: ['CARGO-2024-0451'],
  status: 'planned',
};

// step 11 get-voyage-manifest over GET /voyages/VOY-2026-042 (example "/voyageId=VOY-2026-042"),
// /ships (allShips, matched on the projected imo-number), /crew (allCrew) and /cargo (allCargo:
// CARGO-2024-0451 only) — FEATURES §3 worked example
const VOYAGE_ID = 'VOY-2026-042';
const UNKNOWN_VOYAGE = 'VOY-0000-000';
const VOYAGE_NOT_FOUND = { error: 'not_found', message: 'Voyage VOY-0000-000 not found' };
const MANIFEST_CREW = NORTHERN_STAR_CREW; // crewIds CREW-001, CREW-003
const MANIFEST_CARGO = [{ type: 'container', description: 'Electronics components', weight: 12.5, hazardous: false }];
const MANIFEST_MCP = {
  voyageId: 'VOY-2026-042',
  status: 'planned',
  route: { from: 'Oslo', to: 'Singapore' },
  ship: { name: 'Northern Star', type: 'cargo', flag: 'NO' },
  crew: MANIFEST_CREW,
  cargo: MANIFEST_CARGO,
};
// the REST twin uses flat targets
const MANIFEST_REST = {
  voyageId: 'VOY-2026-042',
  status: 'planned',
  departurePort: 'Oslo',
  arrivalPort: 'Singapore',
  shipName: 'Northern Star',
  shipType: 'cargo',
  shipFlag: 'NO',
  crew: MANIFEST_CREW,
  cargo: MANIFEST_CARGO,
};

// ───────────────────────────── the steps ─────────────────────────────

type ToolName = 'get-ship' | 'list-ships' | 'list-legacy-vessels' | 'create-voyage' | 'get-ship-with-crew' | 'get-voyage-manifest';

/** required arguments and all argument names, as each tool declares them (or inherits them via `ref`) */
const TOOL_INPUTS: Record<ToolName, { required: string[]; properties: string[] }> = {
  'list-ships': { required: [], properties: ['status'] },
  'get-ship': { required: ['imo'], properties: ['imo'] },
  'list-legacy-vessels': { required: [], properties: ['status'] },
  'create-voyage': {
    required: ['shipImo', 'departurePort', 'arrivalPort', 'departureDate', 'arrivalDate', 'crewIds'],
    properties: ['shipImo', 'departurePort', 'arrivalPort', 'departureDate', 'arrivalDate', 'crewIds', 'cargoIds'],
  },
  'get-ship-with-crew': { required: ['imo'], properties: ['imo'] },
  'get-voyage-manifest': { required: ['voyageId'], properties: ['voyageId'] },
};

interface SkillExpectation {
  readonly name: string;
  readonly description: string;
  readonly tools: readonly { name: string; description: string; action: string }[];
}

interface StepDef {
  readonly n: number;
  readonly file: string;
  readonly tools: readonly ToolName[];
  /** get-ship answers specs (steps 4+) */
  readonly specs: boolean;
  /** what the registry must receive; 'none' = no Authorization at all (step 2 predates auth) */
  readonly registryAuth: 'none' | { readonly authorization: string; readonly version: string };
  /** get-ship-with-crew is a `ref` to the crew-resolver aggregate (steps 9, 10) */
  readonly crewViaRef: boolean;
  readonly rest: boolean;
  readonly skills?: readonly SkillExpectation[];
}

const STANDARD_AUTH = { authorization: REGISTRY_BEARER, version: REGISTRY_VERSION };
// step 11 imports shared/step11-registry-consumes.yml, which writes `token: "REGISTRY_TOKEN"` and
// `value: "REGISTRY_VERSION"` WITHOUT braces (FEATURES §2(c), §18.18: a tutorial data bug). Served
// unmodified, those literals are what goes upstream.
const STEP11_AUTH = { authorization: 'Bearer REGISTRY_TOKEN', version: 'REGISTRY_VERSION' };

const FLEET_OPS: SkillExpectation = {
  name: 'fleet-ops',
  description: 'Fleet management — list, search, and inspect ships across all registries',
  tools: [
    { name: 'list-ships', description: 'List ships in the shipyard, optionally filtered by status', action: 'list-ships' },
    { name: 'get-ship', description: "Retrieve a ship's details by IMO number", action: 'get-ship' },
    { name: 'list-legacy-vessels', description: 'List vessels from the legacy Dockyard', action: 'list-legacy-vessels' },
    { name: 'get-ship-with-crew', description: 'Get ship details with resolved crew names', action: 'get-ship-with-crew' },
  ],
};
const VOYAGE_OPS: SkillExpectation = {
  name: 'voyage-ops',
  description: 'Voyage planning — create and manage voyages',
  tools: [{ name: 'create-voyage', description: 'Plan a new voyage with ship, crew, route, and dates', action: 'create-voyage' }],
};
const VOYAGE_OPS_11: SkillExpectation = {
  ...VOYAGE_OPS,
  tools: [
    ...VOYAGE_OPS.tools,
    { name: 'get-voyage-manifest', description: 'Assemble a complete voyage manifest with ship, crew, and cargo', action: 'get-voyage-manifest' },
  ],
};

const READ: ToolName[] = ['list-ships', 'get-ship'];
const STEPS: readonly StepDef[] = [
  { n: 2, file: 'step-2-shipyard-wiring.yml', tools: READ, specs: false, registryAuth: 'none', crewViaRef: false, rest: false },
  { n: 3, file: 'step-3-shipyard-auth.yml', tools: READ, specs: false, registryAuth: STANDARD_AUTH, crewViaRef: false, rest: false },
  { n: 4, file: 'step-4-shipyard-output-shaping.yml', tools: READ, specs: true, registryAuth: STANDARD_AUTH, crewViaRef: false, rest: false },
  {
    n: 5, file: 'step-5-shipyard-multi-source.yml', tools: [...READ, 'list-legacy-vessels'],
    specs: true, registryAuth: STANDARD_AUTH, crewViaRef: false, rest: false,
  },
  {
    n: 6, file: 'step-6-shipyard-write-operations.yml', tools: [...READ, 'list-legacy-vessels', 'create-voyage'],
    specs: true, registryAuth: STANDARD_AUTH, crewViaRef: false, rest: false,
  },
  {
    n: 7, file: 'step-7-shipyard-orchestrated-lookup.yml', tools: [...READ, 'list-legacy-vessels', 'create-voyage', 'get-ship-with-crew'],
    specs: true, registryAuth: STANDARD_AUTH, crewViaRef: false, rest: true, skills: [FLEET_OPS, VOYAGE_OPS],
  },
  {
    n: 8, file: 'step-8-shipyard-skill-groups.yml', tools: [...READ, 'list-legacy-vessels', 'create-voyage', 'get-ship-with-crew'],
    specs: true, registryAuth: STANDARD_AUTH, crewViaRef: false, rest: false, skills: [FLEET_OPS, VOYAGE_OPS],
  },
  {
    n: 9, file: 'step-9-shipyard-aggregates.yml', tools: [...READ, 'list-legacy-vessels', 'create-voyage', 'get-ship-with-crew'],
    specs: true, registryAuth: STANDARD_AUTH, crewViaRef: true, rest: false, skills: [FLEET_OPS, VOYAGE_OPS],
  },
  {
    n: 10, file: 'step-10-shipyard-rest-adapter.yml', tools: [...READ, 'list-legacy-vessels', 'create-voyage', 'get-ship-with-crew'],
    specs: true, registryAuth: STANDARD_AUTH, crewViaRef: true, rest: true, skills: [FLEET_OPS, VOYAGE_OPS],
  },
  {
    n: 11, file: 'step-11-shipyard-fleet-manifest.yml',
    tools: [...READ, 'list-legacy-vessels', 'create-voyage', 'get-ship-with-crew', 'get-voyage-manifest'],
    specs: true, registryAuth: STEP11_AUTH, crewViaRef: false, rest: true, skills: [FLEET_OPS, VOYAGE_OPS_11],
  },
];

// ───────────────────────────── harness ─────────────────────────────

type ToolResult = { content: { type: string; text: string }[]; structuredContent?: unknown; isError?: boolean };

interface Served {
  readonly runtime: Runtime;
  readonly mcp: string;
  readonly rest: string;
  readonly skill: string;
  readonly client: Client;
  readonly mcpAuth: boolean;
  readonly doc: any;
}

/** Declared exposes / consumes namespaces of a tutorial file (to override every port and base URI). */
function namespaces(doc: any): { exposes: string[]; consumes: string[] } {
  const cap = doc?.capability ?? {};
  return {
    exposes: (cap.exposes ?? []).map((e: any) => String(e.namespace)),
    consumes: (cap.consumes ?? []).map((c: any) => String(c.as ?? c.namespace ?? c.import)),
  };
}

async function connect(url: string, token: string | undefined): Promise<Client> {
  const client = new Client({ name: 'naftiko-run-tutorial-tests', version: '0.0.0' });
  const requestInit: RequestInit = token ? { headers: { Authorization: `Bearer ${token}` } } : {};
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit }));
  return client;
}

async function serve(file: string, up: ShipyardUpstreams): Promise<Served> {
  const full = path.join(TUTORIAL, file);
  const doc = parseYaml(readFileSync(full, 'utf8'));
  const ns = namespaces(doc);
  const urls: Record<string, string> = { registry: up.registry.url, legacy: up.legacy.url };
  const runtime = await startRuntime({
    files: [full],
    baseUris: new Map(ns.consumes.map((c) => [c, urls[c] ?? `unknown consumes namespace ${c}`])),
    ports: new Map(ns.exposes.map((e) => [e, 0])),
    host: '127.0.0.1',
    logLevel: 'silent',
    env: {}, // the binds come from the secrets file only; the machine's environment never leaks in
  });
  const byType = (t: string) => (runtime.adapters as readonly { type: string; url: string }[]).find((a) => a.type === t)?.url.replace(/\/$/, '') ?? '';
  const mcpAuth = (doc.capability.exposes as any[]).some((e) => e.type === 'mcp' && e.authentication?.type === 'bearer');
  const mcp = byType('mcp');
  let client: Client;
  try {
    client = await connect(mcp, mcpAuth ? MCP_TOKEN : undefined);
  } catch (e) {
    await runtime.close();
    throw e;
  }
  return { runtime, mcp, rest: byType('rest'), skill: byType('skill'), client, mcpAuth, doc };
}

/** The JSON answer of a successful tool call; structuredContent must repeat an object answer. */
function toolJson(r: ToolResult): any {
  const text = r.content?.[0]?.text ?? '';
  expect(r.isError, `tool answered an error: ${text.slice(0, 300)}`).toBeFalsy();
  expect(r.content).toHaveLength(1);
  expect(r.content[0]!.type).toBe('text');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`tool answer is not JSON: ${text.slice(0, 300)}`);
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) expect(r.structuredContent).toEqual(value);
  return value;
}

function toolError(r: ToolResult): string {
  const text = r.content?.[0]?.text ?? '';
  expect(r.isError, `expected isError, got: ${text.slice(0, 300)}`).toBe(true);
  return text;
}

function restJson(reply: Reply, status = 200): any {
  expect(reply.status, reply.text.slice(0, 300)).toBe(status);
  expect(reply.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  expect(reply.json, `not JSON: ${reply.text.slice(0, 300)}`).toBeDefined();
  return reply.json;
}

function expectRegistryCredentials(rec: MockRecorded, step: StepDef): void {
  if (step.registryAuth === 'none') {
    expect(rec.headers.authorization, `${rec.method} ${rec.url}`).toBeUndefined();
    expect(rec.headers['registry-version'], `${rec.method} ${rec.url}`).toBeUndefined();
  } else {
    expect(rec.headers.authorization, `${rec.method} ${rec.url}`).toBe(step.registryAuth.authorization);
    expect(rec.headers['registry-version'], `${rec.method} ${rec.url}`).toBe(step.registryAuth.version);
  }
  expect(rec.headers['x-dock-key'], 'the dockyard key never goes to the registry').toBeUndefined();
}

function expectDockyardCredentials(rec: MockRecorded): void {
  expect(rec.headers['x-dock-key'], `${rec.method} ${rec.url}`).toBe(DOCK_KEY);
  // neither the registry token nor the caller's MCP token leaks to the dockyard
  expect(rec.headers.authorization, `${rec.method} ${rec.url}`).toBeUndefined();
  expect(rec.headers['registry-version']).toBeUndefined();
}

/** "METHOD url" of each recorded request, in order */
const trace = (recs: readonly MockRecorded[]) => recs.map((r) => `${r.method} ${r.url}`);

/**
 * The requests one orchestration sent, as a sorted multiset: the engine may run consecutive call steps
 * that do not read each other concurrently, so their arrival order is not part of the contract here.
 */
const calls = (recs: readonly MockRecorded[]) => trace(recs).sort();

/**
 * After a failing step nothing of a LATER wave may be called: only the failed request and the calls
 * that may have run concurrently with it (`sameWave`).
 */
function expectStoppedAt(recs: readonly MockRecorded[], failed: string, sameWave: readonly string[]): void {
  const seen = trace(recs);
  expect(seen).toContain(failed);
  expect(seen.filter((x) => x !== failed && !sameWave.includes(x)), 'called after the failing step').toEqual([]);
  expect(seen.filter((x) => x === failed)).toHaveLength(1);
}

/**
 * A tools/call the way the reference's CI harness sends it (FEATURES §1.4): curl to path `/`, no
 * `initialize`, no Accept header (fetch then sends its default, any media type), JSON-RPC body, the bearer header; the answer must be
 * plain JSON with `.result.content[0].text`.
 */
async function harnessToolCall(s: Served, name: string, args: Record<string, unknown>): Promise<any> {
  const root = s.mcp.replace(/\/mcp$/, '/');
  const res = await call(root, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(s.mcpAuth ? { authorization: `Bearer ${MCP_TOKEN}` } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
  });
  expect(res.status, res.text.slice(0, 300)).toBe(200);
  expect(res.json, `not JSON: ${res.text.slice(0, 300)}`).toBeDefined();
  expect(res.json.result?.isError, res.text.slice(0, 300)).toBeFalsy();
  return JSON.parse(res.json.result.content[0].text);
}

// ───────────────────────────── shared upstreams ─────────────────────────────

let up: ShipyardUpstreams;
beforeAll(async () => {
  up = await startShipyardUpstreams();
});
afterAll(async () => {
  await up?.close();
});
beforeEach(() => {
  up?.reset();
});

it('the tutorial folder holds the eleven steps this suite covers', () => {
  const files = readdirSync(TUTORIAL).filter((f) => /^step-\d+-.*\.ya?ml$/.test(f)).sort();
  expect(files).toEqual(['step-1-shipyard-mock.yml', ...STEPS.map((s) => s.file)].sort());
  // binds `file:///./shared/secrets.yaml` resolve against CWD first: nothing there must shadow the
  // tutorial's own secrets, or the expected values below would not hold
  expect(existsSync(path.resolve(process.cwd(), 'shared/secrets.yaml'))).toBe(false);
});

// ───────────────────────────── step 1: mock ─────────────────────────────

describe('step 1 (mock): get-ship answers its static values, no upstream', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve('step-1-shipyard-mock.yml', up);
  });
  afterAll(async () => {
    await s?.client.close();
    await s?.runtime.close();
  });

  it('serves one MCP adapter on 127.0.0.1', () => {
    expect(s.runtime.adapters.map((a) => a.type)).toEqual(['mcp']);
    expect(s.mcp).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
  });

  it('tools/list: get-ship requires imo_number', async () => {
    const { tools } = await s.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['get-ship']);
    const t = tools[0]!;
    expect(t.description).toBe("Retrieve a ship's details by IMO number");
    expect(t.inputSchema.required).toEqual(['imo_number']);
    expect(Object.keys(t.inputSchema.properties ?? {})).toEqual(['imo_number']);
    expect(t.inputSchema.properties?.imo_number).toMatchObject({ type: 'string', description: 'IMO number of the ship' });
  });

  it('get-ship echoes the IMO and answers the static card', async () => {
    // outputParameters: imo = "{{imo_number}}", name "Northern Star", type "cargo", flag "NO", status "active"
    const r = (await s.client.callTool({ name: 'get-ship', arguments: { imo_number: 'IMO-9321483' } })) as ToolResult;
    expect(toolJson(r)).toEqual({ imo: 'IMO-9321483', name: 'Northern Star', type: 'cargo', flag: 'NO', status: 'active' });
    const other = (await s.client.callTool({ name: 'get-ship', arguments: { imo_number: 'IMO-1234567' } })) as ToolResult;
    expect(toolJson(other)).toEqual({ imo: 'IMO-1234567', name: 'Northern Star', type: 'cargo', flag: 'NO', status: 'active' });
    expect(up.registry.requests).toHaveLength(0);
    expect(up.legacy.requests).toHaveLength(0);
  });

  it('answers the reference CI harness (POST /, no initialize, Accept */*) — FEATURES §1.4', async () => {
    expect(await harnessToolCall(s, 'get-ship', { imo_number: 'IMO-9321483' })).toEqual({ imo: 'IMO-9321483', name: 'Northern Star', type: 'cargo', flag: 'NO', status: 'active' });
  });

  it('get-ship without imo_number is invalid params, not a call', async () => {
    await expect(s.client.callTool({ name: 'get-ship', arguments: {} })).rejects.toThrow(/imo_number/);
  });
});

// ───────────────────────────── steps 2 … 11 ─────────────────────────────

describe.each(STEPS)('step $n ($file)', (step) => {
  let s: Served;
  let tools: Tool[];
  const has = (t: ToolName) => step.tools.includes(t);
  const callTool = async (name: string, args: Record<string, unknown>) => (await s.client.callTool({ name, arguments: args })) as ToolResult;

  beforeAll(async () => {
    // step 2 calls the registry's public tier (no consumes authentication yet)
    up.registry.requireAuth = step.registryAuth !== 'none';
    s = await serve(step.file, up);
    tools = (await s.client.listTools()).tools;
  });
  afterAll(async () => {
    up.registry.requireAuth = true;
    await s?.client.close();
    await s?.runtime.close();
  });

  it('binds resolve from tutorial/shared/secrets.yaml (CWD first, then the capability folder): no bind warning', () => {
    const bindWarnings = s.runtime.warnings.filter((w) => /BIND/.test(w.code) || /unset/i.test(w.message));
    expect(bindWarnings.map((w) => `${w.code}: ${w.message}`)).toEqual([]);
  });

  // ── tools/list ──

  it('tools/list: the declared tools, each with its declared inputs and required arguments', () => {
    expect(tools.map((t) => t.name).sort()).toEqual([...step.tools].sort());
    const declared = new Map<string, any>((s.doc.capability.exposes as any[]).find((e) => e.type === 'mcp').tools.map((t: any) => [t.name, t]));
    for (const t of tools) {
      const want = TOOL_INPUTS[t.name as ToolName];
      expect(t.description, t.name).toBe(declared.get(t.name)?.description);
      expect(t.inputSchema.type, t.name).toBe('object');
      expect(Object.keys(t.inputSchema.properties ?? {}).sort(), t.name).toEqual([...want.properties].sort());
      expect([...(t.inputSchema.required ?? [])].sort(), t.name).toEqual([...want.required].sort());
    }
  });

  it('tools/list: input types and descriptions as declared', () => {
    const prop = (tool: string, p: string) => tools.find((t) => t.name === tool)?.inputSchema.properties?.[p];
    expect(prop('get-ship', 'imo')).toMatchObject({ type: 'string', description: 'IMO number of the ship' });
    expect(prop('list-ships', 'status')).toMatchObject({ type: 'string', description: 'Filter by operational status' });
    if (has('list-legacy-vessels')) {
      expect(prop('list-legacy-vessels', 'status')).toMatchObject({ type: 'string', description: 'Filter by operational status (active, laid_up, scrapped)' });
    }
    if (has('create-voyage')) {
      expect(prop('create-voyage', 'crewIds')).toMatchObject({ type: 'array', description: 'List of crew member IDs' });
      expect(prop('create-voyage', 'cargoIds')).toMatchObject({ type: 'array', description: 'List of cargo item IDs (optional)' });
      expect(prop('create-voyage', 'departureDate')).toMatchObject({ type: 'string', description: 'Departure date (ISO-8601)' });
    }
    if (has('get-ship-with-crew')) expect(prop('get-ship-with-crew', 'imo')).toMatchObject({ type: 'string', description: 'IMO number of the ship' });
    if (has('get-voyage-manifest')) expect(prop('get-voyage-manifest', 'voyageId')).toMatchObject({ type: 'string', description: 'Voyage ID to build the manifest for' });
  });

  if (has('create-voyage')) {
    it('tools/list: create-voyage carries its hints as annotations', () => {
      // hints: readOnly false, destructive false, idempotent false, openWorld true
      expect(tools.find((t) => t.name === 'create-voyage')?.annotations).toMatchObject({
        readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true,
      });
    });
  }
  if (step.crewViaRef) {
    it('tools/list: the ref tool get-ship-with-crew derives its hints from the function semantics', () => {
      // semantics: safe → readOnly (and not destructive), idempotent → idempotent
      expect(tools.find((t) => t.name === 'get-ship-with-crew')?.annotations).toMatchObject({
        readOnlyHint: true, destructiveHint: false, idempotentHint: true,
      });
    });
  }

  // ── inbound authentication (steps 3+) ──

  if (step.n >= 3) {
    it('the MCP endpoint refuses a missing, a wrong and the literal-template bearer token (FEATURES §10)', async () => {
      const initialize = JSON.stringify({
        jsonrpc: '2.0', id: 1, method: 'initialize',
        params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'probe', version: '0' } },
      });
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      for (const auth of [undefined, 'Bearer sk-mcp-wrong', 'Bearer {{MCP_SERVER_TOKEN}}']) {
        const res = await call(s.mcp, { method: 'POST', headers: { ...headers, ...(auth ? { authorization: auth } : {}) }, body: initialize });
        expect(res.status, `Authorization: ${auth}`).toBe(401);
        expect(res.headers.get('www-authenticate') ?? '', `Authorization: ${auth}`).toMatch(/^Bearer/i);
      }
      const ok = await call(s.mcp, { method: 'POST', headers: { ...headers, authorization: `Bearer ${MCP_TOKEN}` }, body: initialize });
      expect(ok.status).toBe(200);
    });
  }

  it('answers the reference CI harness (POST /, no initialize, Accept */*) — FEATURES §1.4', async () => {
    const card = await harnessToolCall(s, 'get-ship', { imo: 'IMO-9321483' });
    expect(card).toEqual(step.specs ? { ...NORTHERN_STAR, specs: NORTHERN_STAR_SPECS } : NORTHERN_STAR);
    expect(trace(up.registry.requests)).toEqual(['GET /ships/IMO-9321483']);
  });

  // ── MCP tools ──

  it('list-ships: all ships, then filtered by status', async () => {
    expect(toolJson(await callTool('list-ships', {}))).toEqual(ALL_SHIPS);
    expect(toolJson(await callTool('list-ships', { status: 'active' }))).toEqual(ACTIVE_SHIPS);
    expect(toolJson(await callTool('list-ships', { status: 'maintenance' }))).toEqual(MAINTENANCE_SHIPS);
    expect(trace(up.registry.requests)).toEqual(['GET /ships', 'GET /ships?status=active', 'GET /ships?status=maintenance']);
    for (const r of up.registry.requests) expectRegistryCredentials(r, step);
  });

  it(`get-ship: the ship card${step.specs ? ' with specs' : ''} for both registered ships`, async () => {
    const ns = toolJson(await callTool('get-ship', { imo: 'IMO-9321483' }));
    const pd = toolJson(await callTool('get-ship', { imo: 'IMO-9456781' }));
    if (step.specs) {
      expect(ns).toEqual({ ...NORTHERN_STAR, specs: NORTHERN_STAR_SPECS });
      expect(pd).toEqual({ ...PACIFIC_DAWN, specs: PACIFIC_DAWN_SPECS });
    } else {
      expect(ns).toEqual(NORTHERN_STAR);
      expect(pd).toEqual(PACIFIC_DAWN);
    }
    expect(trace(up.registry.requests)).toEqual(['GET /ships/IMO-9321483', 'GET /ships/IMO-9456781']);
    for (const r of up.registry.requests) expectRegistryCredentials(r, step);
  });

  it('get-ship: an unknown IMO is isError with the upstream 404 and its body', async () => {
    const text = toolError(await callTool('get-ship', { imo: UNKNOWN_IMO }));
    expect(text).toContain('404');
    expect(text).toContain(SHIP_NOT_FOUND.message);
    expect(trace(up.registry.requests)).toEqual([`GET /ships/${UNKNOWN_IMO}`]);
  });

  if (has('list-legacy-vessels')) {
    it('list-legacy-vessels: the dockyard XML decoded and mapped; one <vessel> is still an array', async () => {
      expect(toolJson(await callTool('list-legacy-vessels', {}))).toEqual(ALL_VESSELS);
      expect(toolJson(await callTool('list-legacy-vessels', { status: 'active' }))).toEqual(ACTIVE_VESSELS);
      expect(toolJson(await callTool('list-legacy-vessels', { status: 'laid_up' }))).toEqual(LAID_UP_VESSELS);
      expect(trace(up.legacy.requests)).toEqual(['GET /vessels', 'GET /vessels?status=active', 'GET /vessels?status=laid_up']);
      for (const r of up.legacy.requests) expectDockyardCredentials(r);
      expect(up.registry.requests).toHaveLength(0);
    });
  }

  if (has('create-voyage')) {
    it('create-voyage: POSTs the arguments as JSON and answers the mapped voyage', async () => {
      expect(toolJson(await callTool('create-voyage', VOYAGE_ARGS))).toEqual(VOYAGE_CREATED);
      expect(trace(up.registry.requests)).toEqual(['POST /voyages']);
      const rec = up.registry.requests[0]!;
      expectRegistryCredentials(rec, step);
      expect(rec.status).toBe(201);
      expect(rec.headers['content-type'] ?? '').toMatch(/^application\/json/);
      // the consumed body template, with the arrays kept as JSON arrays
      expect(JSON.parse(rec.body)).toEqual(VOYAGE_ARGS);
    });

    it('create-voyage: a missing required argument is invalid params, not a call', async () => {
      const { crewIds: _omit, ...noCrew } = VOYAGE_ARGS;
      await expect(s.client.callTool({ name: 'create-voyage', arguments: noCrew })).rejects.toThrow(/crewIds/);
      expect(up.registry.requests).toHaveLength(0);
    });
  }

  if (has('get-ship-with-crew')) {
    it(`get-ship-with-crew${step.crewViaRef ? ' (ref: crew-resolver.resolve-crew-for-ship)' : ''}: ship merged with its resolved crew`, async () => {
      expect(toolJson(await callTool('get-ship-with-crew', { imo: 'IMO-9321483' }))).toEqual(NORTHERN_STAR_WITH_CREW);
      // the two calls run in declaration order; list-crew declares no parameter, so `imo` adds no query
      expect(calls(up.registry.requests)).toEqual(['GET /crew', 'GET /ships/IMO-9321483']);
      for (const r of up.registry.requests) expectRegistryCredentials(r, step);

      up.reset();
      expect(toolJson(await callTool('get-ship-with-crew', { imo: 'IMO-9456781' }))).toEqual(PACIFIC_DAWN_WITH_CREW);
      expect(calls(up.registry.requests)).toEqual(['GET /crew', 'GET /ships/IMO-9456781']);
    });

    it('get-ship-with-crew: an unknown IMO stops at step "get-ship" with isError (FEATURES §3)', async () => {
      const text = toolError(await callTool('get-ship-with-crew', { imo: UNKNOWN_IMO }));
      expect(text.startsWith('Step "get-ship"'), text).toBe(true);
      expect(text).toContain('404');
      expect(text).toContain(SHIP_NOT_FOUND.message);
      // the first failing call aborts the orchestration (list-crew may only have run alongside it)
      expectStoppedAt(up.registry.requests, `GET /ships/${UNKNOWN_IMO}`, ['GET /crew']);
    });
  }

  if (has('get-voyage-manifest')) {
    it('get-voyage-manifest: voyage, ship, crew and cargo resolved into nested targets', async () => {
      expect(toolJson(await callTool('get-voyage-manifest', { voyageId: VOYAGE_ID }))).toEqual(MANIFEST_MCP);
      // 4 calls, once each; list-ships gets no ?status (no input of that name)
      expect(calls(up.registry.requests)).toEqual(['GET /cargo', 'GET /crew', 'GET /ships', `GET /voyages/${VOYAGE_ID}`]);
      for (const r of up.registry.requests) expectRegistryCredentials(r, step);
    });

    it('get-voyage-manifest: an unknown voyage stops at step "get-voyage" with isError', async () => {
      const text = toolError(await callTool('get-voyage-manifest', { voyageId: UNKNOWN_VOYAGE }));
      expect(text.startsWith('Step "get-voyage"'), text).toBe(true);
      expect(text).toContain('404');
      expect(text).toContain(VOYAGE_NOT_FOUND.message);
      // list-crew and list-cargo come after the resolve-ship lookup: never reached
      expectStoppedAt(up.registry.requests, `GET /voyages/${UNKNOWN_VOYAGE}`, ['GET /ships']);
    });
  }

  // ── REST adapter (steps 7, 10, 11) ──

  if (step.rest) {
    describe('REST adapter shipyard-api', () => {
      it('serves on 127.0.0.1', () => {
        expect(s.rest).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      });

      it('GET /ships and /ships?status=active', async () => {
        expect(restJson(await call(`${s.rest}/ships`))).toEqual(ALL_SHIPS);
        expect(restJson(await call(`${s.rest}/ships?status=active`))).toEqual(ACTIVE_SHIPS);
        expect(trace(up.registry.requests)).toEqual(['GET /ships', 'GET /ships?status=active']);
        for (const r of up.registry.requests) expectRegistryCredentials(r, step);
      });

      it('GET /ships/{imo}: the card with specs; an unknown IMO is the upstream 404 with its body', async () => {
        expect(restJson(await call(`${s.rest}/ships/IMO-9321483`))).toEqual({ ...NORTHERN_STAR, specs: NORTHERN_STAR_SPECS });
        expect(restJson(await call(`${s.rest}/ships/IMO-9456781`))).toEqual({ ...PACIFIC_DAWN, specs: PACIFIC_DAWN_SPECS });
        const missing = await call(`${s.rest}/ships/${UNKNOWN_IMO}`);
        expect(missing.status).toBe(404);
        expect(missing.json).toEqual(SHIP_NOT_FOUND);
        expect(trace(up.registry.requests)).toEqual(['GET /ships/IMO-9321483', 'GET /ships/IMO-9456781', `GET /ships/${UNKNOWN_IMO}`]);
        for (const r of up.registry.requests) expectRegistryCredentials(r, step);
      });

      it(`GET /ships/{imo}/crew${step.crewViaRef ? ' (ref)' : ''}: the same merged ship as the MCP tool`, async () => {
        expect(restJson(await call(`${s.rest}/ships/IMO-9321483/crew`))).toEqual(NORTHERN_STAR_WITH_CREW);
        expect(calls(up.registry.requests)).toEqual(['GET /crew', 'GET /ships/IMO-9321483']);
        for (const r of up.registry.requests) expectRegistryCredentials(r, step);
        up.reset();
        expect(restJson(await call(`${s.rest}/ships/IMO-9456781/crew`))).toEqual(PACIFIC_DAWN_WITH_CREW);
        up.reset();
        // and the MCP twin agrees
        expect(toolJson(await callTool('get-ship-with-crew', { imo: 'IMO-9321483' }))).toEqual(restJson(await call(`${s.rest}/ships/IMO-9321483/crew`)));
      });

      it('GET /ships/{imo}/crew with an unknown IMO: 404 with the registry error body (FEATURES §3)', async () => {
        const r = await call(`${s.rest}/ships/${UNKNOWN_IMO}/crew`);
        expect(r.status, r.text.slice(0, 300)).toBe(404);
        expect(r.json).toEqual(SHIP_NOT_FOUND);
        expectStoppedAt(up.registry.requests, `GET /ships/${UNKNOWN_IMO}`, ['GET /crew']);
      });

      it('GET /legacy/vessels: XML decoded and mapped; one <vessel> is still an array', async () => {
        expect(restJson(await call(`${s.rest}/legacy/vessels`))).toEqual(ALL_VESSELS);
        expect(restJson(await call(`${s.rest}/legacy/vessels?status=active`))).toEqual(ACTIVE_VESSELS);
        expect(restJson(await call(`${s.rest}/legacy/vessels?status=laid_up`))).toEqual(LAID_UP_VESSELS);
        expect(trace(up.legacy.requests)).toEqual(['GET /vessels', 'GET /vessels?status=active', 'GET /vessels?status=laid_up']);
        for (const r of up.legacy.requests) expectDockyardCredentials(r);
      });

      it('POST /voyages: the JSON body goes upstream; 201 with the mapped voyage', async () => {
        expect(restJson(await call(`${s.rest}/voyages`, jsonInit('POST', VOYAGE_ARGS)), 201)).toEqual(VOYAGE_CREATED);
        expect(trace(up.registry.requests)).toEqual(['POST /voyages']);
        const rec = up.registry.requests[0]!;
        expectRegistryCredentials(rec, step);
        expect(rec.headers['content-type'] ?? '').toMatch(/^application\/json/);
        expect(JSON.parse(rec.body)).toEqual(VOYAGE_ARGS);
      });

      if (has('get-voyage-manifest')) {
        it('GET /voyages/{voyageId}/manifest: the flat manifest; an unknown voyage is 404 with its body', async () => {
          expect(restJson(await call(`${s.rest}/voyages/${VOYAGE_ID}/manifest`))).toEqual(MANIFEST_REST);
          expect(calls(up.registry.requests)).toEqual(['GET /cargo', 'GET /crew', 'GET /ships', `GET /voyages/${VOYAGE_ID}`]);
          for (const r of up.registry.requests) expectRegistryCredentials(r, step);
          up.reset();
          const missing = await call(`${s.rest}/voyages/${UNKNOWN_VOYAGE}/manifest`);
          expect(missing.status).toBe(404);
          expect(missing.json).toEqual(VOYAGE_NOT_FOUND);
          expectStoppedAt(up.registry.requests, `GET /voyages/${UNKNOWN_VOYAGE}`, ['GET /ships']);
        });
      }
    });
  }

  // ── skill adapter (steps 7 … 11) ──

  if (step.skills) {
    const skills = step.skills;
    describe('skill adapter shipyard-skills (FEATURES §14)', () => {
      const skillUrl = (route: string) => {
        if (!s.skill) throw new Error('no skill adapter was started (runtime.adapters has no type "skill")');
        return `${s.skill}${route}`;
      };
      it('serves on 127.0.0.1', () => {
        expect(s.skill, 'no skill adapter was started').toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      });

      it('GET /skills lists every skill with its tool names', async () => {
        const r = restJson(await call(skillUrl('/skills')));
        expect(r).toEqual({
          count: skills.length,
          skills: skills.map((k) => ({ name: k.name, description: k.description, tools: k.tools.map((t) => t.name) })),
        });
      });

      it('GET /skills/{name} gives each derived tool with its invocationRef to the MCP adapter', async () => {
        for (const k of skills) {
          const r = restJson(await call(skillUrl(`/skills/${k.name}`)));
          expect(r.name).toBe(k.name);
          expect(r.description).toBe(k.description);
          expect((r.tools as any[]).map((t) => ({ name: t.name, description: t.description, type: t.type, invocationRef: { ...t.invocationRef, endpoint: undefined } }))).toEqual(
            k.tools.map((t) => ({
              name: t.name, description: t.description, type: 'derived',
              invocationRef: { targetNamespace: 'shipyard-tools', action: t.action, mode: 'mcp', endpoint: undefined },
            })),
          );
          // the optional `endpoint` extension, when given, must be where the MCP adapter really listens
          for (const t of r.tools as any[]) {
            if (t.invocationRef?.endpoint !== undefined) expect(t.invocationRef.endpoint, t.name).toBe(s.mcp);
          }
        }
      });

      it('GET /skills/{unknown} is 404', async () => {
        expect((await call(skillUrl('/skills/no-such-skill'))).status).toBe(404);
      });

      it('the catalog is read-only: serving it calls nothing upstream', async () => {
        expect((await call(skillUrl('/skills'))).status).toBe(200);
        for (const k of skills) expect((await call(skillUrl(`/skills/${k.name}`))).status).toBe(200);
        expect(up.registry.requests).toHaveLength(0);
        expect(up.legacy.requests).toHaveLength(0);
      });
    });
  }
});
