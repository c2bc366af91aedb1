/**
 * Values inside an orchestration (FEATURES §1.2), parsed once at load: `$.<step>…` paths, input
 * references (`<ns>.x`, `$this.<ns>.x`), `{{…}}` templates, literals.
 */
import type { ValueExpr } from './model.js';
import { compileTemplate } from './template.js';

export interface ExprScope {
  /** prefixes that make `<prefix>.<name>` an input reference */
  readonly aliases: readonly string[];
  /** every step name of the orchestration, in order */
  readonly steps: readonly string[];
  /** how many steps ran before this value is evaluated (mappings: all of them) */
  readonly before: number;
  /** in mappings, `$.x` naming no step is a path in the last call's output (spec §3.14.4) */
  readonly allowLastCall: boolean;
}

export type ParsedExpr = { readonly ok: true; readonly expr: ValueExpr } | { readonly ok: false; readonly reason: string };

const FIRST_MEMBER = /^\$(?:\.([A-Za-z0-9_-]+)|\[\s*'([^']+)'\s*\]|\[\s*"([^"]+)"\s*\])/;

export function parseValueExpr(value: unknown, scope: ExprScope): ParsedExpr {
  if (typeof value !== 'string') return { ok: true, expr: { kind: 'literal', value } };
  let text = value.trim();
  // `{{$.step.x}}`: the spec's own mapping example wraps a path in braces
  const braced = /^\{\{\s*(\$[^{}]*?)\s*\}\}$/.exec(text);
  if (braced) text = braced[1]!;
  if (text.startsWith('$this.')) return parseValueExpr(text.slice('$this.'.length), scope);
  if (text === '$' || text === '$.') {
    return scope.allowLastCall ? { ok: true, expr: { kind: 'last-call', path: '$' } } : { ok: false, reason: `"${value}" is the whole step context; name a step: "$.<step>"` };
  }
  const m = FIRST_MEMBER.exec(text);
  if (m) {
    const name = (m[1] ?? m[2] ?? m[3])!;
    const index = scope.steps.indexOf(name);
    const rest = '$' + text.slice(m[0].length);
    if (index >= 0 && index < scope.before) return { ok: true, expr: { kind: 'step', step: name, path: rest } };
    if (index >= 0) return { ok: false, reason: `"${value}" reads step "${name}", which runs later; a step can only read the steps before it` };
    if (scope.allowLastCall) return { ok: true, expr: { kind: 'last-call', path: text } };
    return { ok: false, reason: `"${value}" names no step (steps: ${scope.steps.slice(0, scope.before).join(', ') || 'none before this one'})` };
  }
  if (text.includes('{{')) return { ok: true, expr: { kind: 'template', template: compileTemplate(value) } };
  const dot = text.indexOf('.');
  if (dot > 0 && scope.aliases.includes(text.slice(0, dot)) && /^[A-Za-z0-9_*-]+$/.test(text.slice(dot + 1))) {
    return { ok: true, expr: { kind: 'input', name: text.slice(dot + 1) } };
  }
  return { ok: true, expr: { kind: 'literal', value } };
}

/** Step names a value reads: `$.<step>`, and `{{step}}` / `{{step.x}}` when a step has that name. */
export function stepsRead(expr: ValueExpr, steps: readonly string[]): string[] {
  if (expr.kind === 'step') return [expr.step];
  if (expr.kind === 'template') return [...new Set(expr.template.refs.map((r) => r.split('.')[0]!).filter((r) => steps.includes(r)))];
  return [];
}
