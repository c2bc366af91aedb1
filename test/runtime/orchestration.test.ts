/**
 * Orchestrated operations (FEATURES §3–§6) end to end: REST operations, MCP tools and aggregate
 * functions with call, lookup and script steps, against a recording upstream on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { call, mcpClient, startRecorder, tmpDir, type Recorder, type Recorded, type Answer, type TmpDir } from './helpers.js';

const SHIPS: Record<string, unknown> = {
  'IMO-1': { imo_number: 'IMO-1', vessel_name: 'Northern Star', year_built: '2015', dimensions: { length_overall: 229 }, assignedCrew: ['C1', 'C3', 'C9'] },
  'IMO-2': { imo_number: 'IMO-2', vessel_name: 'Lone Gull', year_built: 1999, dimensions: { length_overall: 80 }, assignedCrew: [] },
};
const CREW = [
  { crewId: 'C1', fullName: 'Erik Lindström', role: 'captain', salary: 1 },
  { crewId: 'C2', fullName: 'Ana Souza', role: 'engineer', salary: 2 },
  { crewId: 'C3', fullName: 'Aiko Tanaka', role: 'cook', salary: 3 },
];

function answer(req: Recorded): Answer {
  if (req.path.startsWith('/ships/')) {
    const id = decodeURIComponent(req.path.slice('/ships/'.length));
    const ship = SHIPS[id];
    if (id === 'SLOW') return { status: 200, body: {}, delayMs: 1500 };
    return ship ? { status: 200, body: ship } : { status: 404, body: { error: 'not_found', message: `Ship ${id} not found` } };
  }
  if (req.path === '/crew') return { status: 200, body: CREW };
  if (req.path === '/owners') return { status: 200, body: { data: [{ id: 7, name: 'Acme' }, { id: 8, name: 'Globex' }] } };
  if (req.path.startsWith('/audit/')) return { status: 200, body: { audited: req.path.slice('/audit/'.length) } };
  return { status: 500, body: { error: 'unexpected', path: req.path } };
}

const CAPABILITY = (upstream: string) => `
naftiko: 1.0.0-alpha3
capability:
  consumes:
    - namespace: registry
      type: http
      baseUri: "${upstream}"
      resources:
        - name: ship
          path: "/ships/{{imo_number}}"
          operations:
            - name: get-ship
              method: GET
              inputParameters:
                - name: imo_number
                  in: path
        - name: crew
          path: /crew
          operations:
            - name: list-crew
              method: GET
              outputParameters:
                - name: id
                  type: string
                  value: $.crewId
        - name: owners
          path: /owners
          operations:
            - name: list-owners
              method: GET
        - name: audit
          path: "/audit/{{what}}"
          operations:
            - name: audit
              method: GET
              inputParameters:
                - name: what
                  in: path
  aggregates:
    - namespace: fleet
      label: Fleet
      functions:
        - name: crew-for-ship
          description: crew of a ship
          semantics:
            safe: true
          inputParameters:
            - name: imo
              type: string
              required: true
              description: IMO number
          steps:
            - name: ship
              type: call
              call: registry.get-ship
              with:
                imo_number: fleet.imo
            - name: crew
              type: call
              call: registry.list-crew
            - name: names
              type: lookup
              index: crew
              match: crewId
              lookupValue: $.ship.assignedCrew
              outputParameters: [fullName]
          mappings:
            - targetName: imo
              value: $.ship.imo_number
            - targetName: crew
              value: $.names
  exposes:
    - type: control
      port: 19998
      management:
        scripting:
          enabled: true
          defaultLocation: "file:///./scripts"
          defaultLanguage: javascript
          timeout: 400
    - type: rest
      namespace: api
      port: 19997
      resources:
        - name: ship-crew
          path: "/ships/{imo}/crew"
          operations:
            - name: ship-with-crew
              method: GET
              inputParameters:
                - name: imo
                  in: path
                  type: string
                  description: the imo
              steps:
                - name: get-ship
                  type: call
                  call: registry.get-ship
                  with:
                    imo_number: "{{imo}}"
                - name: list-crew
                  type: call
                  call: registry.list-crew
                - name: resolve-crew
                  type: lookup
                  index: list-crew
                  match: crewId
                  lookupValue: "$.get-ship.assignedCrew"
                  outputParameters: [fullName, role]
              mappings:
                - targetName: imo
                  value: "$.get-ship.imo_number"
                - targetName: specs.built
                  value: "$.get-ship.year_built"
                - targetName: specs.length
                  value: "$.get-ship.dimensions.length_overall"
                - targetName: crew
                  value: "$.resolve-crew"
                - targetName: first
                  value: "$.list-crew[0].id"
                - targetName: missing
                  value: "$.get-ship.nothing.here"
              outputParameters:
                - name: imo
                  type: string
                - name: specs
                  type: object
                  properties:
                    built:
                      name: built
                      type: number
                    length:
                      name: length
                      type: number
                - name: crew
                  type: array
                  items:
                    - name: fullName
                      type: string
                    - name: role
                      type: string
        - name: chain
          path: "/chain/{imo}"
          operations:
            - name: chain
              method: GET
              steps:
                - name: ship
                  type: call
                  call: registry.get-ship
                  with:
                    imo_number: api.imo
                - name: audit
                  type: call
                  call: registry.audit
                  with:
                    what: "{{ship.vessel_name}}"
              mappings:
                - targetName: audited
                  value: $.audit.audited
        - name: captain
          path: "/captain/{id}"
          operations:
            - name: captain
              method: GET
              inputParameters:
                - name: id
                  in: path
                  type: string
                  description: the id
              steps:
                - name: crew
                  type: call
                  call: registry.list-crew
                - name: one
                  type: lookup
                  index: crew
                  match: crewId
                  lookupValue: api.id
                  outputParameters: [fullName]
                - name: owners
                  type: call
                  call: registry.list-owners
                - name: owner
                  type: lookup
                  index: owners
                  match: id
                  lookupValue: "7"
                  outputParameters: [name]
              mappings:
                - targetName: captain
                  value: $.one
                - targetName: owner
                  value: $.owner.name
        - name: last
          path: "/last/{imo}"
          operations:
            - name: last
              method: GET
              steps:
                - name: crew
                  type: call
                  call: registry.list-crew
                - name: ship
                  type: call
                  call: registry.get-ship
                  with:
                    imo_number: api.imo
        - name: agg
          path: "/agg/{imo}"
          operations:
            - name: agg
              method: GET
              inputParameters:
                - name: imo
                  in: path
                  type: string
                  description: the imo
              ref: fleet.crew-for-ship
        - name: script
          path: "/script/{what}"
          operations:
            - name: script
              method: GET
              inputParameters:
                - name: what
                  in: path
                  type: string
                  description: the what
              steps:
                - name: crew
                  type: call
                  call: registry.list-crew
                - name: compute
                  type: script
                  file: "{{SCRIPT_FILE}}"
              mappings:
                - targetName: result
                  value: $.compute
    - type: mcp
      namespace: tools
      port: 19996
      tools:
        - name: ship-with-crew
          description: ship and crew
          inputParameters:
            - name: imo
              type: string
              required: true
              description: IMO number
          steps:
            - name: get-ship
              type: call
              call: registry.get-ship
              with:
                imo_number: tools.imo
            - name: list-crew
              type: call
              call: registry.list-crew
            - name: resolve-crew
              type: lookup
              index: list-crew
              match: crewId
              lookupValue: "$.get-ship.assignedCrew"
              outputParameters: [fullName, role]
          mappings:
            - targetName: imo
              value: "$.get-ship.imo_number"
            - targetName: crew
              value: "$.resolve-crew"
          outputParameters:
            - name: imo
              type: string
            - name: crew
              type: array
              items:
                - name: fullName
                  type: string
                - name: role
                  type: string
        - name: agg
          description: through an aggregate
          ref: fleet.crew-for-ship
`;

/** Script steps name their file through a template so each test picks its script; the file is read at load. */
const SCRIPTS: Record<string, string> = {
  'sum.js': "result = { count: context.crew.length, total: context.crew.reduce((s, c) => s + c.salary, 0), what: context.inputs.what };",
  'loop.js': 'while (true) {}',
  'escape.js': [
    'const probe = (f) => { try { return typeof f(); } catch (e) { return "threw"; } };',
    'result = {',
    '  process: probe(() => process),',
    '  require: probe(() => require),',
    '  fetch: probe(() => fetch),',
    '  ctor: probe(() => this.constructor.constructor("return process")()),',
    '  ctxCtor: probe(() => context.constructor.constructor("return typeof process")()),',
    '};',
  ].join('\n'),
  'throws.js': 'throw new Error("no crew today")',
};

describe('orchestrated operations', () => {
  let upstream: Recorder;
  let dir: TmpDir;
  const runtimes: Runtime[] = [];
  let rest = '';
  let mcp = '';
  let client: Client;

  async function serve(script: string, invoker?: { responseTimeoutMs: number }): Promise<{ rest: string; mcp: string }> {
    const file = dir.write(`cap-${script}.yaml`, CAPABILITY(upstream.url).replace('{{SCRIPT_FILE}}', script));
    const runtime = await startRuntime({
      files: [file],
      ports: new Map([['api', 0], ['tools', 0], ['control', 0]]),
      logLevel: 'silent',
      env: {},
      ...(invoker ? { invoker } : {}),
    });
    runtimes.push(runtime);
    return { rest: runtime.adapters.find((a) => a.type === 'rest')!.url, mcp: runtime.adapters.find((a) => a.type === 'mcp')!.url };
  }

  beforeAll(async () => {
    upstream = await startRecorder(answer);
    dir = tmpDir();
    mkdirSync(path.join(dir.dir, 'scripts'));
    for (const [name, code] of Object.entries(SCRIPTS)) writeFileSync(path.join(dir.dir, 'scripts', name), code);
    const cwd = process.cwd();
    process.chdir(dir.dir);
    try {
      ({ rest, mcp } = await serve('sum.js'));
    } finally {
      process.chdir(cwd);
    }
    client = await mcpClient(mcp);
  });
  afterAll(async () => {
    await client?.close();
    await Promise.all(runtimes.map((r) => r.close()));
    await upstream.close();
    dir.remove();
  });

  it('REST: calls, multi-lookup, nested targets, coercion by declared type, null for what resolves to nothing', async () => {
    const r = await call(`${rest}/ships/IMO-1/crew`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      imo: 'IMO-1',
      specs: { built: 2015, length: 229 },
      crew: [{ fullName: 'Erik Lindström', role: 'captain' }, { fullName: 'Aiko Tanaka', role: 'cook' }],
      first: 'C1',
      missing: null,
    });
  });

  it('a multi-lookup that matches nothing is [] (the shape does not depend on the data)', async () => {
    const r = await call(`${rest}/ships/IMO-2/crew`);
    expect(r.json.crew).toEqual([]);
    expect(r.json.specs).toEqual({ built: 1999, length: 80 });
  });

  it('a failing step: its status and body reach the caller, and no later step runs', async () => {
    const before = upstream.requests.length;
    const r = await call(`${rest}/chain/IMO-404`);
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ error: 'not_found', message: 'Ship IMO-404 not found' });
    const paths = upstream.requests.slice(before).map((q) => q.path);
    expect(paths).toEqual(['/ships/IMO-404']);
  });

  it('a later step reads an earlier step output through {{step.field}}, in order', async () => {
    const before = upstream.requests.length;
    const r = await call(`${rest}/chain/IMO-1`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ audited: 'Northern%20Star' });
    expect(upstream.requests.slice(before).map((q) => q.path)).toEqual(['/ships/IMO-1', '/audit/Northern%20Star']);
  });

  it('scalar lookups: hit, miss (null), numbers match their decimal text', async () => {
    const hit = await call(`${rest}/captain/C2`);
    expect(hit.json).toEqual({ captain: { fullName: 'Ana Souza' }, owner: 'Acme' });
    const miss = await call(`${rest}/captain/C42`);
    expect(miss.json).toEqual({ captain: null, owner: 'Acme' });
  });

  it('without mappings, the last call step answers with its status and body', async () => {
    const r = await call(`${rest}/last/IMO-2`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual(SHIPS['IMO-2']);
  });

  it('an aggregate function with steps, through REST ref (the aggregate namespace is an input prefix)', async () => {
    const r = await call(`${rest}/agg/IMO-1`);
    expect(r.json).toEqual({ imo: 'IMO-1', crew: [{ fullName: 'Erik Lindström' }, { fullName: 'Aiko Tanaka' }] });
  });

  it('MCP: structuredContent, outputSchema from the orchestrated outputParameters, step failure as isError', async () => {
    const list = await client.listTools();
    const tool = list.tools.find((t) => t.name === 'ship-with-crew')!;
    expect(tool.inputSchema.required).toEqual(['imo']);
    expect(tool.outputSchema?.properties?.crew).toMatchObject({ items: { properties: { fullName: {}, role: {} } } });
    const ok = await client.callTool({ name: 'ship-with-crew', arguments: { imo: 'IMO-1' } });
    expect(ok.isError).toBeFalsy();
    expect(ok.structuredContent).toEqual({ imo: 'IMO-1', crew: [{ fullName: 'Erik Lindström', role: 'captain' }, { fullName: 'Aiko Tanaka', role: 'cook' }] });
    const bad = await client.callTool({ name: 'ship-with-crew', arguments: { imo: 'IMO-0' } });
    expect(bad.isError).toBe(true);
    expect((bad.content as { text: string }[])[0]!.text).toBe('Step "get-ship" (registry.get-ship): Upstream answered 404: {"error":"not_found","message":"Ship IMO-0 not found"}');
    const agg = await client.callTool({ name: 'agg', arguments: { imo: 'IMO-2' } });
    expect(agg.structuredContent).toEqual({ imo: 'IMO-2', crew: [] });
  });

  it('a slow step hits the upstream timeout: 504 naming the step', async () => {
    const cwd = process.cwd();
    process.chdir(dir.dir);
    let slow: { rest: string };
    try {
      slow = await serve('sum.js', { responseTimeoutMs: 300 });
    } finally {
      process.chdir(cwd);
    }
    const r = await call(`${slow.rest}/chain/SLOW`);
    expect(r.status).toBe(504);
    expect(r.json).toMatchObject({ code: 'NR_ERR_UPSTREAM_TIMEOUT', step: 'ship', call: 'registry.get-ship' });
    expect(r.json.detail).toMatch(/^Step "ship" \(registry.get-ship\): /);
  });

  describe('script steps', () => {
    const scripted = async (script: string) => {
      const cwd = process.cwd();
      process.chdir(dir.dir);
      try {
        return await serve(script);
      } finally {
        process.chdir(cwd);
      }
    };

    it('see the inputs and earlier step outputs in context; result is the step output', async () => {
      const r = await call(`${rest}/script/totals`);
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ result: { count: 3, total: 6, what: 'totals' } });
    });

    it('a script that loops forever is stopped at its limit; the server keeps serving', async () => {
      const s = await scripted('loop.js');
      const started = Date.now();
      const r = await call(`${s.rest}/script/x`);
      expect(r.status).toBe(500);
      expect(r.json.code).toBe('NR_ERR_SCRIPT_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(10_000);
      const again = await call(`${rest}/script/again`);
      expect(again.json.result.what).toBe('again');
    });

    it('a script cannot reach process, require or fetch', async () => {
      const s = await scripted('escape.js');
      const r = await call(`${s.rest}/script/x`);
      expect(r.status).toBe(200);
      expect(r.json.result).toEqual({ process: 'threw', require: 'threw', fetch: 'threw', ctor: 'threw', ctxCtor: expect.stringMatching(/^(undefined|threw)$/) });
    });

    it('a throwing script answers 500 NR_ERR_SCRIPT_FAILED with its message', async () => {
      const s = await scripted('throws.js');
      const r = await call(`${s.rest}/script/x`);
      expect(r.status).toBe(500);
      expect(r.json.code).toBe('NR_ERR_SCRIPT_FAILED');
      expect(r.json.detail).toContain('no crew today');
    });
  });
});
