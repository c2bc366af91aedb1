/** OutputNode trees, compiled once into functions that build the caller's answer from the upstream value. */
import type { OutputNode } from '../spec/model.js';
import { renderTemplate, type Template } from '../spec/template.js';
import { compileJsonPath } from '../spec/json-path.js';

/** `inputs` feed `{{…}}` in static values (mock mode). */
export type Mapper = (json: unknown, inputs: Readonly<Record<string, unknown>>) => unknown;

export function compileOutput(node: OutputNode): Mapper {
  switch (node.kind) {
    case 'named': {
      const fields = [...node.fields].map(([k, n]) => [k, compileOutput(n)] as const);
      return (json, inputs) => {
        const out: Record<string, unknown> = {};
        for (const [k, m] of fields) {
          const v = m(json, inputs);
          if (v !== undefined) out[k] = v;
        }
        return out;
      };
    }
    case 'object': {
      const at = node.path !== undefined ? compileJsonPath(node.path) : undefined;
      const props = [...node.properties].map(([k, n]) => [k, compileOutput(n)] as const);
      if (node.value !== undefined && at === undefined && props.length === 0) return () => node.value;
      return (json, inputs) => {
        const base = at ? at(json) : json;
        if (props.length === 0) return base;
        if (at && (base === undefined || base === null)) return null;
        const out: Record<string, unknown> = {};
        for (const [k, m] of props) {
          const v = m(base, inputs);
          if (v !== undefined) out[k] = v;
        }
        return out;
      };
    }
    case 'array': {
      const at = node.path !== undefined ? compileJsonPath(node.path) : undefined;
      const items = node.items ? compileOutput(node.items) : undefined;
      if (node.value !== undefined && at === undefined) return () => node.value;
      return (json, inputs) => {
        const base = at ? at(json) : json;
        const arr = Array.isArray(base) ? base : base === undefined || base === null ? [] : [base];
        return items ? arr.map((item) => items(item, inputs)) : arr;
      };
    }
    case 'scalar': {
      if (node.path !== undefined) {
        const at = compileJsonPath(node.path);
        return (json) => coerceScalar(node.type, at(json));
      }
      const value = node.value;
      if (value !== undefined && typeof value === 'object') {
        const t = value as Template;
        return (_json, inputs) => {
          const r = renderTemplate(t, (ref) => (inputs[ref] === undefined ? undefined : String(inputs[ref])));
          return coerceScalar(node.type, r.ok ? r.value : t.source);
        };
      }
      return () => coerceScalar(node.type, value);
    }
  }
}

/** Numeric and boolean strings (XML, CSV leaves) become numbers and booleans when the declared type says so. */
export function coerceScalar(type: string, v: unknown): unknown {
  if (v === undefined || v === null) return v;
  if ((type === 'number' || type === 'integer') && typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  if (type === 'boolean' && typeof v === 'string' && (v === 'true' || v === 'false')) return v === 'true';
  if (type === 'string' && (typeof v === 'number' || typeof v === 'boolean')) return String(v);
  return v;
}
