/**
 * Markdown body → `{"frontMatter": {…}, "tables": [table…], "sections": [{heading, level, content}…]}`
 * (FEATURES §13), with CommonMark and GFM tables:
 * - frontMatter: the YAML map between a leading `---\n` and the next `\n---\n` (after CRLF → LF), else {};
 * - tables: top-level tables only, as html tables (first header row, body rows; all-blank headers skip);
 * - sections: one per top-level heading; `content` is the inline text of the following top-level blocks
 *   other than tables, each trimmed, blank ones dropped, joined with `\n`. Inline text is text and code
 *   spans (image alt text included), soft break → space, hard break → `\n`; HTML and code blocks give none.
 * - `outputSchema` keeps the sections whose heading starts with it, once its leading `#`s and spaces are
 *   stripped [deviation: Java compares `## Results` to the heading text and never matches].
 *
 * markdown-it (CommonMark preset, plus its GFM table rule) is loaded on the first markdown decoder. Only
 * the front matter can make a body invalid (YAML that does not parse). Blocks nested deeper than
 * MAX_MARKDOWN_NESTING levels are not expanded further (markdown-it's guard), so hostile input stays cheap.
 */
import { createRequire } from 'node:module';
import type MarkdownItCtor from 'markdown-it';
import type { Token } from 'markdown-it';
import { yamlLib } from '../../spec/yaml-lib.js';
import { DecodeError, lineColumn, setOwn, utf8Text } from './errors.js';

export const MAX_MARKDOWN_NESTING = 100;

let lib: typeof MarkdownItCtor | undefined;
const markdownIt = (): typeof MarkdownItCtor => (lib ??= createRequire(import.meta.url)('markdown-it') as typeof MarkdownItCtor);

export interface MarkdownSection {
  heading: string;
  level: number;
  content: string;
}
export interface MarkdownTree {
  frontMatter: Record<string, unknown>;
  tables: Record<string, string>[][];
  sections: MarkdownSection[];
}

export function prepareMarkdown(headingPrefix: string | undefined): (body: Buffer) => MarkdownTree {
  const MarkdownIt = markdownIt();
  const md = new MarkdownIt('commonmark', { maxNesting: MAX_MARKDOWN_NESTING }).enable('table');
  const filter = (headingPrefix ?? '').replace(/^[#\s]+/, '');
  return (body) => {
    const text = utf8Text(body).replace(/\r\n/g, '\n');
    const { frontMatter, rest } = splitFrontMatter(text);
    const tokens = md.parse(rest, {});
    const tables: Record<string, string>[][] = [];
    const sections: MarkdownSection[] = [];
    let current: { heading: string; level: number; parts: string[] } | undefined;
    const flush = (): void => {
      if (current && current.heading.startsWith(filter)) sections.push({ heading: current.heading, level: current.level, content: current.parts.join('\n').trim() });
    };
    for (let i = 0; i < tokens.length; ) {
      const token = tokens[i]!;
      const end = closing(tokens, i);
      if (token.type === 'heading_open') {
        flush();
        current = { heading: blockText(tokens, i, end).trim(), level: Number(token.tag.slice(1)), parts: [] };
      } else if (token.type === 'table_open') {
        const table = tableOf(tokens, i, end);
        if (table) tables.push(table);
      } else if (current) {
        const part = blockText(tokens, i, end).trim();
        if (part) current.parts.push(part);
      }
      i = end + 1;
    }
    flush();
    return { frontMatter, tables, sections };
  };
}

function splitFrontMatter(text: string): { frontMatter: Record<string, unknown>; rest: string } {
  if (!text.startsWith('---\n')) return { frontMatter: {}, rest: text };
  const end = text.indexOf('\n---\n', 4);
  if (end === -1) return { frontMatter: {}, rest: text };
  const yaml = text.slice(4, end);
  const rest = text.slice(end + 5);
  if (yaml.trim() === '') return { frontMatter: {}, rest };
  let value: unknown;
  try {
    value = yamlLib().parse(yaml, { logLevel: 'error', prettyErrors: false });
  } catch (e) {
    const err = e as Error & { pos?: [number, number] };
    // the YAML starts on line 2, after the opening `---`
    const at = err.pos ? lineColumn(yaml, err.pos[0]) : undefined;
    throw new DecodeError('markdown', `the front matter is not valid YAML: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      at ? { line: at.line + 1, column: at.column, offset: 4 + err.pos![0] } : undefined);
  }
  const isMap = typeof value === 'object' && value !== null && !Array.isArray(value);
  return { frontMatter: isMap ? (value as Record<string, unknown>) : {}, rest };
}

/** Index of the token that closes the block opened at `i` (or `i` for a self-contained block). */
function closing(tokens: readonly Token[], i: number): number {
  if (tokens[i]!.nesting !== 1) return i;
  let depth = 0;
  for (let j = i; j < tokens.length; j++) {
    depth += tokens[j]!.nesting;
    if (depth === 0) return j;
  }
  return tokens.length - 1;
}

/** The inline text of every inline token in tokens[from..to]. */
function blockText(tokens: readonly Token[], from: number, to: number): string {
  let out = '';
  for (let j = from; j <= to; j++) {
    const t = tokens[j]!;
    if (t.type === 'inline') out += inlineText(t.children ?? []);
  }
  return out;
}

function inlineText(children: readonly Token[]): string {
  let out = '';
  const stack: Token[] = [...children].reverse();
  while (stack.length) {
    const t = stack.pop()!;
    switch (t.type) {
      case 'text':
      case 'text_special':
      case 'code_inline':
        out += t.content;
        break;
      case 'softbreak':
        out += ' ';
        break;
      case 'hardbreak':
        out += '\n';
        break;
      case 'image':
        for (let k = (t.children ?? []).length - 1; k >= 0; k--) stack.push(t.children![k]!);
        break;
      default: // html_inline, emphasis and link markers carry no text of their own
    }
  }
  return out;
}

/** A top-level GFM table as rows of `{header: cell}`, or undefined when its headers are all blank. */
function tableOf(tokens: readonly Token[], from: number, to: number): Record<string, string>[] | undefined {
  let part: 'head' | 'body' | undefined;
  let headers: string[] | undefined;
  const rows: string[][] = [];
  let row: string[] = [];
  for (let j = from + 1; j < to; j++) {
    const t = tokens[j]!;
    if (t.type === 'thead_open') part = 'head';
    else if (t.type === 'tbody_open') part = 'body';
    else if (t.type === 'tr_open') row = [];
    else if (t.type === 'th_open' || t.type === 'td_open') {
      const inline = tokens[j + 1];
      row.push(inline?.type === 'inline' ? inlineText(inline.children ?? []).trim() : '');
    } else if (t.type === 'tr_close') {
      if (part === 'head') headers ??= row;
      else if (part === 'body') rows.push(row);
    }
  }
  if (!headers || headers.every((h) => h === '')) return undefined;
  return rows.map((cells) => {
    const obj: Record<string, string> = {};
    headers.forEach((h, k) => setOwn(obj, h, cells[k] ?? ''));
    return obj;
  });
}
