/**
 * Every field of a capability is documented in the schema: editors show these descriptions on hover and in
 * completion. Walks schema/naftiko-run.schema.json and fails on any property schema without a `description`.
 * Properties inside an `if` are conditions (which branch applies), not fields anyone writes, so they are
 * exempt, as are `true` placeholders (ajv's strictRequired repeats a required field as `name: true`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const schema = JSON.parse(readFileSync(new URL('../schema/naftiko-run.schema.json', import.meta.url), 'utf8')) as JsonObject;
const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const SCHEMA_MAPS = new Set(['properties', '$defs', 'patternProperties', 'dependentSchemas']);
const DATA = new Set(['const', 'enum', 'default', 'examples', 'required']);

interface Field { readonly pointer: string; readonly schema: JsonObject }

/** Every property schema a document's author writes, with its JSON pointer in the schema. */
function fields(node: Json, pointer: string, inCondition: boolean, out: Field[] = []): Field[] {
  if (Array.isArray(node)) node.forEach((n, i) => fields(n, `${pointer}/${i}`, inCondition, out));
  if (!isObject(node)) return out;
  for (const [key, value] of Object.entries(node)) {
    if (DATA.has(key)) continue;
    if (SCHEMA_MAPS.has(key) && isObject(value)) {
      for (const [name, sub] of Object.entries(value)) {
        const at = `${pointer}/${key}/${name}`;
        if (key === 'properties' && isObject(sub) && !inCondition) out.push({ pointer: at, schema: sub });
        fields(sub, at, inCondition, out);
      }
    } else fields(value, `${pointer}/${key}`, inCondition || key === 'if', out);
  }
  return out;
}

const all = fields(schema, '#', false);
const byPointer = new Map(all.map((f) => [f.pointer, f.schema]));
const text = (pointer: string): string => {
  const d = byPointer.get(pointer)?.description;
  if (typeof d !== 'string') throw new Error(`${pointer} has no description`);
  return d;
};

describe('schema descriptions', () => {
  it('the walk finds the fields (it is not vacuous)', () => {
    expect(all.length).toBeGreaterThan(300);
    expect(byPointer.has('#/$defs/AuthApiKey/properties/placement')).toBe(true);
    expect(byPointer.has('#/$defs/ControlManagementSpec/properties/logs/properties/stream')).toBe(true);
    // the discriminating `type` inside an `if` is a condition, not a field
    expect([...byPointer.keys()].some((p) => p.includes('/if/'))).toBe(false);
  });

  it('every property has a description of its own', () => {
    const missing = all.filter((f) => typeof f.schema.description !== 'string' || f.schema.description.trim().length < 3).map((f) => f.pointer);
    expect(missing, `properties without a description:\n${missing.join('\n')}`).toEqual([]);
  });

  it('a property described by its default says the default the schema declares', () => {
    const wrong = all.filter((f) => {
      if (f.schema.default === undefined || typeof f.schema.description !== 'string') return false;
      const d = f.schema.description;
      return /default/i.test(d) && !d.includes(String(f.schema.default));
    }).map((f) => `${f.pointer}: default ${JSON.stringify(f.schema.default)} but "${String(f.schema.description)}"`);
    expect(wrong).toEqual([]);
  });

  it('the questions a first capability raises are answered where the field is', () => {
    // which side of a binds entry is the environment variable
    expect(text('#/$defs/Binding/properties/keys')).toMatch(/LEFT side is the variable name.*RIGHT side is where its value comes from: the environment variable/s);
    // apikey: key is the header or parameter name, value the secret, placement where it goes
    expect(text('#/$defs/AuthApiKey/properties/key')).toMatch(/NAME of the header or query parameter/);
    expect(text('#/$defs/AuthApiKey/properties/value')).toMatch(/secret.*\{\{VARIABLE\}\}/s);
    expect(text('#/$defs/AuthApiKey/properties/placement')).toMatch(/`header` \(default\) or `query`/);
    // a JSON body template uses {{name}}
    expect(text('#/$defs/RequestBodyJson/properties/data')).toContain('{{name}}');
    expect(text('#/$defs/ConsumedHttpOperation/properties/body')).toContain('{{name}}');
    // consumed outputs say `value`, exposed ones `mapping`, and why
    expect(text('#/$defs/ConsumedOutputParameter/properties/value')).toMatch(/exposed outputs use `mapping`/);
    expect(text('#/$defs/ConsumedHttpOperation/properties/outputParameters')).toMatch(/plain `call` does NOT apply them/);
    expect(text('#/$defs/MappedOutputParameterString/properties/mapping')).toMatch(/consumed outputs use `value`/);
    // `with` may be left out
    expect(text('#/$defs/ExposedOperation/properties/with')).toMatch(/May be left out/);
  });

  it('the schema has a stable $id', () => {
    expect(schema.$id).toBe('https://naftiko-run.dev/schema/capability.json');
  });
});
