// Rewrites every subschema of a JSON Schema document, bottom up. Property names (the keys of `properties`,
// `$defs`, …) are never taken for keywords, and data keywords (`const`, `enum`, `default`, `examples`) are
// copied untouched, so a `description` field or a `$ref` inside them is left alone.
const SCHEMA_MAPS = new Set(['properties', '$defs', 'definitions', 'patternProperties', 'dependentSchemas']);
const DATA = new Set(['const', 'enum', 'default', 'examples', 'required']);

export function rewriteSchema(node, rewrite) {
  if (Array.isArray(node)) return node.map((n) => rewriteSchema(n, rewrite));
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (DATA.has(key)) out[key] = value;
    else if (SCHEMA_MAPS.has(key) && value && typeof value === 'object') {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, rewriteSchema(sub, rewrite)]));
    } else out[key] = rewriteSchema(value, rewrite);
  }
  return rewrite(out);
}
