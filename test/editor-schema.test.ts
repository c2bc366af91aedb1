/**
 * The editor's schema: schema/naftiko-run.editor.schema.json is the draft-07 copy of the 2020-12 schema that
 * scripts/editor-schema.mjs writes in the build, for YAML language servers that predate 2020-12.
 * - the committed copy is what the script makes of the current schema (edit the schema, run the build);
 * - it compiles as draft-07 under ajv's strict mode, and uses no keyword draft-07 lacks;
 * - it accepts and rejects exactly what the main schema does: every fixture, every example in the docs,
 *   and a few thousand mutations of them;
 * - `naftiko-run schema` prints the main schema and `naftiko-run schema editor` the copy;
 * - every capabilities/*.yaml names the copy in a yaml-language-server modeline, and still loads.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, REPO_ROOT, ensureBuilt } from './build-dist.js';
import { loadCapability } from '../src/spec/load.js';
// @ts-expect-error -- a build script in plain JavaScript, no declarations
import { editorSchemaText, EDITOR_SCHEMA, MAIN_SCHEMA } from '../scripts/editor-schema.mjs';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const addFormats = addFormatsModule as unknown as (ajv: Ajv | Ajv2020) => void;

const mainText = readFileSync(MAIN_SCHEMA as string, 'utf8');
const editorText = readFileSync(EDITOR_SCHEMA as string, 'utf8');
const main = JSON.parse(mainText) as JsonObject;
const editor = JSON.parse(editorText) as JsonObject;

function strictCompile(make: (logger: object) => Ajv | Ajv2020, schema: JsonObject): ValidateFunction {
  const warnings: unknown[] = [];
  const logger = { log: () => {}, warn: (...a: unknown[]) => warnings.push(a), error: (...a: unknown[]) => warnings.push(a) };
  const ajv = make(logger);
  addFormats(ajv);
  const validate = ajv.compile(schema);
  if (warnings.length) throw new Error(`ajv strict-mode warnings: ${JSON.stringify(warnings)}`);
  return validate;
}
const options = { strict: true, allErrors: true, allowUnionTypes: true } as const;
const validateMain = strictCompile((logger) => new Ajv2020({ ...options, logger }), main);
const validateEditor = strictCompile((logger) => new Ajv({ ...options, logger, keywords: ['markdownDescription'] }), editor);

/** Keywords of JSON Schema draft-07 (core, validation, annotations) plus VS Code's markdownDescription. */
const DRAFT_07_KEYWORDS = new Set([
  '$schema', '$id', '$ref', '$comment', 'definitions', 'title', 'description', 'default', 'examples', 'readOnly', 'writeOnly',
  'type', 'enum', 'const', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength', 'minLength',
  'pattern', 'items', 'additionalItems', 'maxItems', 'minItems', 'uniqueItems', 'contains', 'maxProperties', 'minProperties',
  'required', 'properties', 'patternProperties', 'additionalProperties', 'dependencies', 'propertyNames', 'if', 'then', 'else',
  'allOf', 'anyOf', 'oneOf', 'not', 'format', 'contentMediaType', 'contentEncoding', 'markdownDescription',
]);
const NAME_MAPS = new Set(['properties', 'definitions', '$defs', 'patternProperties', 'dependentSchemas']);
const DATA = new Set(['const', 'enum', 'default', 'examples', 'required']);

function keywords(node: Json, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => keywords(n, out));
  if (!isObject(node)) return out;
  for (const [key, value] of Object.entries(node)) {
    out.add(key);
    if (DATA.has(key)) continue;
    if (NAME_MAPS.has(key) && isObject(value)) Object.values(value).forEach((v) => keywords(v, out));
    else keywords(value, out);
  }
  return out;
}

function walkFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walkFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}
/** Every ```yaml block of a docs page that starts with `# file: NAME`. */
function docExamples(page: string): Array<[string, Json]> {
  const text = readFileSync(path.join(REPO_ROOT, page), 'utf8');
  return [...text.matchAll(/```yaml\n# file: ([^\n]+)\n([\s\S]*?)```/g)].map((m) => [`${page}: ${m[1]}`, parse(m[2]!) as Json]);
}
const documents: Array<[string, Json]> = [
  ...walkFiles(path.join(REPO_ROOT, 'test', 'fixtures')).filter((f) => /\.ya?ml$/.test(f)).map((f): [string, Json] => [path.relative(REPO_ROOT, f), parse(readFileSync(f, 'utf8')) as Json]),
  ...readdirSync(path.join(REPO_ROOT, 'capabilities')).filter((f) => f.endsWith('.yaml')).map((f): [string, Json] => [`capabilities/${f}`, parse(readFileSync(path.join(REPO_ROOT, 'capabilities', f), 'utf8')) as Json]),
  ...docExamples('docs/guide.md'),
  ...docExamples('docs/language.md'),
];

/** Deterministic damage: each object loses a field, gets a misspelt one, or has a value of the wrong type. */
function* mutations(doc: Json): Generator<Json> {
  const paths: Array<Array<string | number>> = [];
  const collect = (node: Json, at: Array<string | number>): void => {
    if (Array.isArray(node)) node.forEach((n, i) => collect(n, [...at, i]));
    else if (isObject(node)) {
      paths.push(at);
      for (const [k, v] of Object.entries(node)) collect(v, [...at, k]);
    }
  };
  collect(doc, []);
  const WRONG: Json[] = [42, 'text', true, [], {}, null];
  for (const [i, at] of paths.entries()) {
    for (const kind of [0, 1, 2]) {
      const copy = structuredClone(doc);
      let node = copy as Json;
      for (const step of at) node = (node as Record<string | number, Json>)[step]!;
      const obj = node as JsonObject;
      const keys = Object.keys(obj);
      if (keys.length === 0) continue;
      const key = keys[(i + kind) % keys.length]!;
      if (kind === 0) delete obj[key];
      else if (kind === 1) { obj[`${key}x`] = obj[key]!; delete obj[key]; }
      else obj[key] = WRONG[i % WRONG.length]!;
      yield copy;
    }
  }
}

function* take<T>(items: Iterable<T>, n: number): Generator<T> {
  for (const item of items) {
    if (n-- <= 0) return;
    yield item;
  }
}

beforeAll(ensureBuilt, 180_000);

describe('the editor schema (draft-07 copy)', () => {
  it('is what scripts/editor-schema.mjs makes of the current schema', () => {
    expect(editorText, 'schema/naftiko-run.editor.schema.json is stale: run npm run build').toBe(editorSchemaText(mainText));
  });

  it('is draft-07 throughout: no $defs, every keyword exists in draft-07, a stable $id of its own', () => {
    expect(editor.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(editor.$id).toBe('https://naftiko-run.dev/schema/capability.draft-07.json');
    const unknown = [...keywords(editor)].filter((k) => !DRAFT_07_KEYWORDS.has(k));
    expect(unknown).toEqual([]);
    // the main schema needs nothing from 2020-12 but $defs, so the copy loses nothing
    expect([...keywords(main)].filter((k) => !DRAFT_07_KEYWORDS.has(k))).toEqual(['$defs']);
  });

  it('keeps every description (a $ref with siblings is wrapped, since draft-07 ignores the siblings of $ref)', () => {
    const refsWithSiblings: string[] = [];
    const visit = (node: Json, at: string): void => {
      if (Array.isArray(node)) node.forEach((n, i) => visit(n, `${at}/${i}`));
      if (!isObject(node)) return;
      if (typeof node.$ref === 'string' && Object.keys(node).length > 1) refsWithSiblings.push(at);
      for (const [k, v] of Object.entries(node)) if (!DATA.has(k)) visit(v, `${at}/${k}`);
    };
    visit(editor, '#');
    expect(refsWithSiblings).toEqual([]);
    const count = (text: string): number => text.match(/"description": "/g)?.length ?? 0;
    expect(count(editorText)).toBe(count(mainText));
    expect(editorText.match(/"markdownDescription": "/g)?.length).toBe(count(mainText));
  });

  it('accepts and rejects every fixture and docs example as the main schema does', () => {
    expect(documents.length).toBeGreaterThan(40);
    let valid = 0;
    for (const [name, doc] of documents) {
      const verdict = validateMain(doc);
      if (verdict) valid++;
      expect(validateEditor(doc), name).toBe(verdict);
    }
    expect(valid).toBeGreaterThan(20);
  });

  it('and every mutation of them', () => {
    let checked = 0;
    let rejected = 0;
    for (const [name, doc] of documents) {
      if (!validateMain(doc)) continue;
      for (const variant of take(mutations(doc), 400)) {
        const verdict = validateMain(variant);
        if (!verdict) rejected++;
        checked++;
        if (validateEditor(variant) !== verdict) expect.fail(`${name}: the schemas disagree on ${JSON.stringify(variant).slice(0, 400)}`);
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(checked / 4);
  });
});

describe('naftiko-run schema', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [CLI_PATH, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });

  it('prints the 2020-12 schema with its $id, exit 0', () => {
    const r = run('schema');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(main);
    expect(r.stdout).toContain('"$id": "https://naftiko-run.dev/schema/capability.json"');
  });

  it('`schema editor` prints the draft-07 copy', () => {
    const r = run('schema', 'editor');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(editor);
  });

  it('another argument is a usage error (exit 2, NR_ERR_CLI_USAGE)', () => {
    const r = run('schema', 'draft-04');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('"draft-04"');
    expect(r.stderr).toContain('[NR_ERR_CLI_USAGE]');
  });

  it('`--help` lists the command', () => {
    expect(run('--help').stdout).toMatch(/naftiko-run schema \[editor\]/);
  });
});

describe('the modeline in capabilities/*.yaml', () => {
  const files = readdirSync(path.join(REPO_ROOT, 'capabilities')).filter((f) => /\.ya?ml$/.test(f));

  it.each(files)('%s starts with a modeline naming the editor schema, and loads without a warning', (file) => {
    const full = path.join(REPO_ROOT, 'capabilities', file);
    const first = readFileSync(full, 'utf8').split('\n', 1)[0]!;
    const match = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
    expect(match, first).not.toBeNull();
    expect(path.resolve(path.dirname(full), match![1]!)).toBe(EDITOR_SCHEMA);
    const { warnings } = loadCapability(full, { strict: true, env: {} });
    expect(warnings).toEqual([]);
  });
});
