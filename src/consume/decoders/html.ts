/**
 * HTML body → `{"tables": [table…]}` (FEATURES §13), each table an array of `{header: cell}` rows, all
 * strings. The tables are every `<table>`, or those the `outputSchema` CSS selector matches (the element
 * itself when it is a table, else the tables inside it). Headers come from `thead tr:first-child th`, else
 * `tr:first-child th`; a table whose headers are all blank is skipped. Rows are `tbody tr` (else every
 * `tr`) that hold no `th` and at least one `td`; missing cells are `""`, extra cells are dropped, a
 * repeated header keeps the last cell. Cell text is whitespace-collapsed and trimmed, as jsoup's `text()`.
 *
 * cheerio (parse5, an HTML5 tree builder like jsoup's) is loaded on the first HTML decoder. HTML parsing
 * never fails: any byte sequence gives a document.
 */
import { createRequire } from 'node:module';
import type * as Cheerio from 'cheerio';
import { setOwn, utf8Text } from './errors.js';

let lib: typeof Cheerio | undefined;
const cheerio = (): typeof Cheerio => (lib ??= createRequire(import.meta.url)('cheerio') as typeof Cheerio);

/** The part of a domhandler node that is read here. */
interface DomNode {
  readonly type: string;
  readonly name?: string;
  readonly data?: string;
  readonly children?: readonly DomNode[];
  readonly parent?: DomNode | null;
  readonly next?: DomNode | null;
}

export function prepareHtml(selector: string | undefined): (body: Buffer) => { tables: Record<string, string>[][] } {
  const { load } = cheerio();
  const scope = selector?.trim() ? selector : undefined;
  if (scope !== undefined) {
    try {
      load('<table></table>')(scope);
    } catch (e) {
      throw new Error(`outputSchema "${scope}" is not a CSS selector naftiko-run can use for html: ${(e as Error).message}`);
    }
  }
  return (body) => {
    const $ = load(utf8Text(body));
    const tables: AnyNode[] = [];
    if (scope === undefined) tables.push(...$('table').toArray());
    else
      for (const el of $(scope).toArray() as AnyNode[]) {
        if ((el as unknown as DomNode).name?.toLowerCase() === 'table') tables.push(el);
        else tables.push(...$(el).find('table').toArray());
      }
    const out: Record<string, string>[][] = [];
    for (const table of tables) {
      let headerCells = $(table).find('thead tr:first-child th').toArray();
      if (headerCells.length === 0) headerCells = $(table).find('tr:first-child th').toArray();
      const headers = headerCells.map((th) => textOf(th as unknown as DomNode));
      if (headers.every((h) => h === '')) continue;
      let rowEls = $(table).find('tbody tr').toArray();
      if (rowEls.length === 0) rowEls = $(table).find('tr').toArray();
      const rows: Record<string, string>[] = [];
      for (const tr of rowEls) {
        if ($(tr).find('th').length > 0) continue;
        const cells = $(tr).find('td').toArray();
        if (cells.length === 0) continue;
        const row: Record<string, string> = {};
        headers.forEach((h, i) => setOwn(row, h, i < cells.length ? textOf(cells[i] as unknown as DomNode) : ''));
        rows.push(row);
      }
      out.push(rows);
    }
    return { tables: out };
  };
}

type AnyNode = Extract<Parameters<typeof Cheerio.load>[0], { type: unknown }>;

/** jsoup's block-level tags: a space separates their text from their neighbours'. */
const BLOCK = new Set(
  ('html head body frameset script noscript style meta link title frame noframes section nav aside hgroup header footer p ' +
    'h1 h2 h3 h4 h5 h6 ul ol pre div blockquote hr address figure figcaption form fieldset ins del dl dt dd li table caption ' +
    'thead tfoot tbody colgroup col tr th td video audio canvas details menu plaintext template article main svg math center ' +
    'dir applet marquee listing').split(' '),
);
const PRESERVE_WS = new Set(['pre', 'plaintext', 'title', 'textarea']);

const isElement = (n: DomNode | null | undefined): boolean => !!n && (n.type === 'tag' || n.type === 'script' || n.type === 'style');
const isBlock = (n: DomNode | null | undefined): boolean => isElement(n) && BLOCK.has(n!.name!.toLowerCase());
const endsWithSpace = (s: string): boolean => s.endsWith(' ');

/** Whitespace-normalised, trimmed text of an element (iterative: deep documents do not grow the stack). */
export function textOf(root: DomNode): string {
  let out = '';
  const stack: { node: DomNode; exit: boolean }[] = [{ node: root, exit: false }];
  while (stack.length) {
    const { node, exit } = stack.pop()!;
    if (exit) {
      const next = node.next;
      if (isBlock(node) && (next?.type === 'text' || (isElement(next) && !isBlock(next))) && !endsWithSpace(out)) out += ' ';
      continue;
    }
    if (node.type === 'text') {
      out = appendText(out, node.data ?? '', preservesWhitespace(node.parent));
      continue;
    }
    if (!isElement(node) || node.type === 'script' || node.type === 'style') continue;
    if (out.length > 0 && (isBlock(node) || node.name?.toLowerCase() === 'br') && !endsWithSpace(out)) out += ' ';
    stack.push({ node, exit: true });
    const children = node.children ?? [];
    for (let i = children.length - 1; i >= 0; i--) stack.push({ node: children[i]!, exit: false });
  }
  return out.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, '');
}

function appendText(out: string, text: string, preserve: boolean): string {
  if (preserve) return out + text;
  let chunk = text.replace(/[\u200b\u00ad]/g, '').replace(/[ \t\n\f\r\u00a0]+/g, ' ');
  if (chunk.startsWith(' ') && (out === '' || endsWithSpace(out))) chunk = chunk.slice(1);
  return out + chunk;
}

function preservesWhitespace(el: DomNode | null | undefined): boolean {
  for (let i = 0; el && i < 6; i++, el = el.parent) if (isElement(el) && PRESERVE_WS.has(el.name!.toLowerCase())) return true;
  return false;
}
