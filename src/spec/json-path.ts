/**
 * JSONPath, compiled once at load. Plain member paths (`$.a.b[0]['c d']`) become direct property
 * walks; anything else (filters, wildcards, recursion) goes to jsonpath-plus with script evaluation off.
 */
import { JSONPath } from 'jsonpath-plus';

export type CompiledPath = (json: unknown) => unknown;

const SIMPLE_TOKEN = /^(?:\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\])/;

export function compileJsonPath(path: string): CompiledPath {
  const p = path.trim();
  if (p === '$' || p === '$.') return (json) => json;
  const keys = simpleKeys(p);
  if (keys) {
    return (json) => {
      let cur: unknown = json;
      for (const k of keys) {
        if (cur === null || typeof cur !== 'object') return undefined;
        cur = (cur as Record<string | number, unknown>)[k];
      }
      return cur;
    };
  }
  const expr = p.startsWith('$') ? p : `$.${p}`;
  return (json) => {
    if (json === null || typeof json !== 'object') return undefined;
    return JSONPath({ path: expr, json: json as object, wrap: false, eval: false });
  };
}

function simpleKeys(path: string): (string | number)[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const keys: (string | number)[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    const m = SIMPLE_TOKEN.exec(rest);
    if (!m) return undefined;
    keys.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (m[3] ?? m[4])!));
    rest = rest.slice(m[0].length);
  }
  return keys;
}

/**
 * Checks a path at load time; returns what is wrong, or undefined. jsonpath-plus accepts almost any
 * text, so the structure is checked here: a leading `$`, balanced brackets and quotes, and no filter or
 * script expressions (script evaluation is off, so they could never match).
 */
export function jsonPathProblem(path: string): string | undefined {
  const p = path.trim();
  if (!p.startsWith('$')) return 'must start with "$"';
  if (/\?\(|\(@|\(\s*\)/.test(p)) return 'filter and script expressions ([?(…)], (@…)) are not supported: script evaluation is off';
  let depth = 0;
  let quote: string | undefined;
  for (const c of p) {
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '[') depth++;
    else if (c === ']' && --depth < 0) return 'has a "]" without "["';
  }
  if (quote) return 'has an unterminated quote';
  if (depth !== 0) return 'has a "[" without "]"';
  if (/\.\.?$/.test(p) && p !== '$.') return 'ends with "."';
  return undefined;
}
