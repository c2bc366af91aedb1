/**
 * ValueExprs compiled once into functions over a run's scope (FEATURES §1.2): inputs, the outputs of
 * the steps that already ran, binds. A template that is a single reference keeps its value's type.
 */
import type { BoundVariable, ValueExpr } from '../spec/model.js';
import { renderTemplate, soleReference } from '../spec/template.js';
import { compileJsonPath } from '../spec/json-path.js';

export interface RunScope {
  readonly inputs: Readonly<Record<string, unknown>>;
  /** step name → stored output */
  readonly outputs: ReadonlyMap<string, unknown>;
  /** decoded output of the last call step that ran */
  readonly lastCall: unknown;
}

export type Evaluator = (scope: RunScope) => unknown;

export function compileExpr(expr: ValueExpr, variables: ReadonlyMap<string, BoundVariable>): Evaluator {
  switch (expr.kind) {
    case 'literal': {
      const v = expr.value;
      return () => v;
    }
    case 'input': {
      const name = expr.name;
      return (s) => s.inputs[name];
    }
    case 'step': {
      const at = compileJsonPath(expr.path);
      const step = expr.step;
      return (s) => at(s.outputs.get(step));
    }
    case 'last-call': {
      const at = compileJsonPath(expr.path);
      return (s) => at(s.lastCall);
    }
    case 'template': {
      const t = expr.template;
      const resolve = referenceResolver(variables);
      const sole = soleReference(t);
      if (sole !== undefined) return (s) => resolve(sole, s);
      return (s) => {
        const r = renderTemplate(t, (ref) => {
          const v = resolve(ref, s);
          if (v === undefined || v === null) return undefined;
          return typeof v === 'object' ? JSON.stringify(v) : String(v);
        });
        return r.ok ? r.value : undefined;
      };
    }
  }
}

/** `{{x}}`: the input x, else the step x's output, else the bind x; `{{a.b}}`: b in step a's output, else the bind `a.b`. */
function referenceResolver(variables: ReadonlyMap<string, BoundVariable>) {
  const paths = new Map<string, (json: unknown) => unknown>();
  return (ref: string, s: RunScope): unknown => {
    const input = s.inputs[ref];
    if (input !== undefined) return input;
    if (s.outputs.has(ref)) return s.outputs.get(ref);
    const dot = ref.indexOf('.');
    if (dot > 0) {
      const head = ref.slice(0, dot);
      if (s.outputs.has(head)) {
        let at = paths.get(ref);
        if (!at) paths.set(ref, (at = compileJsonPath(`$.${ref.slice(dot + 1)}`)));
        return at(s.outputs.get(head));
      }
    }
    return variables.get(ref)?.value;
  };
}
