/** What an import could not map, each with its code and the OpenAPI pointer (and line) it concerns. */
import type { Diagnostic } from '../../spec/diagnostics.js';
import type { SourcePositions } from '../../spec/yaml-source.js';

export class ImportWarnings {
  readonly list: Diagnostic[] = [];
  positions: SourcePositions | undefined;
  constructor(readonly file: string) {}

  add(code: string, pointer: string, message: string): void {
    const at = pointer && this.positions ? this.positions.valueAt(pointer) : { line: 0, column: 0 };
    this.list.push({ severity: 'warning', code, file: this.file, line: at.line, column: at.column, pointer, message });
  }
}
