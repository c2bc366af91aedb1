/**
 * Load-time problems. Every problem a user can cause in a capability file becomes a Diagnostic with a
 * stable code, a position (file:line:column) and the JSON pointer of the offending node.
 */
export type Severity = 'error' | 'warning';

export interface Diagnostic {
  readonly severity: Severity;
  /** Stable code, listed in docs/errors.md. */
  readonly code: string;
  readonly file: string;
  /** 1-based; 0 when the problem concerns the file as a whole. */
  readonly line: number;
  readonly column: number;
  /** RFC 6901 pointer into the document; '' for the whole document. */
  readonly pointer: string;
  readonly message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
  const pointer = d.pointer === '' ? '' : ` ${d.pointer}`;
  const tag = d.severity === 'warning' ? 'warning ' : '';
  return `${where}${pointer}: ${tag}${d.message} [${d.code}]`;
}

export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.pointer.localeCompare(b.pointer),
  );
}

/** Thrown by the loader when a file has at least one error; carries every problem of the file. */
export class CapabilityLoadError extends Error {
  readonly code = 'NR_ERR_CAPABILITY_INVALID';
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    const sorted = sortDiagnostics(diagnostics);
    super(sorted.map(formatDiagnostic).join('\n'));
    this.name = 'CapabilityLoadError';
    this.diagnostics = sorted;
  }
  get errors(): Diagnostic[] {
    return this.diagnostics.filter((d) => d.severity === 'error');
  }
}

export function pointerOf(path: readonly (string | number)[]): string {
  return path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
