/**
 * capabilities/bulksync.yaml (the generated Polytomic Bulk Sync capability, SEMANTICS §1 dialect) loads
 * into the model the adapters serve: every operation, tool, hint and `with` entry of the file is there,
 * inputs are inferred (SEMANTICS §3), and the model is immutable.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCapability, type LoadResult } from '../../src/spec/load.js';
import type {
  CapabilityModel, ConsumedApi, ExposedInput, ExposedOperation, McpAdapter, RestAdapter, WithArgument,
} from '../../src/spec/model.js';
import { BULKSYNC, NO_ENV } from './helpers.js';

type RawWith = Record<string, string>;
interface RawOp { name: string; call: string; method?: string; with?: RawWith; hints?: Record<string, boolean> }
interface RawDoc {
  capability: {
    consumes: { namespace: string; resources: { path: string; operations: { name: string; method: string; inputParameters: { name: string; in: string; type?: string; required?: boolean; description?: string }[] }[] }[] }[];
    exposes: ({ type: 'rest'; resources: { path: string; operations: RawOp[] }[] } | { type: 'mcp'; tools: RawOp[] })[];
  };
}

const raw = parse(readFileSync(BULKSYNC, 'utf8')) as RawDoc;
const rawConsumed = raw.capability.consumes[0]!;
const rawRest = raw.capability.exposes.find((e) => e.type === 'rest') as Extract<RawDoc['capability']['exposes'][number], { type: 'rest' }>;
const rawMcp = raw.capability.exposes.find((e) => e.type === 'mcp') as Extract<RawDoc['capability']['exposes'][number], { type: 'mcp' }>;
const rawRestOps = rawRest.resources.flatMap((r) => r.operations.map((o) => ({ ...o, path: r.path })));

let result: LoadResult;
let model: CapabilityModel;
let api: ConsumedApi;
let rest: RestAdapter;
let mcp: McpAdapter;

beforeAll(() => {
  result = loadCapability(BULKSYNC, { env: { POLYTOMIC_API_KEY: 'test-key' } });
  model = result.model;
  api = model.consumes[0]!;
  rest = model.exposes.find((a): a is RestAdapter => a.type === 'rest')!;
  mcp = model.exposes.find((a): a is McpAdapter => a.type === 'mcp')!;
});

const restOp = (name: string): ExposedOperation => {
  const op = rest.operations.find((o) => o.name === name);
  if (!op) throw new Error(`no REST operation ${name}`);
  return op;
};
const tool = (name: string): ExposedOperation => {
  const t = mcp.tools.find((o) => o.name === name);
  if (!t) throw new Error(`no MCP tool ${name}`);
  return t;
};
const input = (op: ExposedOperation, name: string): ExposedInput => {
  const i = op.inputs.find((x) => x.name === name);
  if (!i) throw new Error(`${op.id} has no input ${name} (has ${op.inputs.map((x) => x.name).join(', ')})`);
  return i;
};
const expectedWith = (w: RawWith): WithArgument[] =>
  Object.entries(w).map(([target, value]) => ({ target, source: { kind: 'input', name: value.slice(value.indexOf('.') + 1) } }));

describe('capabilities/bulksync.yaml', () => {
  it('loads with no errors and no warnings', () => {
    expect(result.warnings).toEqual([]);
    // and in strict mode too: nothing in it is unknown
    expect(() => loadCapability(BULKSYNC, { strict: true, env: NO_ENV })).not.toThrow();
  });

  it('has its info and its bind variable', () => {
    expect(model.version).toBe('1.0.0-alpha2');
    expect(model.file).toBe(BULKSYNC);
    expect(model.info.label).toBe('API Reference — subpackage_bulkSync');
    expect(model.info.tags).toEqual(['Polytomic', 'subpackage_bulkSync']);
    expect(model.variables.get('POLYTOMIC_API_KEY')).toEqual({ name: 'POLYTOMIC_API_KEY', namespace: 'env', source: 'POLYTOMIC_API_KEY', value: 'test-key' });
    expect(model.variables.get('env.POLYTOMIC_API_KEY')?.value).toBe('test-key');
  });

  it('has 11 consumed operations, each as in the file', () => {
    expect(model.consumes).toHaveLength(1);
    expect(api.namespace).toBe('polytomic-subpackage-bulksync');
    expect(api.baseUri.source).toBe('https://app.polytomic.com');
    expect(api.operations.size).toBe(11);
    expect(api.authentication?.type).toBe('bearer');
    expect(api.authentication?.type === 'bearer' && api.authentication.token.refs).toEqual(['env.POLYTOMIC_API_KEY']);
    for (const res of rawConsumed.resources) {
      for (const rop of res.operations) {
        const op = api.operations.get(rop.name);
        expect(op, rop.name).toBeDefined();
        expect(op!.ref).toBe(`polytomic-subpackage-bulksync.${rop.name}`);
        expect(op!.method).toBe(rop.method);
        expect(op!.path.source).toBe(res.path);
        expect(op!.outputRawFormat).toBe('json');
        expect(op!.parameters.map((p) => ({ name: p.name, in: p.in, type: p.type, required: p.required, description: p.description }))).toEqual(
          rop.inputParameters.map((p) => ({ name: p.name, in: p.in, type: p.type, required: p.required === true || p.in === 'path', description: p.description })),
        );
      }
    }
  });

  it('has 1 REST adapter with 11 operations and 1 MCP adapter with 11 tools', () => {
    expect(model.exposes.map((a) => a.type)).toEqual(['rest', 'mcp']);
    expect(rest.namespace).toBe('polytomic-subpackage-bulksync-rest');
    expect(rest.port).toBe(8080);
    expect(rest.address).toBe('127.0.0.1');
    expect(rest.operations).toHaveLength(11);
    expect(rest.operations.map((o) => `${o.method} ${o.path}`)).toEqual(rawRestOps.map((o) => `${o.method} ${o.path}`));
    expect(mcp.namespace).toBe('polytomic-subpackage-bulksync-mcp');
    expect(mcp.port).toBe(9090);
    expect(mcp.transport).toBe('http');
    expect(mcp.tools).toHaveLength(11);
    expect(mcp.tools.map((t) => t.name)).toEqual(rawMcp.tools.map((t) => t.name));
  });

  it('every MCP tool has its hints', () => {
    for (const rt of rawMcp.tools) {
      expect(rt.hints, rt.name).toBeDefined();
      expect(tool(rt.name).hints, rt.name).toEqual(rt.hints);
    }
  });

  it('every `with` entry of the file is in the model (handler.with), in order', () => {
    let count = 0;
    for (const [i, ro] of rawRestOps.entries()) {
      const op = rest.operations[i]!;
      expect(op.handler.kind).toBe('call');
      if (op.handler.kind !== 'call') continue;
      expect(op.handler.operation.ref).toBe(ro.call);
      expect(op.handler.withImplicit).toBe(false);
      expect(op.handler.with).toEqual(expectedWith(ro.with!));
      expect(op.handler.output).toEqual({ kind: 'passthrough' });
      count += Object.keys(ro.with!).length;
    }
    for (const rt of rawMcp.tools) {
      const t = tool(rt.name);
      expect(t.handler.kind).toBe('call');
      if (t.handler.kind !== 'call') continue;
      expect(t.handler.operation.ref).toBe(rt.call);
      expect(t.handler.with).toEqual(expectedWith(rt.with!));
      expect(t.handler.output).toEqual({ kind: 'passthrough' });
      count += Object.keys(rt.with!).length;
    }
    // 39 entries on each side: 11 Authorization + 11 X-Polytomic-Version + 9 id + 4 body + 2 refresh_schemas + active + include_fields
    expect(count).toBe(78);
  });

  it('infers every input from the consumed parameter its `with` feeds', () => {
    for (const op of [...rest.operations, ...mcp.tools]) {
      if (op.handler.kind !== 'call') throw new Error(op.id);
      expect(op.inputsInferred, op.id).toBe(true);
      expect(op.inputs.map((i) => i.name), op.id).toEqual(op.handler.with.map((w) => (w.source.kind === 'input' ? w.source.name : '?')));
      for (const i of op.inputs) {
        const p = op.handler.operation.parameters.find((x) => x.name === i.name)!;
        expect(i.type, `${op.id} ${i.name}`).toBe(p.type);
        expect(i.required, `${op.id} ${i.name}`).toBe(p.required);
        expect(i.description, `${op.id} ${i.name}`).toBe(p.description);
        expect(i.in, `${op.id} ${i.name}`).toBe(p.in);
        expect(i.credential, `${op.id} ${i.name}`).toBe(i.name === 'Authorization');
      }
    }
  });

  it('list: active (query, boolean), Authorization (header, credential), X-Polytomic-Version (header)', () => {
    for (const op of [restOp('list'), tool('list-bulk-syncs')]) {
      expect(op.inputs.map((i) => i.name)).toEqual(['active', 'Authorization', 'X-Polytomic-Version']);
      expect(input(op, 'active')).toEqual({
        name: 'active', in: 'query', type: 'boolean', required: false, credential: false,
        description: 'Filter to only active (true) or only paused (false) syncs. Omit to return both.',
      });
      expect(input(op, 'Authorization')).toEqual({ name: 'Authorization', in: 'header', type: 'string', required: true, credential: true, description: 'Bearer user API key' });
      expect(input(op, 'X-Polytomic-Version')).toEqual({ name: 'X-Polytomic-Version', in: 'header', type: 'string', required: false, credential: false });
    }
  });

  it('get: id (path, required), refresh_schemas (query, boolean)', () => {
    for (const op of [restOp('get'), tool('get-bulk-sync')]) {
      expect(op.inputs.map((i) => i.name)).toEqual(['id', 'refresh_schemas', 'Authorization', 'X-Polytomic-Version']);
      expect(input(op, 'id')).toEqual({ name: 'id', in: 'path', type: 'string', required: true, credential: false });
      expect(input(op, 'refresh_schemas')).toMatchObject({ in: 'query', type: 'boolean', required: false });
    }
    expect(restOp('get').path).toBe('/v1/api/bulk/syncs/{id}');
    expect(restOp('get').method).toBe('GET');
  });

  it('create: body (in body, type object, optional)', () => {
    for (const op of [restOp('create'), tool('create-bulk-sync')]) {
      expect(op.inputs.map((i) => i.name)).toEqual(['Authorization', 'X-Polytomic-Version', 'body']);
      expect(input(op, 'body')).toEqual({ name: 'body', in: 'body', type: 'object', required: false, credential: false, description: 'Request body (JSON).' });
    }
    expect(restOp('create').method).toBe('POST');
  });

  it('an unset POLYTOMIC_API_KEY is not an error: the variable is there, without a value', () => {
    const { model: m, warnings } = loadCapability(BULKSYNC, { env: NO_ENV });
    expect(warnings.filter((w) => w.severity === 'error')).toEqual([]);
    expect(m.variables.get('POLYTOMIC_API_KEY')).toEqual({ name: 'POLYTOMIC_API_KEY', namespace: 'env', source: 'POLYTOMIC_API_KEY', value: undefined });
  });
});

describe('the model is immutable', () => {
  /** Every object reachable from the model, with its path. */
  const reachable = (root: unknown): [string, object][] => {
    const out: [string, object][] = [];
    const seen = new Set<unknown>();
    const walk = (v: unknown, at: string): void => {
      if (v === null || typeof v !== 'object' || seen.has(v)) return;
      seen.add(v);
      out.push([at, v]);
      if (v instanceof Map) for (const [k, x] of v) walk(x, `${at}.get(${JSON.stringify(k)})`);
      else for (const [k, x] of Object.entries(v)) walk(x, `${at}.${k}`);
    };
    walk(root, 'model');
    return out;
  };

  it('every nested object, array and map is frozen', () => {
    const all = reachable(model);
    expect(all.length).toBeGreaterThan(300);
    const notFrozen = all.filter(([, o]) => !Object.isFrozen(o)).map(([p]) => p);
    expect(notFrozen).toEqual([]);
    // spot checks along the paths the adapters use
    for (const o of [model, model.consumes, api, api.operations.get('list')!, api.operations.get('list')!.parameters[0]!, rest, rest.operations,
      restOp('list'), restOp('list').inputs, input(restOp('list'), 'active'), restOp('list').handler, tool('list-bulk-syncs').hints!, model.variables.get('POLYTOMIC_API_KEY')!]) {
      expect(Object.isFrozen(o)).toBe(true);
    }
  });

  it('assignments throw (ESM is strict mode)', () => {
    expect(() => { (model as { version: string }).version = 'x'; }).toThrow(TypeError);
    expect(() => { (rest.operations as ExposedOperation[]).push(restOp('list')); }).toThrow(TypeError);
    expect(() => { (input(restOp('get'), 'id') as { required: boolean }).required = false; }).toThrow(TypeError);
    expect(() => { (tool('list-bulk-syncs').hints as { readOnly?: boolean }).readOnly = false; }).toThrow(TypeError);
    const h = restOp('list').handler;
    if (h.kind !== 'call') throw new Error('call expected');
    expect(() => { (h.with as WithArgument[]).pop(); }).toThrow(TypeError);
  });

  it('maps cannot be changed either (Object.freeze does not protect Map entries)', () => {
    // a model of its own: if the maps can be changed, this test must not spoil the shared one
    const fresh = loadCapability(BULKSYNC, { env: { POLYTOMIC_API_KEY: 'test-key' } }).model;
    const ops = fresh.consumes[0]!.operations as Map<string, unknown>;
    const vars = fresh.variables as Map<string, unknown>;
    let opsThrew = false;
    let varsThrew = false;
    try { ops.delete('list'); } catch { opsThrew = true; }
    try { vars.set('POLYTOMIC_API_KEY', { value: 'stolen' }); } catch { varsThrew = true; }
    expect({ operationsStillHaveList: ops.has('list'), variableUnchanged: fresh.variables.get('POLYTOMIC_API_KEY')?.value }).toEqual({ operationsStillHaveList: true, variableUnchanged: 'test-key' });
    expect({ opsThrew, varsThrew }).toEqual({ opsThrew: true, varsThrew: true });
  });
});
