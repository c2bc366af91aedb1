/** Collects positioned diagnostics while the model is built. */
import type { Diagnostic } from './diagnostics.js';
import type { SourcePositions } from './yaml-source.js';

export class BuildContext {
  readonly diagnostics: Diagnostic[] = [];
  /** consumes namespaces whose import failed: calls into them are not reported again */
  readonly unresolvedNamespaces = new Set<string>();
  constructor(
    readonly file: string,
    readonly dir: string,
    readonly positions: SourcePositions,
  ) {}

  error(code: string, pointer: string, message: string, at: 'value' | 'key' = 'value'): void {
    this.push('error', code, pointer, message, at);
  }

  warn(code: string, pointer: string, message: string, at: 'value' | 'key' = 'value'): void {
    this.push('warning', code, pointer, message, at);
  }

  private push(severity: 'error' | 'warning', code: string, pointer: string, message: string, at: 'value' | 'key'): void {
    const pos = at === 'key' ? this.positions.keyAt(pointer) : this.positions.valueAt(pointer);
    this.diagnostics.push({ severity, code, file: this.file, line: pos.line, column: pos.column, pointer, message });
  }
}

/** Loose view of validated YAML: the schema already guaranteed the shapes we read. */
export type Raw = Record<string, unknown>;

export function list(v: unknown): Raw[] {
  return Array.isArray(v) ? (v as Raw[]) : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
