/**
 * Nesting limits for JSON, checked with loops (never recursion): a document nested deeper than any
 * real API answers is refused before anything recursive (serialisers, schema validators, JSONPath)
 * could overflow the stack or spin (probe F4, F11).
 */
export const MAX_JSON_DEPTH = 256;

/** True when JSON text opens more than `max` arrays/objects at once (strings are skipped). */
export function textNestingExceeds(text: string, max: number): boolean {
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

/** True when a parsed value nests more than `max` arrays/objects. */
export function valueNestingExceeds(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as object)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}
