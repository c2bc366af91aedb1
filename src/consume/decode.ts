/** Upstream body text → a JSON-like value, by `outputRawFormat` (SEMANTICS §5). */
import { yamlLib } from '../spec/yaml-lib.js';
import type { OutputFormat } from '../spec/model.js';

export function decodeBody(format: OutputFormat, text: string): unknown {
  switch (format) {
    case 'json':
      return text.trim() === '' ? null : JSON.parse(text);
    case 'yaml':
      return yamlLib().parse(text);
    case 'csv':
      return parseDelimited(text, ',');
    case 'tsv':
      return parseDelimited(text, '\t');
    case 'psv':
      return parseDelimited(text, '|');
    default:
      throw new Error(`outputRawFormat "${format}" is not decoded by naftiko-run yet`);
  }
}

/** RFC 4180-style rows (quoted fields, doubled quotes); the first row names the columns. */
export function parseDelimited(text: string, sep: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === sep) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  const [header, ...data] = rows.filter((r) => !(r.length === 1 && r[0] === ''));
  if (!header) return [];
  return data.map((r) => Object.fromEntries(header.map((h, i) => [h.trim(), r[i] ?? ''])));
}
