/** The error every decoder throws for a body it cannot read; the invoker turns it into 502 NR_ERR_UPSTREAM_BAD_BODY. */
import type { OutputFormat } from '../../spec/model.js';

export interface DecodePosition {
  /** 1-based line of a text body. */
  readonly line?: number;
  /** 1-based column (UTF-16 code units) of a text body. */
  readonly column?: number;
  /** 0-based offset: bytes for avro/protobuf, characters for text formats. */
  readonly offset?: number;
}

/**
 * A body that is not valid in its `outputRawFormat`. `message` reads
 * `invalid <format> body at line L, column C: <reason>` (or `at byte N`, or no position when the parser
 * gives none); `reason` is the bare cause. Messages never quote the body.
 */
export class DecodeError extends Error {
  readonly reason: string;
  constructor(
    readonly format: OutputFormat,
    message: string,
    readonly position?: DecodePosition,
  ) {
    super(`invalid ${format} body${describePosition(format, position)}: ${message}`);
    this.name = 'DecodeError';
    this.reason = message;
  }
}

function describePosition(format: OutputFormat, p: DecodePosition | undefined): string {
  if (!p) return '';
  if (p.line !== undefined) return p.column !== undefined ? ` at line ${p.line}, column ${p.column}` : ` at line ${p.line}`;
  if (p.offset !== undefined) return format === 'avro' || format === 'protobuf' ? ` at byte ${p.offset}` : ` at offset ${p.offset}`;
  return '';
}

/** 1-based line and column of `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: end - lineStart + 1 };
}

/** V8's stack exhaustion (deeply nested input reaching a recursive library). */
export function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

/** Defines an own, enumerable data property (safe for keys such as `__proto__`). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** UTF-8 text of a body, without a leading byte order mark. */
export function utf8Text(body: Buffer): string {
  const text = body.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
