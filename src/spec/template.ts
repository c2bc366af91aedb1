/**
 * `{{name}}` templates (and `{name}` in paths), parsed once at load and rendered per call.
 * A reference is either a bind variable (`VAR`, `namespace.VAR`) or an input / argument name.
 */
export type TemplatePart = string | { readonly ref: string };

export interface Template {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
  /** every referenced name, in order of appearance */
  readonly refs: readonly string[];
}

const MUSTACHE = /\{\{\s*([^{}\s]+)\s*\}\}/g;
const MUSTACHE_OR_PATH = /\{\{\s*([^{}\s]+)\s*\}\}|\{([^{}\s/]+)\}/g;

export function compileTemplate(source: string, options: { pathPlaceholders?: boolean } = {}): Template {
  const pattern = options.pathPlaceholders ? MUSTACHE_OR_PATH : MUSTACHE;
  const parts: TemplatePart[] = [];
  const refs: string[] = [];
  let last = 0;
  for (const m of source.matchAll(pattern)) {
    const ref = (m[1] ?? m[2]) as string;
    if (m.index > last) parts.push(source.slice(last, m.index));
    parts.push({ ref });
    refs.push(ref);
    last = m.index + m[0].length;
  }
  if (last < source.length) parts.push(source.slice(last));
  return { source, parts, refs };
}

export function staticTemplate(text: string): Template {
  return { source: text, parts: [text], refs: [] };
}

export type RenderResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly missing: string };

/**
 * Renders `t`, looking each reference up; `encode` is applied to substituted values only (never to the
 * template's own text), which is how path placeholders stay one segment whatever the value.
 */
export function renderTemplate(
  t: Template,
  lookup: (ref: string) => string | undefined,
  encode?: (value: string, ref: string) => string,
): RenderResult {
  if (t.refs.length === 0) return { ok: true, value: t.source };
  let out = '';
  for (const part of t.parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const v = lookup(part.ref);
    if (v === undefined) return { ok: false, missing: part.ref };
    out += encode ? encode(v, part.ref) : v;
  }
  return { ok: true, value: out };
}

/** A template that is exactly one reference (`"{{x}}"`): its value keeps its type (number, object…). */
export function soleReference(t: Template): string | undefined {
  return t.parts.length === 1 && typeof t.parts[0] !== 'string' ? t.parts[0]!.ref : undefined;
}
