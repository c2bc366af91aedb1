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

/** Checks a path at load time; returns a reason when jsonpath-plus cannot use it. */
export function jsonPathProblem(path: string): string | undefined {
  try {
    JSONPath.toPathArray(path.startsWith('$') ? path : `$.${path}`);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
