/**
 * Caller values → typed inputs, one rule set for every adapter: REST hands in strings (query, path,
 * headers) to coerce; MCP hands in JSON arguments to type-check. All problems are reported together.
 */
import type { ExposedInput, ParamType } from '../spec/model.js';
import { badInput, type InvalidParam } from '../consume/errors.js';

export function checkInputs(
  inputs: readonly ExposedInput[],
  raw: Readonly<Record<string, unknown>>,
  options: { fromStrings: boolean; unknown?: 'reject' | 'ignore' },
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const invalid: InvalidParam[] = [];
  for (const input of inputs) {
    if (input.constant !== undefined) {
      out[input.name] = input.constant;
      continue;
    }
    const value = raw[input.name];
    if (value === undefined || value === null) {
      if (input.required && !input.credential) invalid.push({ name: input.name, reason: 'is required but missing' });
      continue;
    }
    const r = coerce(input.type, value, options.fromStrings);
    if ('error' in r) {
      invalid.push({ name: input.name, reason: r.error });
      continue;
    }
    if (input.in === 'path' && (r.value === '' || r.value === '.' || r.value === '..')) {
      invalid.push({ name: input.name, reason: r.value === '' ? 'must not be empty: it fills a path segment' : `must not be "${r.value}": a dot segment would change the upstream path` });
      continue;
    }
    if (input.pattern !== undefined && typeof r.value === 'string' && !safeRegex(input.pattern).test(r.value)) {
      invalid.push({ name: input.name, reason: `must match ${input.pattern}` });
      continue;
    }
    out[input.name] = r.value;
  }
  if (options.unknown === 'reject') {
    const known = new Set(inputs.map((i) => i.name));
    for (const k of Object.keys(raw)) if (!known.has(k) || inputs.some((i) => i.name === k && i.constant !== undefined)) invalid.push({ name: k, reason: 'is not an input of this operation' });
  }
  if (invalid.length) throw badInput(invalid);
  return out;
}

type Coerced = { value: unknown } | { error: string };

function coerce(type: ParamType, v: unknown, fromStrings: boolean): Coerced {
  const got = (): string => `got ${typeof v === 'string' ? JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v) : Array.isArray(v) ? 'an array' : typeof v}`;
  switch (type) {
    case 'string':
      if (typeof v === 'string') return { value: v };
      if (fromStrings) return { value: String(v) };
      // MCP clients (the Inspector's --tool-arg id=1) send a numeric-looking string as a number: an exact
      // integer is taken as its decimal string; a fraction, a boolean, an object… stay errors
      if (typeof v === 'number' && Number.isSafeInteger(v)) return { value: String(v) };
      return { error: `must be a string, ${got()}` };
    case 'boolean':
      if (typeof v === 'boolean') return { value: v };
      if (fromStrings && (v === 'true' || v === 'false')) return { value: v === 'true' };
      return { error: `must be a boolean (true or false), ${got()}` };
    case 'integer':
    case 'number': {
      let n: number | undefined = typeof v === 'number' ? v : undefined;
      if (fromStrings && typeof v === 'string' && v.trim() !== '' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim())) n = Number(v);
      if (n === undefined || !Number.isFinite(n)) return { error: `must be ${type === 'integer' ? 'an integer' : 'a number'}, ${got()}` };
      if (type === 'integer' && !Number.isInteger(n)) return { error: `must be an integer, ${got()}` };
      return { value: n };
    }
    case 'array':
      if (Array.isArray(v)) return { value: v };
      if (fromStrings && typeof v === 'string') return { value: v.split(',') };
      return { error: `must be an array, ${got()}` };
    case 'object':
      if (v && typeof v === 'object' && !Array.isArray(v)) return { value: v };
      return { error: `must be a JSON object, ${got()}` };
  }
}

const regexCache = new Map<string, RegExp>();
function safeRegex(pattern: string): RegExp {
  let r = regexCache.get(pattern);
  if (!r) {
    r = new RegExp(pattern, 'u');
    regexCache.set(pattern, r);
  }
  return r;
}
