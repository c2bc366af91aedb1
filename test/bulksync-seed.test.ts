/**
 * capabilities/bulksync.yaml is a faithful reconstruction of the "Capability Spec" part of the seed
 * (test/fixtures/seed/polytomic-bulksync-capability.txt, a copy of /work/shared/seed/…): the seed lost its
 * indentation, so it is a list of flat `key: value` / `- key: value` lines, with a few long scalars wrapped onto a
 * second line.
 *
 * The seed text is read here independently of the YAML file, with a line-based reader, and compared with the file
 * parsed by the `yaml` package:
 * - every line of the seed, in order, against the parsed document walked in order (nothing added, dropped,
 *   reordered or changed anywhere);
 * - every consumed operation, REST operation and MCP tool, field by field;
 * - counts: 11 consumed operations, 11 REST operations, 11 MCP tools;
 * - the seed's overview (REST routes and MCP tools with their read-only / idempotent flags) against the file.
 * The comparison is also run against damaged copies of the document, to show that it catches a dropped `with`
 * entry, a changed hint, and the like.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

type Scalar = string | number | boolean | null;
type Node = Scalar | Node[] | { [key: string]: Node };
type Obj = { [key: string]: Node };

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------------------------
const SEED_COPY = new URL('./fixtures/seed/polytomic-bulksync-capability.txt', import.meta.url);
/** The original in the shared reference material; used only to check the copy when it is there. */
const SEED_ORIGINAL = '/work/shared/seed/polytomic-bulksync-capability.txt';

const seedText = readFileSync(SEED_COPY, 'utf8');
const SPEC_START = 'naftiko: 1.0.0-alpha2';
/** The "Capability Spec" part: from the line `naftiko: 1.0.0-alpha2` to the end. */
const SEED_SPEC = seedText.slice(seedText.indexOf(`\n${SPEC_START}\n`) + 1);
/** The overview before it ("What You Can Do", "MCP Tools"), an independent second source for a few facts. */
const SEED_OVERVIEW = seedText.slice(0, seedText.indexOf(`\n${SPEC_START}\n`)).split('\n');

// ---------------------------------------------------------------------------------------------------------------
// Line-based reading of the seed.

interface Line {
  /** 1-based line number in SEED_SPEC (of the first physical line). */
  no: number;
  dash: boolean;
  /** null for a bare list item (`- Polytomic`). */
  key: string | null;
  /** undefined for a `key:` line that opens a block. */
  value: Scalar | undefined;
}

const KEY_LINE = /^(- )?([A-Za-z_][A-Za-z0-9_-]*):(?: (.*))?$/;

/** A plain or quoted scalar, as YAML reads it. */
function scalar(text: string): Scalar {
  if (text.startsWith("'") && text.endsWith("'") && text.length >= 2) return text.slice(1, -1).replace(/''/g, "'");
  if (text.startsWith('"') && text.endsWith('"') && text.length >= 2) return JSON.parse(text) as string;
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null' || text === '~') return null;
  if (/^-?\d+$/.test(text)) return Number(text);
  return text;
}

/** The seed's logical lines: a physical line that is neither `key: …` nor `- …` continues the previous one. */
function seedLines(text: string): Line[] {
  const joined: { no: number; text: string }[] = [];
  text.split('\n').forEach((physical, i) => {
    if (physical === '') return;
    const last = joined[joined.length - 1];
    if (!KEY_LINE.test(physical) && !physical.startsWith('- ')) {
      if (!last) throw new Error(`seed line ${i + 1} continues nothing: ${physical}`);
      last.text += ' ' + physical; // a wrapped scalar folds with one space
    } else {
      joined.push({ no: i + 1, text: physical });
    }
  });
  return joined.map(({ no, text: t }) => {
    const m = KEY_LINE.exec(t);
    if (!m) return { no, dash: true, key: null, value: scalar(t.slice(2)) };
    return { no, dash: m[1] !== undefined, key: m[2] as string, value: m[3] === undefined ? undefined : scalar(m[3]) };
  });
}

/** The parsed YAML document as the same kind of flat line sequence, in document order. */
function documentLines(node: Node): Omit<Line, 'no'>[] {
  const out: Omit<Line, 'no'>[] = [];
  const mapping = (o: Obj, dashFirst: boolean): void => {
    Object.entries(o).forEach(([key, value], i) => {
      const dash = dashFirst && i === 0;
      if (Array.isArray(value)) {
        out.push({ dash, key, value: undefined });
        for (const item of value) {
          if (isObj(item)) mapping(item, true);
          else if (Array.isArray(item)) throw new Error(`nested list under ${key}`);
          else out.push({ dash: true, key: null, value: item });
        }
      } else if (isObj(value)) {
        out.push({ dash, key, value: undefined });
        mapping(value, false);
      } else {
        out.push({ dash, key, value });
      }
    });
  };
  if (!isObj(node)) throw new Error('the document is not a mapping');
  mapping(node, false);
  return out;
}

// The seed's structured content, read section by section with a small state machine.

interface ConsumedOperation { resourcePath: string; operation: Obj }
interface RestOperation { resourcePath: string; operation: Obj }
interface SeedModel { consumed: ConsumedOperation[]; rest: RestOperation[]; tools: Obj[] }

const HINT_KEYS = new Set(['readOnly', 'destructive', 'idempotent', 'openWorld']);

function readSeed(lines: Line[]): SeedModel {
  const model: SeedModel = { consumed: [], rest: [], tools: [] };
  const consumesAt = lines.findIndex((l) => l.key === 'consumes' && l.value === undefined);
  const exposesAt = lines.findIndex((l) => l.key === 'exposes' && l.value === undefined);
  if (consumesAt < 0 || exposesAt < consumesAt) throw new Error('seed: no consumes/exposes section');

  // consumes: resources (name + path), operations (name + method), their outputParameters and inputParameters
  let resourcePath: string | undefined;
  let operation: Obj | undefined;
  let list: 'outputParameters' | 'inputParameters' | undefined;
  let target: Obj | undefined;
  for (let i = consumesAt + 1; i < exposesAt; i++) {
    const l = lines[i] as Line;
    const next = lines[i + 1];
    if (l.dash && l.key === 'type' && l.value === 'http') {
      target = {};
    } else if (l.dash && l.key === 'name' && next?.key === 'path') {
      resourcePath = String(next.value);
      target = {};
    } else if (l.dash && l.key === 'name' && next?.key === 'method') {
      if (resourcePath === undefined) throw new Error(`seed line ${l.no}: operation outside a resource`);
      operation = { name: l.value as Scalar };
      model.consumed.push({ resourcePath, operation });
      list = undefined;
      target = operation;
    } else if (l.dash && l.key === 'name' && list && operation) {
      const param: Obj = { name: l.value as Scalar };
      (operation[list] as Node[]).push(param);
      target = param;
    } else if (!l.dash && l.value === undefined && (l.key === 'outputParameters' || l.key === 'inputParameters')) {
      if (!operation) throw new Error(`seed line ${l.no}: ${l.key} outside an operation`);
      list = l.key;
      operation[list] = [];
    } else if (!l.dash && l.value === undefined && (l.key === 'resources' || l.key === 'operations')) {
      list = undefined;
    } else if (!l.dash && l.value === undefined && l.key === 'authentication') {
      operation = undefined;
      list = undefined;
      target = {};
    } else if (!l.dash && l.key !== null && l.value !== undefined && target) {
      target[l.key] = l.value;
    } else {
      throw new Error(`seed line ${l.no}: unexpected in consumes: ${JSON.stringify(l)}`);
    }
  }

  // exposes: REST adapter (resources → operations) and MCP adapter (tools), with `with`/`hints` blocks
  let adapter: 'rest' | 'mcp' | undefined;
  let restPath: string | undefined;
  let current: Obj | undefined; // the REST operation or MCP tool
  let block: { key: 'with' | 'hints'; map: Obj } | undefined;
  target = undefined;
  for (let i = exposesAt + 1; i < lines.length; i++) {
    const l = lines[i] as Line;
    if (block) {
      const inBlock = !l.dash && l.key !== null && l.value !== undefined &&
        (block.key === 'with' || HINT_KEYS.has(l.key));
      if (inBlock) {
        block.map[l.key as string] = l.value as Scalar;
        continue;
      }
      block = undefined;
    }
    if (l.dash && l.key === 'type' && (l.value === 'rest' || l.value === 'mcp')) {
      adapter = l.value;
      current = undefined;
      target = {};
    } else if (l.dash && l.key === 'path' && adapter === 'rest') {
      restPath = String(l.value);
      current = undefined;
      target = {};
    } else if (l.dash && l.key === 'method' && adapter === 'rest') {
      if (restPath === undefined) throw new Error(`seed line ${l.no}: REST operation outside a resource`);
      current = { method: l.value as Scalar };
      model.rest.push({ resourcePath: restPath, operation: current });
      target = current;
    } else if (l.dash && l.key === 'name' && adapter === 'mcp') {
      current = { name: l.value as Scalar };
      model.tools.push(current);
      target = current;
    } else if (l.dash && l.key === 'type' && current) {
      const output: Obj = { type: l.value as Scalar };
      (current.outputParameters as Node[]).push(output);
      target = output;
    } else if (!l.dash && l.value === undefined && (l.key === 'with' || l.key === 'hints') && current) {
      block = { key: l.key, map: {} };
      current[l.key] = block.map;
    } else if (!l.dash && l.value === undefined && l.key === 'outputParameters' && current) {
      current.outputParameters = [];
    } else if (!l.dash && l.value === undefined && (l.key === 'resources' || l.key === 'operations' || l.key === 'tools')) {
      // structure only
    } else if (!l.dash && l.key !== null && l.value !== undefined && target) {
      target[l.key] = l.value;
    } else {
      throw new Error(`seed line ${l.no}: unexpected in exposes: ${JSON.stringify(l)}`);
    }
  }
  return model;
}

// ---------------------------------------------------------------------------------------------------------------
// Comparison: every difference between the seed model and a parsed document, as readable strings.

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b); // order-sensitive

function objects(v: Node | undefined): Obj[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

function compare(seed: SeedModel, doc: Node): string[] {
  const problems: string[] = [];
  const cap = isObj(doc) && isObj(doc.capability) ? doc.capability : {};
  const consumes = objects(cap.consumes);
  const exposes = objects(cap.exposes);
  const restAdapters = exposes.filter((e) => e.type === 'rest');
  const mcpAdapters = exposes.filter((e) => e.type === 'mcp');

  const docConsumed = consumes.flatMap((c) => objects(c.resources).flatMap((r) =>
    objects(r.operations).map((operation) => ({ resourcePath: r.path, operation }))));
  const docRest = restAdapters.flatMap((a) => objects(a.resources).flatMap((r) =>
    objects(r.operations).map((operation) => ({ resourcePath: r.path, operation }))));
  const docTools = mcpAdapters.flatMap((a) => objects(a.tools));

  for (const { resourcePath, operation } of seed.consumed) {
    const found = docConsumed.filter((d) => d.resourcePath === resourcePath && d.operation.name === operation.name);
    if (found.length !== 1) problems.push(`consumed ${resourcePath} ${String(operation.name)}: found ${found.length} times`);
    else if (!same(found[0]?.operation, operation)) {
      problems.push(`consumed ${resourcePath} ${String(operation.name)}: ${JSON.stringify(found[0]?.operation)} ≠ seed ${JSON.stringify(operation)}`);
    }
  }
  for (const { resourcePath, operation } of seed.rest) {
    const found = docRest.filter((d) => d.resourcePath === resourcePath && d.operation.name === operation.name);
    if (found.length !== 1) problems.push(`REST ${resourcePath} ${String(operation.name)}: found ${found.length} times`);
    else if (!same(found[0]?.operation, operation)) {
      problems.push(`REST ${resourcePath} ${String(operation.name)}: ${JSON.stringify(found[0]?.operation)} ≠ seed ${JSON.stringify(operation)}`);
    }
  }
  for (const tool of seed.tools) {
    const found = docTools.filter((t) => t.name === tool.name);
    if (found.length !== 1) problems.push(`tool ${String(tool.name)}: found ${found.length} times`);
    else if (!same(found[0], tool)) problems.push(`tool ${String(tool.name)}: ${JSON.stringify(found[0])} ≠ seed ${JSON.stringify(tool)}`);
  }
  if (docConsumed.length !== seed.consumed.length) problems.push(`${docConsumed.length} consumed operations, seed has ${seed.consumed.length}`);
  if (docRest.length !== seed.rest.length) problems.push(`${docRest.length} REST operations, seed has ${seed.rest.length}`);
  if (docTools.length !== seed.tools.length) problems.push(`${docTools.length} MCP tools, seed has ${seed.tools.length}`);
  return problems;
}

function lineProblems(seed: Line[], doc: Node): string[] {
  let flat: Omit<Line, 'no'>[];
  try {
    flat = documentLines(doc);
  } catch (e) {
    return [String(e)];
  }
  const problems: string[] = [];
  const n = Math.max(seed.length, flat.length);
  for (let i = 0; i < n && problems.length < 5; i++) {
    const s = seed[i];
    const d = flat[i];
    const seedPart = s ? { dash: s.dash, key: s.key, value: s.value } : undefined;
    if (!same(seedPart, d)) problems.push(`seed line ${s?.no ?? 'end'}: ${JSON.stringify(seedPart)} ≠ document ${JSON.stringify(d)}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------

const lines = seedLines(SEED_SPEC);
const seed = readSeed(lines);
const yamlText = readFileSync(new URL('../capabilities/bulksync.yaml', import.meta.url), 'utf8');
const parsed = parse(yamlText) as Node;
const clone = (): Obj => structuredClone(parsed) as Obj;

/** Accessors for damaging copies of the document. */
function capabilityOf(doc: Obj): Obj {
  return doc.capability as Obj;
}
const exposesOf = (doc: Obj): Obj[] => objects(capabilityOf(doc).exposes);
const toolsOf = (doc: Obj): Obj[] => objects((exposesOf(doc).find((e) => e.type === 'mcp') as Obj).tools);
const restOpsOf = (doc: Obj): Obj[] => objects((exposesOf(doc).find((e) => e.type === 'rest') as Obj).resources)
  .flatMap((r) => objects(r.operations));
const consumedOpsOf = (doc: Obj): Obj[] => objects(capabilityOf(doc).consumes)
  .flatMap((c) => objects(c.resources).flatMap((r) => objects(r.operations)));

describe('capabilities/bulksync.yaml reproduces the seed', () => {
  it('reads the copy of the seed, identical to the original when the shared reference material is present', () => {
    expect(SEED_SPEC.startsWith(`${SPEC_START}\ninfo:\n`)).toBe(true);
    expect(SEED_OVERVIEW).toContain('Capability Spec');
    if (existsSync(SEED_ORIGINAL)) expect(readFileSync(SEED_ORIGINAL, 'utf8')).toBe(seedText);
  });

  it('the seed has exactly four wrapped lines, rejoined with one space', () => {
    const physical = SEED_SPEC.split('\n').filter((l) => l !== '');
    expect(physical.length - lines.length).toBe(4);
    const info = lines.find((l) => l.key === 'description');
    expect(info?.value).toBe('API Reference — subpackage_bulkSync. 11 operations. Lead operation: List Bulk Syncs. ' +
      'Self-contained Naftiko capability covering one Polytomic business surface.');
  });

  it('is YAML without errors or warnings, starting with the editor modeline and a one-line comment', () => {
    expect(yamlText.split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=\S+$/);
    expect(yamlText.split('\n')[1]).toMatch(/^# \S/);
    expect(yamlText.split('\n')[2]).toBe('naftiko: 1.0.0-alpha2');
    expect(() => parse(yamlText, { strict: true, uniqueKeys: true, prettyErrors: true })).not.toThrow();
  });

  it('is indented with 2 spaces, block style, no tabs', () => {
    for (const [i, line] of yamlText.split('\n').entries()) {
      if (line === '' || line.startsWith('#')) continue;
      const indent = /^ */.exec(line)?.[0].length ?? 0;
      expect(indent % 2, `line ${i + 1}`).toBe(0);
      expect(line, `line ${i + 1}`).not.toMatch(/\t|^\s*[{[]|: [{[]/);
    }
  });

  it('keeps the quoting of the seed', () => {
    expect(yamlText).toContain("description: 'API Reference — subpackage_bulkSync. 11 operations. Lead operation: ");
    expect(yamlText).toContain("created: '2026-05-19'");
    expect(yamlText).toContain("modified: '2026-05-19'");
    expect(yamlText).toContain("token: '{{env.POLYTOMIC_API_KEY}}'");
    const quotedInSeed = SEED_SPEC.split('\n').filter((l) => /: ['"]/.test(l)).length;
    const quotedInYaml = yamlText.split('\n').filter((l) => /: ['"]/.test(l)).length;
    expect(quotedInYaml).toBe(quotedInSeed);
  });

  it('has every seed line, in order, and nothing else', () => {
    expect(lineProblems(lines, parsed)).toEqual([]);
  });

  it('puts every block where the schema expects it (valid for schema/naftiko-run.schema.json, no unknown field)', () => {
    // The seed's flat lines cannot tell a block's level (e.g. `authentication` under the consumes entry or under
    // `capability`); the schema can.
    const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
    (addFormatsModule as unknown as (a: Ajv2020) => void)(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(new URL('../schema/naftiko-run.schema.json', import.meta.url), 'utf8')) as object);
    expect(validate(parsed), JSON.stringify(validate.errors, null, 1)).toBe(true);
    const doc = parsed as Obj;
    expect(Object.keys(doc)).toEqual(['naftiko', 'info', 'binds', 'capability']);
    expect(Object.keys(capabilityOf(doc))).toEqual(['consumes', 'exposes']);
    expect(Object.keys(objects(capabilityOf(doc).consumes)[0] as Obj))
      .toEqual(['type', 'namespace', 'baseUri', 'description', 'resources', 'authentication']);
    expect(exposesOf(doc).map((e) => Object.keys(e))).toEqual([
      ['type', 'namespace', 'port', 'description', 'resources'],
      ['type', 'namespace', 'port', 'transport', 'description', 'tools'],
    ]);
  });

  it('counts 11 consumed operations, 11 REST operations, 11 MCP tools', () => {
    expect(seed.consumed).toHaveLength(11);
    expect(seed.rest).toHaveLength(11);
    expect(seed.tools).toHaveLength(11);
    expect(consumedOpsOf(parsed as Obj)).toHaveLength(11);
    expect(restOpsOf(parsed as Obj)).toHaveLength(11);
    expect(toolsOf(parsed as Obj)).toHaveLength(11);
  });

  it.each(seed.consumed.map((c) => [`${c.resourcePath} ${String(c.operation.name)}`, c] as const))(
    'consumed operation %s', (_label, { resourcePath, operation }) => {
      const resource = objects(objects(capabilityOf(parsed as Obj).consumes)[0]?.resources).find((r) => r.path === resourcePath);
      const found = objects(resource?.operations).find((o) => o.name === operation.name);
      expect(found).toBeDefined();
      expect(found?.method).toBe(operation.method);
      // every inputParameter: name, in, type, required, description, in order
      const pick = (p: Obj): Obj => ({ name: p.name ?? null, in: p.in ?? null, type: p.type ?? null, required: p.required ?? null, description: p.description ?? null });
      expect(objects(found?.inputParameters).map(pick)).toEqual(objects(operation.inputParameters).map(pick));
      expect(found).toStrictEqual(operation);
    });

  it.each(seed.rest.map((r) => [`${String(r.operation.method)} ${r.resourcePath}`, r] as const))(
    'REST operation %s', (_label, { resourcePath, operation }) => {
      const rest = exposesOf(parsed as Obj).find((e) => e.type === 'rest');
      const resource = objects(rest?.resources).find((r) => r.path === resourcePath);
      const found = objects(resource?.operations).find((o) => o.name === operation.name);
      expect(found).toBeDefined();
      expect(found?.method).toBe(operation.method);
      expect(found?.call).toBe(operation.call);
      expect(Object.entries(found?.with as Obj)).toEqual(Object.entries(operation.with as Obj));
      expect(found).toStrictEqual(operation);
    });

  it.each(seed.tools.map((t) => [String(t.name), t] as const))('MCP tool %s', (_label, tool) => {
    const found = toolsOf(parsed as Obj).find((t) => t.name === tool.name);
    expect(found).toBeDefined();
    expect(found?.description).toBe(tool.description);
    expect(found?.call).toBe(tool.call);
    expect(found?.hints).toStrictEqual(tool.hints);
    expect(Object.entries(found?.with as Obj)).toEqual(Object.entries(tool.with as Obj));
    expect(found).toStrictEqual(tool);
  });

  it('agrees with the seed overview: REST routes (method, path, label)', () => {
    const from = SEED_OVERVIEW.indexOf('What You Can Do');
    const to = SEED_OVERVIEW.indexOf('MCP Tools');
    const block = SEED_OVERVIEW.slice(from + 1, to);
    expect(block.length % 4).toBe(0);
    const routes: string[] = [];
    for (let i = 0; i < block.length; i += 4) {
      // METHOD, short name, "— Label", path
      routes.push(`${block[i]} ${block[i + 3]} ${String(block[i + 2]).replace(/^— /, '')}`);
    }
    const rest = exposesOf(parsed as Obj).find((e) => e.type === 'rest');
    const fromFile = objects(rest?.resources).flatMap((r) =>
      objects(r.operations).map((o) => `${String(o.method)} ${String(r.path)} ${String(o.description)}`));
    expect(fromFile).toEqual(routes);
    expect(routes).toHaveLength(11);
  });

  it('agrees with the seed overview: MCP tools (name, label, read-only, idempotent)', () => {
    const from = SEED_OVERVIEW.indexOf('MCP Tools');
    const to = SEED_OVERVIEW.indexOf('Capability Spec');
    const overview: { name: string; label: string; readOnly: boolean; idempotent: boolean }[] = [];
    for (const line of SEED_OVERVIEW.slice(from + 1, to)) {
      const last = overview[overview.length - 1];
      if (line === 'read-only' && last) last.readOnly = true;
      else if (line === 'idempotent' && last) last.idempotent = true;
      else if (/^[a-z0-9]+(-[a-z0-9]+)+$/.test(line)) overview.push({ name: line, label: '', readOnly: false, idempotent: false });
      else if (last && last.label === '') last.label = line;
      else throw new Error(`unexpected overview line: ${line}`);
    }
    const fromFile = toolsOf(parsed as Obj).map((t) => {
      const hints = t.hints as Obj;
      return { name: String(t.name), label: String(t.description), readOnly: hints.readOnly === true, idempotent: hints.idempotent === true };
    });
    expect(fromFile).toEqual(overview);
    expect(overview).toHaveLength(11);
  });

  it('shows no difference at all', () => {
    expect(compare(seed, parsed)).toEqual([]);
  });
});

describe('the comparison catches damage', () => {
  const DAMAGE: [string, (doc: Obj) => void][] = [
    ['a dropped REST `with` entry', (d) => { delete ((restOpsOf(d)[2] as Obj).with as Obj).refresh_schemas; }],
    ['a dropped MCP `with` entry', (d) => { delete ((toolsOf(d)[1] as Obj).with as Obj).body; }],
    ['a changed hint', (d) => { ((toolsOf(d)[4] as Obj).hints as Obj).destructive = false; }],
    ['a dropped hint', (d) => { delete ((toolsOf(d)[0] as Obj).hints as Obj).idempotent; }],
    ['an added field', (d) => { (toolsOf(d)[0] as Obj).label = 'List'; }],
    ['a changed call', (d) => { (restOpsOf(d)[0] as Obj).call = 'polytomic-subpackage-bulksync.create'; }],
    ['a changed method', (d) => { (consumedOpsOf(d)[3] as Obj).method = 'PATCH'; }],
    ['a dropped consumed parameter description', (d) => {
      delete (objects((consumedOpsOf(d)[9] as Obj).inputParameters)[1] as Obj).description;
    }],
    ['a changed `required`', (d) => { (objects((consumedOpsOf(d)[1] as Obj).inputParameters)[2] as Obj).required = true; }],
    ['a string where the seed has a boolean', (d) => { (objects((consumedOpsOf(d)[0] as Obj).inputParameters)[1] as Obj).required = 'true'; }],
    ['reordered inputParameters', (d) => { ((consumedOpsOf(d)[0] as Obj).inputParameters as Node[]).reverse(); }],
    ['reordered `with` entries', (d) => {
      const op = restOpsOf(d)[0] as Obj;
      op.with = Object.fromEntries(Object.entries(op.with as Obj).reverse());
    }],
    ['a dropped tool', (d) => { (exposesOf(d)[1] as Obj).tools = toolsOf(d).slice(1); }],
    ['a dropped output mapping', (d) => { delete (objects((toolsOf(d)[10] as Obj).outputParameters)[0] as Obj).mapping; }],
    ['a wrapped description not rejoined', (d) => { (exposesOf(d)[0] as Obj).description = 'REST adapter for API Reference — subpackage_bulkSync. One Spectral-compliant resource per consumed operation,\nprefixed with /v1.'; }],
  ];

  it.each(DAMAGE)('%s', (_name, damage) => {
    const doc = clone();
    damage(doc);
    const found = [...compare(seed, doc), ...lineProblems(lines, doc)];
    expect(found.length).toBeGreaterThan(0);
  });

  it.each(DAMAGE.filter(([name]) => !name.startsWith('a wrapped')))('%s (structured check alone)', (_name, damage) => {
    const doc = clone();
    damage(doc);
    expect(compare(seed, doc).length).toBeGreaterThan(0);
  });

  it('the binds and info are checked by the line comparison', () => {
    const doc = clone();
    ((objects(doc.binds)[0] as Obj).keys as Obj).POLYTOMIC_API_KEY = 'OTHER';
    expect(lineProblems(lines, doc).length).toBeGreaterThan(0);
    const doc2 = clone();
    (doc2.info as Obj).created = '2026-05-20';
    expect(lineProblems(lines, doc2).length).toBeGreaterThan(0);
  });
});
