/**
 * Our schema (schema/naftiko-run.schema.json) against the official Naftiko schemas
 * (test/fixtures/official-schema/, copies of 1.0.0-alpha2 and alpha3).
 *
 * - Every fixture under test/fixtures and capabilities/bulksync.yaml: both schemas agree (both valid or both
 *   invalid), except the documents listed in DOCUMENT_DIFFERENCES, each with its reason. (The YAML files that are
 *   not capabilities — OpenAPI samples, sample payloads — are rejected by both.)
 * - Every naftiko-run extension is listed in EXTENSIONS with a minimal document that only our schema accepts,
 *   and the same document without the extension, which both accept.
 * - The places where our if/then chains are deliberately stricter than the official anyOf/oneOf are listed
 *   in STRICTER, each with a minimal document that only the official schema accepts.
 * - Random mutations of the fixtures (fast-check, fixed seed): once the extensions are stripped and the
 *   STRICTER shapes are set aside, both schemas agree.
 *
 * Only schema validity is judged here: semantic problems (the trailing-slash baseUri fixture, unknown `ref`
 * or `call` targets, …) are the loader's job.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import fc from 'fast-check';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = join(ROOT, 'test', 'fixtures');
const OUR_SCHEMA_FILE = join(ROOT, 'schema', 'naftiko-run.schema.json');
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

const readJson = (file: string): JsonObject => JSON.parse(readFileSync(file, 'utf8')) as JsonObject;
const ourSchema = readJson(OUR_SCHEMA_FILE);

/** Same options as the loader (src/spec/schema-check.ts). Any strict-mode warning is turned into a failure. */
function compileOurs(): ValidateFunction {
  const warnings: unknown[] = [];
  const logger = { log: () => {}, warn: (...a: unknown[]) => warnings.push(a), error: (...a: unknown[]) => warnings.push(a) };
  const ajv = new Ajv2020({ strict: true, allErrors: true, verbose: true, allowUnionTypes: true, logger });
  addFormats(ajv);
  const validate = ajv.compile(ourSchema);
  if (warnings.length) throw new Error(`ajv strict-mode warnings: ${JSON.stringify(warnings)}`);
  return validate;
}

const officialAjv = new Ajv2020({ strict: false, allErrors: true });
addFormats(officialAjv);
const officialAlpha2 = officialAjv.compile(readJson(join(FIXTURES, 'official-schema', 'naftiko-schema-1.0.0-alpha2.json')));
const officialAlpha3 = officialAjv.compile(readJson(join(FIXTURES, 'official-schema', 'naftiko-schema-1.0.0-alpha3.json')));
const ours = compileOurs();

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

function official(doc: unknown): boolean {
  const v = isObject(doc) && doc.naftiko === '1.0.0-alpha2' ? officialAlpha2 : officialAlpha3;
  return v(doc);
}
const oursValid = (doc: unknown): boolean => ours(doc);

function errorsOf(validate: ValidateFunction, doc: unknown): string {
  validate(doc);
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.keyword} ${e.message ?? ''}`).join('\n');
}
const why = (doc: unknown): string =>
  `official: ${official(doc)}\n${errorsOf(isObject(doc) && doc.naftiko === '1.0.0-alpha2' ? officialAlpha2 : officialAlpha3, doc)}\n` +
  `ours: ${oursValid(doc)}\n${errorsOf(ours, doc)}`;

// ---------------------------------------------------------------------------------------------------------------
// Helpers that find the places where the extensions and the STRICTER shapes live.

const arr = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);
const objs = (v: Json | undefined): JsonObject[] => arr(v).filter(isObject);

function consumesEntries(doc: JsonObject): JsonObject[] {
  const cap = isObject(doc.capability) ? doc.capability : {};
  return [...objs(doc.consumes), ...objs(cap.consumes)];
}
function exposes(doc: JsonObject): JsonObject[] {
  return isObject(doc.capability) ? objs(doc.capability.exposes) : [];
}
function aggregateFunctions(doc: JsonObject): JsonObject[] {
  return isObject(doc.capability) ? objs(doc.capability.aggregates).flatMap((a) => objs(a.functions)) : [];
}
function consumedInputParameters(doc: JsonObject): JsonObject[] {
  return consumesEntries(doc).flatMap((c) => [
    ...objs(c.inputParameters),
    ...objs(c.resources).flatMap((r) => [...objs(r.inputParameters), ...objs(r.operations).flatMap((o) => objs(o.inputParameters))]),
  ]);
}
const restAdapters = (doc: JsonObject): JsonObject[] => exposes(doc).filter((e) => e.type === 'rest');
const mcpAdapters = (doc: JsonObject): JsonObject[] => exposes(doc).filter((e) => e.type === 'mcp');
const restOperations = (doc: JsonObject): JsonObject[] =>
  restAdapters(doc).flatMap((e) => objs(e.resources).flatMap((r) => objs(r.operations)));
const restInputParameters = (doc: JsonObject): JsonObject[] =>
  restAdapters(doc).flatMap((e) => objs(e.resources).flatMap((r) => [
    ...objs(r.inputParameters), ...objs(r.operations).flatMap((o) => objs(o.inputParameters)),
  ]));
const mcpTools = (doc: JsonObject): JsonObject[] => mcpAdapters(doc).flatMap((e) => objs(e.tools));
const mcpResources = (doc: JsonObject): JsonObject[] => mcpAdapters(doc).flatMap((e) => objs(e.resources));

/** Output parameter lists of everything that exposes mapped outputs (REST operations, tools, MCP resources, functions). */
function exposedOutputLists(doc: JsonObject): JsonObject[][] {
  return [...restOperations(doc), ...mcpTools(doc), ...mcpResources(doc), ...aggregateFunctions(doc)]
    .map((o) => objs(o.outputParameters));
}

/** Removes every use of a naftiko-run extension, in place; what is left must be judged alike by both schemas. */
function stripExtensions(doc: JsonObject): JsonObject {
  if (typeof doc.naftiko === 'string' && doc.naftiko !== '1.0.0-alpha2') doc.naftiko = '1.0.0-alpha3';
  for (const p of consumedInputParameters(doc)) {
    delete p.type;
    delete p.description;
    delete p.required;
  }
  for (const a of restAdapters(doc)) delete a.description;
  for (const c of consumesEntries(doc)) {
    if (isObject(c.authentication)) for (const f of ['clientId', 'clientSecret', 'clientAuthMethod']) delete c.authentication[f];
  }
  for (const c of consumesEntries(doc)) {
    if ('from' in c) {
      c.location ??= c.from!;
      delete c.from;
    }
  }
  for (const p of restInputParameters(doc)) delete p.required;
  for (const t of mcpTools(doc)) if (typeof t.name === 'string') t.name = t.name.replace(/_/g, '-');
  const fillObjectOutputs = (outputs: JsonObject[]): void => {
    for (const o of outputs) {
      if (o.type === 'object' && !('properties' in o) && ('mapping' in o || 'value' in o)) o.properties = {};
      if (isObject(o.properties)) fillObjectOutputs(Object.values(o.properties).filter(isObject));
      if (isObject(o.items)) fillObjectOutputs([o.items]);
    }
  };
  for (const outputs of exposedOutputLists(doc)) fillObjectOutputs(outputs);
  return doc;
}

/**
 * The shapes where our presence-driven if/then chains are stricter than the official anyOf/oneOf (see STRICTER).
 * Returns the reason when the document contains one.
 */
function stricterShape(doc: JsonObject): string | undefined {
  const named = (o: JsonObject): boolean => objs(o.outputParameters).some((p) => 'name' in p);
  const valued = (o: JsonObject): boolean => objs(o.outputParameters).some((p) => 'value' in p);
  for (const f of [...mcpTools(doc).filter((t) => !('ref' in t)), ...aggregateFunctions(doc)]) {
    if ('call' in f && named(f)) return 'call with named (mock or orchestrated) outputs';
    if (!('call' in f) && 'steps' in f && valued(f)) return 'steps with mock outputs';
  }
  for (const r of mcpResources(doc)) {
    if (!('location' in r) && 'call' in r && 'steps' in r) return 'MCP resource with both call and steps';
  }
  for (const o of restOperations(doc)) {
    if (!('ref' in o) && 'steps' in o && (!('name' in o) || objs(o.outputParameters).some((p) => !('name' in p)))) {
      return 'REST operation with steps and no name or with mapped outputs';
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The documented differences.

interface Extension {
  /** What the dialect allows. */
  name: string;
  /** JSON pointer (in our schema) of the subschema whose $comment documents the extension. */
  schemaPointer: string;
  /** A minimal document using the extension: our schema accepts it, the official rejects it. */
  yaml: string;
  /** The same document without the extension: both accept it. */
  without: (doc: JsonObject) => void;
}

const CONSUMES_ONLY = (param: string): string => `
naftiko: 1.0.0-alpha3
consumes:
  - type: http
    namespace: api
    baseUri: https://api.example.com
    resources:
      - name: items
        path: /items/{id}
        operations:
          - name: get-item
            method: GET
            inputParameters:
              - name: id
                in: path
${param}`;

const OAUTH2_CLIENT = (extra: string): string => CONSUMES_ONLY('').replace('    resources:\n', [
  '    authentication:',
  '      type: oauth2',
  '      authorizationServerUri: https://auth.example.com',
  '      resource: https://api.example.com',
  '      tokenEndpoint: https://auth.example.com/token',
  '',
].join('\n') + extra + '    resources:\n');

const REST_ONLY = (adapterExtra: string, operationExtra: string): string => `
naftiko: 1.0.0-alpha3
capability:
  exposes:
    - type: rest
      port: 8080
      namespace: items-rest
${adapterExtra}      resources:
        - path: /items/{id}
          operations:
            - method: GET
              name: get-item
              call: api.get-item
${operationExtra}`;

const firstConsumedParam = (doc: JsonObject): JsonObject => consumedInputParameters(doc)[0] as JsonObject;
const firstRestOperation = (doc: JsonObject): JsonObject => restOperations(doc)[0] as JsonObject;

const MCP_TOOL_ONLY = (tool: string): string => `
naftiko: 1.0.0-alpha3
capability:
  exposes:
    - type: mcp
      port: 9090
      namespace: items-mcp
      tools:
${tool}`;

const EXTENSIONS: Extension[] = [
  ...(['clientId', 'clientSecret', 'clientAuthMethod'] as const).map((field): Extension => ({
    name: `upstream oauth2 may carry the client-credentials field \`${field}\` (FEATURES §12)`,
    schemaPointer: `/$defs/AuthOAuth2/properties/${field}`,
    yaml: OAUTH2_CLIENT(`      ${field}: ${field === 'clientAuthMethod' ? 'client_secret_post' : `"{{${field.toUpperCase()}}}"`}\n`),
    without: (doc) => { delete (consumesEntries(doc)[0]!.authentication as JsonObject)[field]; },
  })),
  {
    name: 'an imported consumes entry may say `from` (Ikanos) instead of `location`',
    schemaPointer: '/$defs/ImportedConsumesHttp/properties/from',
    yaml: 'naftiko: 1.0.0-alpha3\nconsumes:\n  - import: registry\n    from: ./shared/registry.yml\n',
    without: (doc) => {
      const entry = consumesEntries(doc)[0]!;
      entry.location = entry.from!;
      delete entry.from;
    },
  },
  {
    name: '`naftiko` is any version string (the loader, not the schema, warns on versions other than alpha1|alpha2|alpha3)',
    schemaPointer: '/properties/naftiko',
    yaml: CONSUMES_ONLY('').replace('naftiko: 1.0.0-alpha3', 'naftiko: 1.0.0-alpha1'),
    without: (doc) => { doc.naftiko = '1.0.0-alpha3'; },
  },
  {
    name: 'a consumed input parameter may declare a `type`',
    schemaPointer: '/$defs/ConsumedInputParameter/properties/type',
    yaml: CONSUMES_ONLY('                type: string\n'),
    without: (doc) => { delete firstConsumedParam(doc).type; },
  },
  {
    name: 'a consumed input parameter may carry a `description`',
    schemaPointer: '/$defs/ConsumedInputParameter/properties/description',
    yaml: CONSUMES_ONLY('                description: Item id.\n'),
    without: (doc) => { delete firstConsumedParam(doc).description; },
  },
  {
    name: 'a consumed input parameter may be `required`',
    schemaPointer: '/$defs/ConsumedInputParameter/properties/required',
    yaml: CONSUMES_ONLY('                required: true\n'),
    without: (doc) => { delete firstConsumedParam(doc).required; },
  },
  {
    name: 'a REST adapter may carry a `description` (the seed capability has one; the MCP and skill adapters already may)',
    schemaPointer: '/$defs/ExposesRest/properties/description',
    yaml: REST_ONLY('      description: Items over REST.\n', ''),
    without: (doc) => { delete (restAdapters(doc)[0] as JsonObject).description; },
  },
  {
    name: 'an exposed REST input parameter may be `required`',
    schemaPointer: '/$defs/ExposedInputParameter/properties/required',
    yaml: REST_ONLY('', [
      '              inputParameters:',
      '                - name: id',
      '                  in: path',
      '                  type: string',
      '                  description: Item id.',
      '                  required: true',
      '',
    ].join('\n')),
    without: (doc) => { delete (restInputParameters(doc)[0] as JsonObject).required; },
  },
  {
    name: 'a mapped object output may be `{type: object, mapping: $.}` with no `properties` ($. is the root: the whole body)',
    schemaPointer: '/$defs/MappedOutputParameterObject',
    yaml: REST_ONLY('', '              outputParameters:\n                - type: object\n                  mapping: $.\n'),
    without: (doc) => { (objs(firstRestOperation(doc).outputParameters)[0] as JsonObject).properties = {}; },
  },
  {
    name: 'a mapped object output may have a static `value` and no `properties`',
    schemaPointer: '/$defs/MappedOutputParameterObject',
    yaml: REST_ONLY('', `              outputParameters:\n                - type: object\n                  value: '{"ok": true}'\n`),
    without: (doc) => { (objs(firstRestOperation(doc).outputParameters)[0] as JsonObject).properties = {}; },
  },
  {
    name: 'an MCP tool name may hold `_` (snake_case, as MCP clients and the conformance suite name tools)',
    schemaPointer: '/$defs/McpTool/properties/name',
    yaml: MCP_TOOL_ONLY('        - name: test_simple_text\n          description: d\n          outputParameters: [{ name: m, type: string, value: hi }]\n'),
    without: (doc) => { (mcpTools(doc)[0] as JsonObject).name = 'test-simple-text'; },
  },
];

interface Stricter {
  name: string;
  /** Why we reject what the official accepts. */
  reason: string;
  /** A minimal document the official accepts and ours rejects. */
  yaml: string;
}

const MCP_TOOL = (tool: string): string => `
naftiko: 1.0.0-alpha3
capability:
  exposes:
    - type: mcp
      port: 9090
      namespace: items-mcp
      tools:
${tool}`;

const STRICTER: Stricter[] = [
  {
    name: 'an MCP tool with `call` and mock outputs (name/type/value)',
    reason: '`call` picks the mapped-output branch; the official anyOf also lets the mock branch match a tool that has a call',
    yaml: MCP_TOOL([
      '        - name: get-item',
      '          description: Get an item.',
      '          call: api.get-item',
      '          outputParameters:',
      '            - name: greeting',
      '              type: string',
      '              value: hello',
      '',
    ].join('\n')),
  },
  {
    name: 'an MCP tool with both `call` and `steps`',
    reason: '`call` picks the mapped-output branch; the official anyOf lets the steps branch match as well',
    yaml: MCP_TOOL([
      '        - name: get-item',
      '          description: Get an item.',
      '          call: api.get-item',
      '          steps:',
      '            - type: call',
      '              name: fetch',
      '              call: api.get-item',
      '          outputParameters:',
      '            - name: id',
      '              type: string',
      '',
    ].join('\n')),
  },
  {
    name: 'a REST operation with `steps` and no `name`',
    reason: '`steps` picks the orchestrated branch, which requires a name; the official anyOf lets the mapped branch (no requirement) match',
    yaml: REST_ONLY('', '              steps:\n                - type: call\n                  name: fetch\n                  call: api.get-item\n')
      .replace('              name: get-item\n', ''),
  },
  {
    name: 'an MCP resource with both `call` and `steps`',
    reason: 'a resource reads from exactly one source; the official oneOf accepts both when only one branch\'s outputs fit',
    yaml: MCP_TOOL('        - ref: items.get-item\n') + [
      '      resources:',
      '        - name: item',
      '          label: Item',
      '          uri: data://items/1',
      '          description: One item.',
      '          call: api.get-item',
      '          steps:',
      '            - type: call',
      '              name: fetch',
      '              call: api.get-item',
      '          outputParameters:',
      '            - type: string',
      '              mapping: $.id',
      '',
    ].join('\n'),
  },
];

/** Documents (fixtures or capabilities) the official schema rejects for a reason we deliberately accept. */
const DOCUMENT_DIFFERENCES: Record<string, string> = {
  'capabilities/bulksync.yaml':
    'naftiko-run dialect: consumed inputParameters with type/description/required, a REST adapter description, ' +
    'and `{type: object, mapping: $.}` outputs without properties (official: alpha2 schema)',
};

// ---------------------------------------------------------------------------------------------------------------

function walkFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walkFiles(join(dir, e.name)) : [join(dir, e.name)]);
}
const fixtureFiles = walkFiles(FIXTURES)
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => relative(ROOT, f).split('\\').join('/'))
  .sort();
const documents = [...fixtureFiles, 'capabilities/bulksync.yaml'];
const load = (file: string): Json => parse(readFileSync(join(ROOT, file), 'utf8')) as Json;

/** JSON pointer lookup in our schema. */
function at(node: Json, pointer: string): Json | undefined {
  let cur: Json | undefined = node;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    cur = isObject(cur) ? cur[key] : undefined;
  }
  return cur;
}
function extensionComments(node: Json, pointer = ''): string[] {
  if (Array.isArray(node)) return node.flatMap((n, i) => extensionComments(n, `${pointer}/${i}`));
  if (!isObject(node)) return [];
  const here = typeof node.$comment === 'string' && node.$comment.startsWith('naftiko-run extension:') ? [pointer] : [];
  return [...here, ...Object.entries(node).flatMap(([k, v]) =>
    extensionComments(v, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`))];
}
function keywordsUsed(node: Json, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => keywordsUsed(n, out));
  else if (isObject(node)) {
    for (const [k, v] of Object.entries(node)) {
      out.add(k);
      // the keys of `properties` are field names, not keywords
      if (k === 'properties' && isObject(v)) Object.values(v).forEach((n) => keywordsUsed(n, out));
      else keywordsUsed(v, out);
    }
  }
  return out;
}

describe('our schema', () => {
  it('compiles under ajv strict mode (the loader\'s options), with no warning', () => {
    expect(() => compileOurs()).not.toThrow();
  });

  it('uses no oneOf/anyOf: discriminated unions are if/then chains', () => {
    const used = keywordsUsed(ourSchema);
    expect(used.has('oneOf')).toBe(false);
    expect(used.has('anyOf')).toBe(false);
  });

  it('keeps ports as integers 1–65535 on every adapter', () => {
    for (const def of ['ExposesRest', 'ExposesMcp', 'ExposesSkill', 'ExposesControl']) {
      const { description, ...port } = at(ourSchema, `/$defs/${def}/properties/port`) as JsonObject;
      expect(port).toEqual({ type: 'integer', minimum: 1, maximum: 65535 });
      expect(typeof description).toBe('string');
    }
  });
});

describe('fixtures and capabilities: our schema agrees with the official one', () => {
  it('finds the copied fixtures and the official schemas', () => {
    expect(fixtureFiles.length).toBeGreaterThanOrEqual(30);
    expect(fixtureFiles).toContain('test/fixtures/mcp/mcp-capability.yaml');
    expect(fixtureFiles).toContain('test/fixtures/register.capability.yml');
    for (const file of Object.keys(DOCUMENT_DIFFERENCES)) expect(documents).toContain(file);
  });

  it.each(documents)('%s', (file) => {
    const doc = load(file);
    const difference = DOCUMENT_DIFFERENCES[file];
    if (difference === undefined) {
      expect(oursValid(doc), why(doc)).toBe(official(doc));
      return;
    }
    expect(official(doc), `listed difference (${difference}) but the official schema accepts it`).toBe(false);
    expect(oursValid(doc), why(doc)).toBe(true);
    // The official rejects it only for the documented extensions.
    const stripped = stripExtensions(clone(doc) as JsonObject);
    expect(official(stripped), why(stripped)).toBe(true);
    expect(oursValid(stripped), why(stripped)).toBe(true);
  });
});

describe('documented extensions: only our schema accepts them', () => {
  it.each(EXTENSIONS.map((e) => [e.name, e] as const))('%s', (_name, ext) => {
    const doc = parse(ext.yaml) as JsonObject;
    expect(official(doc), 'the official schema should reject the extension').toBe(false);
    expect(oursValid(doc), why(doc)).toBe(true);

    const without = clone(doc);
    ext.without(without);
    expect(without).not.toEqual(doc);
    expect(official(without), why(without)).toBe(true);
    expect(oursValid(without), why(without)).toBe(true);

    // stripExtensions (used by the property test below) knows this extension too
    const stripped = stripExtensions(clone(doc));
    expect(official(stripped), why(stripped)).toBe(true);

    const comment = at(ourSchema, ext.schemaPointer);
    expect(isObject(comment) && String(comment.$comment)).toMatch(/^naftiko-run extension: /);
  });

  it('every "naftiko-run extension" $comment in the schema has an entry here', () => {
    const listed = new Set(EXTENSIONS.map((e) => e.schemaPointer));
    expect(extensionComments(ourSchema).filter((p) => !listed.has(p))).toEqual([]);
  });
});

describe('deliberately stricter than the official anyOf/oneOf', () => {
  it.each(STRICTER.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    const doc = parse(s.yaml) as JsonObject;
    expect(official(doc), why(doc)).toBe(true);
    expect(oursValid(doc), why(doc)).toBe(false);
    expect(stricterShape(doc), 'stricterShape() should recognise it').toBeDefined();
  });
});

describe('an error is reported against the one branch that applies, with the precise keyword', () => {
  const BASE = `
naftiko: 1.0.0-alpha3
capability:
  consumes:
    - type: http
      namespace: api
      baseUri: https://api.example.com
      authentication:
        type: bearer
        token: '{{API_TOKEN}}'
      resources:
        - name: items
          path: /items
          operations:
            - name: list-items
              method: GET
              body:
                type: json
                data: {}
  exposes:
    - type: rest
      port: 8080
      namespace: items-rest
      resources:
        - path: /items
          operations:
            - method: GET
              name: list-items
              call: api.list-items
              outputParameters:
                - type: string
                  mapping: $.name
    - type: mcp
      port: 9090
      namespace: items-mcp
      tools:
        - name: list-items
          description: List items.
          call: api.list-items
          steps:
            - type: call
              name: fetch
              call: api.list-items
`;
  // steps next to call is a STRICTER shape: keep the base valid for both by dropping them
  const base = (): JsonObject => {
    const doc = parse(BASE) as JsonObject;
    delete (mcpTools(doc)[0] as JsonObject).steps;
    return doc;
  };
  const rest = (d: JsonObject): JsonObject => restAdapters(d)[0] as JsonObject;
  const mcp = (d: JsonObject): JsonObject => mcpAdapters(d)[0] as JsonObject;
  const consumed = (d: JsonObject): JsonObject => consumesEntries(d)[0] as JsonObject;
  const op = (d: JsonObject): JsonObject => firstRestOperation(d);
  const out = (d: JsonObject): JsonObject => objs(op(d).outputParameters)[0] as JsonObject;
  const body = (d: JsonObject): JsonObject =>
    (objs((objs(consumed(d).resources)[0] as JsonObject).operations)[0] as JsonObject).body as JsonObject;

  const R = '/capability/exposes/0';
  const M = '/capability/exposes/1';
  const C = '/capability/consumes/0';
  const O = `${R}/resources/0/operations/0/outputParameters/0`;
  const B = `${C}/resources/0/operations/0/body`;
  const CASES: [string, (d: JsonObject) => void, string[]][] = [
    ['REST port not an integer', (d) => { rest(d).port = 'abc'; }, [`${R}/port type integer`]],
    ['REST port above 65535', (d) => { rest(d).port = 70000; }, [`${R}/port maximum 65535`]],
    ['REST port 0', (d) => { rest(d).port = 0; }, [`${R}/port minimum 1`]],
    ['REST port 1.5', (d) => { rest(d).port = 1.5; }, [`${R}/port type integer`]],
    ['REST namespace missing', (d) => { delete rest(d).namespace; }, [`${R} required namespace`]],
    ['REST unknown field', (d) => { rest(d).bogus = 1; }, [`${R} additionalProperties bogus`]],
    ['exposes type unknown', (d) => { rest(d).type = 'graphql'; }, [`${R}/type enum rest,mcp,skill,control`]],
    ['exposes type missing', (d) => { delete rest(d).type; }, [`${R} required type`]],
    ['MCP stdio with a port', (d) => { mcp(d).transport = 'stdio'; }, [`${M} not port`]],
    ['MCP http without a port', (d) => { delete mcp(d).port; }, [`${M} required port`]],
    ['MCP transport unknown', (d) => { mcp(d).transport = 'sse'; }, [`${M}/transport enum http,stdio`]],
    ['MCP tool unknown field', (d) => { (mcpTools(d)[0] as JsonObject).bogus = 1; }, [`${M}/tools/0 additionalProperties bogus`]],
    ['MCP tool without description', (d) => { delete (mcpTools(d)[0] as JsonObject).description; }, [`${M}/tools/0 required description`]],
    ['MCP tool hint not a boolean', (d) => { (mcpTools(d)[0] as JsonObject).hints = { readOnly: 'yes' }; }, [`${M}/tools/0/hints/readOnly type boolean`]],
    ['auth type unknown', (d) => { (consumed(d).authentication as JsonObject).type = 'bearr'; }, [`${C}/authentication/type enum basic,apikey,bearer,digest,oauth2`]],
    ['auth unknown field', (d) => { (consumed(d).authentication as JsonObject).bogus = 1; }, [`${C}/authentication additionalProperties bogus`]],
    ['oauth2 without its server', (d) => { consumed(d).authentication = { type: 'oauth2', resource: 'https://r.example.com' }; }, [`${C}/authentication required authorizationServerUri`]],
    ['consumes type unknown', (d) => { consumed(d).type = 'grpc'; }, [`${C}/type const http`]],
    ['imported consumes without import', (d) => { (d.capability as JsonObject).consumes = [{ location: 'file:///shared.yaml' }]; }, [`${C} required import`]],
    ['baseUri not http(s)', (d) => { consumed(d).baseUri = 'ftp://x'; }, [`${C}/baseUri pattern ^https?://[^/]+(/[^{]*)?$`]],
    ['output type integer', (d) => { out(d).type = 'integer'; }, [`${O}/type enum string,number,boolean,object,array`]],
    ['string output with neither mapping nor value', (d) => { delete out(d).mapping; }, [`${O} required mapping`]],
    ['string output with both mapping and value', (d) => { out(d).value = 'x'; }, [`${O} not mapping`]],
    ['object output with nothing', (d) => { op(d).outputParameters = [{ type: 'object' }]; }, [`${O} required properties`]],
    ['array output without items', (d) => { op(d).outputParameters = [{ type: 'array', mapping: '$' }]; }, [`${O} required items`]],
    ['output unknown field', (d) => { out(d).bogus = 1; }, [`${O} additionalProperties bogus`]],
    ['body type unknown', (d) => { body(d).type = 'soap'; }, [`${B}/type enum json,text,xml,sparql,formUrlEncoded,multipartForm`]],
    ['json body without data', (d) => { delete body(d).data; }, [`${B} required data`]],
    ['step type unknown', (d) => { op(d).steps = [{ type: 'loop', name: 's' }]; op(d).outputParameters = []; }, [`${R}/resources/0/operations/0/steps/0/type enum call,lookup,script`]],
    ['with value a boolean', (d) => { op(d).with = { flag: true }; }, [`${R}/resources/0/operations/0/with/flag type string,number`]],
    ['neither capability nor consumes', (d) => { delete d.capability; }, ['/ required capability']],
  ];

  function detail(params: Record<string, unknown>): string {
    const v = params.type ?? params.limit ?? params.missingProperty ?? params.additionalProperty ?? params.allowedValue ??
      params.allowedValues ?? params.pattern;
    return Array.isArray(v) ? v.join(',') : String(v ?? '');
  }
  const specific = (doc: JsonObject): string[] => {
    ours(doc);
    return (ours.errors ?? [])
      .filter((e) => e.keyword !== 'if')
      .map((e) => `${e.instancePath || '/'} ${e.keyword} ${e.keyword === 'not'
        ? String(((e.schema as JsonObject).required as string[])[0]) : detail(e.params as Record<string, unknown>)}`);
  };

  it('the base document is valid for both', () => {
    expect(official(base()), why(base())).toBe(true);
    expect(oursValid(base()), why(base())).toBe(true);
  });

  it.each(CASES)('%s', (_name, patch, expected) => {
    const doc = base();
    patch(doc);
    expect(official(doc), 'the official schema rejects it too').toBe(false);
    expect([...new Set(specific(doc))].sort()).toEqual([...expected].sort());
  });
});

describe('random mutations of the fixtures', () => {
  const bases = fixtureFiles
    .map(load)
    .filter((d): d is JsonObject => isObject(d) && typeof d.naftiko === 'string' && official(d));
  const KEYS = ['type', 'name', 'description', 'call', 'ref', 'steps', 'mapping', 'value', 'properties', 'items',
    'location', 'port', 'transport', 'with', 'outputParameters', 'inputParameters', 'required', 'label', 'uri',
    'template', 'from', 'instruction', 'forward', 'operations', 'namespace', 'method', 'in', 'data', 'token',
    'address', 'bogus'];
  const VALUES: Json[] = ['x', '$.', 'stdio', 'http', 'rest', 'mcp', 'skill', 'control', 'object', 'array', 'string',
    'number', 'integer', 'GET', 'json', 'text', 'bearer', 'oauth2', 'call', 'lookup', 'a.b', 'file:///x',
    'http://h', 'localhost', '::1', 'bad host', 1, 0, 70000, 8080, 0.5, true, false, null, [], {},
    { type: 'string', mapping: '$.a' }, { type: 'object', mapping: '$.' }, { name: 'n', type: 'string', value: 'v' },
    { name: 'n', type: 'string' }, { type: 'json', data: {} }];

  function containers(node: Json, out: (JsonObject | Json[])[] = []): (JsonObject | Json[])[] {
    if (Array.isArray(node)) {
      out.push(node);
      node.forEach((n) => containers(n, out));
    } else if (isObject(node)) {
      out.push(node);
      Object.values(node).forEach((n) => containers(n, out));
    }
    return out;
  }

  const mutation = fc.record({
    target: fc.nat(),
    action: fc.constantFrom('delete', 'replace', 'add'),
    key: fc.constantFrom(...KEYS),
    value: fc.constantFrom(...VALUES),
  });

  it('agree once the extensions are stripped (except the STRICTER shapes)', () => {
    expect(bases.length).toBeGreaterThanOrEqual(25);
    fc.assert(
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, mutations) => {
        const doc = clone(bases[which % bases.length] as JsonObject);
        for (const m of mutations) {
          const all = containers(doc).slice(1); // never the root itself
          const node = all[m.target % all.length];
          if (node === undefined) continue;
          if (Array.isArray(node)) {
            if (m.action === 'delete' && node.length) node.splice(m.target % node.length, 1);
            else node.push(clone(m.value));
          } else {
            const keys = Object.keys(node);
            const existing = keys[m.target % Math.max(keys.length, 1)];
            if (m.action === 'delete' && existing !== undefined) delete node[existing];
            else if (m.action === 'replace' && existing !== undefined) node[existing] = clone(m.value);
            else node[m.key] = clone(m.value);
          }
        }
        stripExtensions(doc);
        if (stricterShape(doc)) return true;
        expect(oursValid(doc), why(doc)).toBe(official(doc));
        return true;
      }),
      { seed: 20260519, numRuns: 1500 },
    );
  });
});
