/**
 * Lookup steps (FEATURES §4): match each value against `index[*][match]` and keep the listed fields.
 * A single value gives the projected entry or null; an array of values gives the matches in value
 * order (misses skipped, duplicates kept), [] when nothing matched.
 */
export function runLookup(index: unknown, match: string, value: unknown, fields: readonly string[]): unknown {
  const entries = indexEntries(index, match);
  const find = (v: unknown): Record<string, unknown> | undefined => entries.find((e) => sameScalar(e[match], v));
  const project = (e: Record<string, unknown>): unknown => {
    if (fields.length === 0) return e;
    const out: Record<string, unknown> = {};
    for (const f of fields) out[f] = e[f] === undefined ? null : e[f];
    return out;
  };
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const v of value) {
      const e = find(v);
      if (e) out.push(project(e));
    }
    return out;
  }
  if (value === undefined || value === null) return null;
  const e = find(value);
  return e ? project(e) : null;
}

/** An array of objects; an object that has the match field itself; or an object wrapping exactly one array. */
function indexEntries(index: unknown, match: string): Record<string, unknown>[] {
  const objects = (a: unknown[]) => a.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x));
  if (Array.isArray(index)) return objects(index);
  if (index === null || typeof index !== 'object') return [];
  const obj = index as Record<string, unknown>;
  if (match in obj) return [obj];
  const arrays = Object.values(obj).filter(Array.isArray);
  return arrays.length === 1 ? objects(arrays[0]!) : [];
}

/** Equality on JSON scalars: strings exactly, a number equals its shortest decimal text, booleans as true/false. */
export function sameScalar(a: unknown, b: unknown): boolean {
  const key = (v: unknown): string | undefined => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (typeof v === 'boolean') return String(v);
    return undefined;
  };
  const ka = key(a);
  return ka !== undefined && ka === key(b);
}
