/**
 * Every YAML file of test/fixtures (the reference engine's own test capabilities, copied from
 * /work/shared/naftiko/fixtures, folder layout kept) loads with loadCapability — or fails for a reason
 * written down in MUST_FAIL below, with exactly the error codes listed there.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCapability } from '../../src/spec/load.js';
import { CapabilityLoadError } from '../../src/spec/diagnostics.js';
import type { CapabilityModel, ExposedOperation, McpAdapter, RestAdapter } from '../../src/spec/model.js';
import { FIXTURES, NO_ENV, fileFailure, where, yamlFilesUnder } from './helpers.js';

interface ExpectedFailure {
  /** why this file cannot load (the documented reason) */
  readonly reason: string;
  /** the exact set of error codes (warnings aside) */
  readonly codes: readonly string[];
  /** errors that must be among the reported ones, positions included */
  readonly includes: readonly { code: string; pointer: string; line: number; column: number }[];
}

const NOT_A_CAPABILITY = 'not a Naftiko capability: an OpenAPI document or sample data of the reference engine\'s import/format tests (no "naftiko" field)';

// skill-capability.yaml names this absolute skill folder (as the reference engine's test creates it)
beforeAll(() => {
  const dir = '/tmp/naftiko-test-skills/order-management';
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'order-guide.md'), '# Order guide\n');
});

/** fixture (relative to test/fixtures) → why it must fail and how. Every other fixture must load. */
const MUST_FAIL: Readonly<Record<string, ExpectedFailure>> = {
  'baseuri-trailing-slash-capability.yaml': {
    reason: 'baseUri "https://api.example.com/v1/" ends with "/" (SEMANTICS §4: baseUri + path joined with exactly one "/"); the fixture exists to test that strict validation',
    codes: ['NR_ERR_BASE_URI'],
    includes: [{ code: 'NR_ERR_BASE_URI', pointer: '/capability/consumes/0/baseUri', line: 26, column: 16 }],
  },
  'aggregates/aggregate-invalid-ref.yaml': {
    reason: 'tool ref "unknown.nonexistent" names no aggregate function (the reference engine fails fast: unknownRefShouldFailFast)',
    codes: ['NR_ERR_UNKNOWN_REF'],
    includes: [{ code: 'NR_ERR_UNKNOWN_REF', pointer: '/capability/exposes/0/tools/0/ref', line: 32, column: 16 }],
  },
  'openapi/complex-api.yaml': {
    reason: NOT_A_CAPABILITY,
    codes: ['NR_ERR_NOT_A_CAPABILITY'],
    includes: [{ code: 'NR_ERR_NOT_A_CAPABILITY', pointer: '', line: 0, column: 0 }],
  },
  'openapi/no-operation-ids.yaml': {
    reason: NOT_A_CAPABILITY,
    codes: ['NR_ERR_NOT_A_CAPABILITY'],
    includes: [{ code: 'NR_ERR_NOT_A_CAPABILITY', pointer: '', line: 0, column: 0 }],
  },
  'openapi/no-servers.yaml': {
    reason: NOT_A_CAPABILITY,
    codes: ['NR_ERR_NOT_A_CAPABILITY'],
    includes: [{ code: 'NR_ERR_NOT_A_CAPABILITY', pointer: '', line: 0, column: 0 }],
  },
  'openapi/petstore-2.0.yaml': {
    reason: NOT_A_CAPABILITY,
    codes: ['NR_ERR_NOT_A_CAPABILITY'],
    includes: [{ code: 'NR_ERR_NOT_A_CAPABILITY', pointer: '', line: 0, column: 0 }],
  },
  'openapi/petstore-3.0.yaml': {
    reason: NOT_A_CAPABILITY,
    codes: ['NR_ERR_NOT_A_CAPABILITY'],
    includes: [{ code: 'NR_ERR_NOT_A_CAPABILITY', pointer: '', line: 0, column: 0 }],
  },
  'openapi/petstore-3.1.yaml': {
    reason: NOT_A_CAPABILITY,
    codes: ['NR_ERR_NOT_A_CAPABILITY'],
    includes: [{ code: 'NR_ERR_NOT_A_CAPABILITY', pointer: '', line: 0, column: 0 }],
  },
  'schemas/sample-users.yaml': {
    reason: NOT_A_CAPABILITY,
    codes: ['NR_ERR_NOT_A_CAPABILITY'],
    includes: [{ code: 'NR_ERR_NOT_A_CAPABILITY', pointer: '', line: 0, column: 0 }],
  },
};

const ORIGINALS = '/work/shared/naftiko/fixtures';
const ALL = yamlFilesUnder(FIXTURES, ['official-schema']);
const MUST_LOAD = ALL.filter((f) => !(f in MUST_FAIL));

const load = (rel: string) => loadCapability(path.join(FIXTURES, rel), { env: NO_ENV });

describe('test/fixtures', () => {
  it('holds the copied official fixtures', () => {
    // the originals, where this checkout can see them: same files, same folders
    if (existsSync(ORIGINALS)) expect(ALL).toEqual(yamlFilesUnder(ORIGINALS, ['official-schema']));
    expect(ALL.length).toBeGreaterThanOrEqual(39);
    expect(MUST_LOAD.length).toBeGreaterThan(25);
  });

  it('the failure table names only files that exist', () => {
    for (const rel of Object.keys(MUST_FAIL)) expect(ALL, rel).toContain(rel);
  });

  describe.each(MUST_LOAD)('%s', (rel) => {
    it('loads', () => {
      let result;
      try {
        result = load(rel);
      } catch (e) {
        if (e instanceof CapabilityLoadError) throw new Error(`${rel} should load, got:\n${e.message}`);
        throw e;
      }
      expect(result.model.version).toMatch(/^1\.0\.0-alpha[123]$/);
      expect(result.warnings.filter((w) => w.severity === 'error')).toEqual([]);
      // the official fixtures use only fields of the official schema: none of them is unknown to ours
      expect(result.warnings.filter((w) => w.code === 'NR_WARN_UNKNOWN_FIELD' || w.code === 'NR_WARN_UNKNOWN_VERSION').map((w) => `${w.line}:${w.column} ${w.pointer} ${w.message}`)).toEqual([]);
    });
  });

  describe.each(Object.entries(MUST_FAIL))('%s', (rel, expected) => {
    it(`fails: ${expected.reason.slice(0, 80)}`, () => {
      const err = fileFailure(path.join(FIXTURES, rel));
      expect([...new Set(err.errors.map((d) => d.code))].sort()).toEqual([...expected.codes].sort());
      for (const inc of expected.includes) {
        expect(err.errors.map(where)).toContainEqual({ severity: 'error', ...inc });
      }
      for (const d of err.diagnostics) expect(d.file).toBe(path.join(FIXTURES, rel));
    });
  });
});

/** What the reference engine's own tests assert about these fixtures, where the model can show it. */
describe('fixture models agree with the reference engine', () => {
  const tools = (m: CapabilityModel, i = 0): readonly ExposedOperation[] => (m.exposes[i] as McpAdapter).tools;

  it('mcp-stdio: transport stdio, no port', () => {
    const mcp = load('mcp/mcp-stdio-capability.yaml').model.exposes[0] as McpAdapter;
    expect(mcp.type).toBe('mcp');
    expect(mcp.transport).toBe('stdio');
    expect(mcp.port).toBeUndefined();
  });

  it('mcp-hints: hints as declared, none when absent', () => {
    const t = tools(load('mcp/mcp-hints-capability.yaml').model);
    expect(t.map((x) => x.name)).toEqual(['read-data', 'delete-record', 'no-hints-tool']);
    expect(t[0]!.hints).toEqual({ readOnly: true, openWorld: true });
    expect(t[0]!.label).toBe('Read Data');
    expect(t[1]!.hints).toEqual({ readOnly: false, destructive: true, idempotent: true, openWorld: false });
    expect(t[2]!.hints).toBeUndefined();
  });

  it('aggregate-basic: ref resolves call and inherits name and description (AggregateIntegrationTest)', () => {
    const m = load('aggregates/aggregate-basic.yaml').model;
    const t = tools(m);
    expect(t[0]!.handler.kind).toBe('call');
    expect(t[0]!.handler.kind === 'call' && t[0]!.handler.operation.ref).toBe('weather-api.get-forecast');
    expect(t[1]!.name).toBe('get-forecast-inherited');
    expect(t[1]!.description).toBe('Fetch current weather forecast for a location.');
    const rest = m.exposes[1] as RestAdapter;
    expect(rest.operations[1]!.method).toBe('POST');
    expect(rest.operations[1]!.name).toBe('get-forecast');
    expect(rest.operations[1]!.description).toBe('Fetch current weather forecast for a location.');
  });

  it('aggregate-basic: semantics safe+idempotent derive readOnly, not destructive, idempotent (safeFunctionShouldDeriveReadOnlyHint)', () => {
    expect(tools(load('aggregates/aggregate-basic.yaml').model)[0]!.hints).toEqual({ readOnly: true, destructive: false, idempotent: true });
  });

  it('aggregate-hints-override: derived hints, merged with a partial override (toolWithPartialHintOverrideShouldMerge)', () => {
    const t = tools(load('aggregates/aggregate-hints-override.yaml').model);
    expect(t.map((x) => x.name)).toEqual(['read-items', 'read-items-open', 'delete-item', 'plain-tool']);
    expect(t[0]!.hints).toEqual({ readOnly: true, destructive: false, idempotent: true });
    expect(t[1]!.hints).toEqual({ readOnly: true, destructive: false, idempotent: true, openWorld: true });
    expect(t[2]!.hints).toEqual({ readOnly: false, destructive: true, idempotent: true, openWorld: false });
    expect(t[3]!.hints).toBeUndefined();
  });
});
