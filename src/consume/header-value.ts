/** What an HTTP field value may hold (RFC 9110 §5.5): visible ASCII, Latin-1, space and tab. */
const INVALID = /[^\t\x20-\x7e\x80-\xff]/;

/** Why `value` cannot be sent as a header, or undefined when it can. */
export function headerValueProblem(value: string): string | undefined {
  if (!INVALID.test(value)) return undefined;
  return 'header values may hold only printable ASCII or Latin-1 characters, space and tab (no CR, LF, NUL, control characters or characters beyond U+00FF)';
}
