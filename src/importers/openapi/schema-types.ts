/** An OpenAPI schema → the one parameter type the capability format has for it. */
import type { ParamType } from '../../spec/model.js';

const TYPES: ReadonlySet<string> = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object']);

/**
 * `type` (3.1: the first non-null of a list), else what the shape implies (`properties` → object,
 * `items` → array, `enum` → the values' type), else the one type `allOf` / `oneOf` / `anyOf` members
 * agree on. `undefined` when nothing decides (any value, or a union of different types).
 */
export function schemaType(schema: unknown, seen: Set<unknown> = new Set()): ParamType | undefined {
  if (schema === null || typeof schema !== 'object' || seen.has(schema)) return undefined;
  seen.add(schema);
  const s = schema as Record<string, unknown>;
  const declared = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  if (typeof declared === 'string' && TYPES.has(declared)) return declared as ParamType;
  if (s.properties !== undefined || s.additionalProperties !== undefined) return 'object';
  if (s.items !== undefined) return 'array';
  if (Array.isArray(s.enum) && s.enum.length > 0) {
    const kinds = new Set(s.enum.filter((v) => v !== null).map((v) => (typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v)));
    if (kinds.size === 1) {
      const [k] = kinds;
      if (k === 'string' || k === 'boolean' || k === 'integer' || k === 'number') return k;
    }
  }
  for (const key of ['allOf', 'oneOf', 'anyOf']) {
    const members = s[key];
    if (!Array.isArray(members) || members.length === 0) continue;
    const types = new Set(members.map((m) => schemaType(m, seen)).filter((t) => t !== undefined));
    if (key === 'allOf' && types.size >= 1) return [...types][0];
    if (types.size === 1) return [...types][0];
  }
  return undefined;
}

/** An object schema's properties, `allOf` members merged (cycle-safe); `required` collected the same way. */
export function objectShape(schema: unknown, seen: Set<unknown> = new Set()): { properties: Map<string, Record<string, unknown>>; required: Set<string> } {
  const properties = new Map<string, Record<string, unknown>>();
  const required = new Set<string>();
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    const s = node as Record<string, unknown>;
    if (s.properties && typeof s.properties === 'object') {
      for (const [k, v] of Object.entries(s.properties as Record<string, unknown>)) if (!properties.has(k) && v && typeof v === 'object') properties.set(k, v as Record<string, unknown>);
    }
    if (Array.isArray(s.required)) for (const r of s.required) if (typeof r === 'string') required.add(r);
    if (Array.isArray(s.allOf)) for (const m of s.allOf) visit(m);
  };
  visit(schema);
  return { properties, required };
}
