/**
 * XML body → the tree Jackson's `XmlMapper.readTree` gives (FEATURES §13): the root element's name is
 * dropped and its attributes and children make the top-level object; repeated names become arrays (a
 * single child stays an object); attributes are plain keys; text next to attributes or child elements
 * goes under key `""`; an empty element is `""`; every leaf is a string; namespace prefixes are dropped.
 *
 * A small strict XML 1.0 reader of our own rather than a library: it is one iterative pass (no stack
 * growth with depth), reports line and column for every well-formedness error, and never processes a
 * DTD. A DOCTYPE is skipped; its entity declarations are not read, so a reference to anything but the
 * five predefined entities and character references is an error (no billion laughs, no external
 * entities, nothing is ever fetched).
 */
import { DecodeError, lineColumn, setOwn } from './errors.js';

/** Elements nested deeper than this are refused (Woodstox's default limit). */
export const MAX_XML_DEPTH = 1000;

export function decodeXml(body: Buffer): Record<string, unknown> {
  return parseXml(xmlText(body));
}

/** Text of an XML body: byte order mark, UTF-16 sniffing, then the declaration's `encoding`, else UTF-8. */
function xmlText(b: Buffer): string {
  let encoding = 'utf-8';
  let start = 0;
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) start = 3;
  else if (b[0] === 0xff && b[1] === 0xfe) (encoding = 'utf-16le'), (start = 2);
  else if (b[0] === 0xfe && b[1] === 0xff) (encoding = 'utf-16be'), (start = 2);
  else if (b[0] === 0x3c && b[1] === 0 && b[2] === 0x3f && b[3] === 0) encoding = 'utf-16le';
  else if (b[0] === 0 && b[1] === 0x3c && b[2] === 0 && b[3] === 0x3f) encoding = 'utf-16be';
  else {
    const m = /^<\?xml\s[^>]*?\bencoding\s*=\s*(["'])([A-Za-z][A-Za-z0-9._-]*)\1/.exec(b.subarray(0, 256).toString('latin1'));
    if (m) encoding = m[2]!.toLowerCase();
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  } catch {
    throw new DecodeError('xml', `unsupported encoding "${encoding}"`);
  }
  try {
    return decoder.decode(b.subarray(start));
  } catch {
    throw new DecodeError('xml', `the body is not valid ${encoding} text`);
  }
}

const NAME_START = ':A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F\\u2040`;
const NAME = new RegExp(`[${NAME_START}][${NAME_CHAR}]*`, 'uy');
const FULL_NAME = new RegExp(`^[${NAME_START}][${NAME_CHAR}]*$`, 'u');
/** A character outside XML 1.0's `Char` production. */
const BAD_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const CHAR_DATA = /[^<&]*/y;
const NOT_WS = /[^ \t\n\r]/;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };

/** [key, value, isText]: one attribute, child element or text segment, in document order. */
type Entry = [string, unknown, boolean];

interface Frame {
  readonly qname: string;
  readonly key: string;
  readonly at: number;
  readonly attrs: Entry[];
  readonly entries: Entry[];
  text: string;
  hasChild: boolean;
}

export function parseXml(input: string): Record<string, unknown> {
  return new XmlReader(input.replace(/\r\n?/g, '\n')).document();
}

class XmlReader {
  private pos = 0;
  private doctypeSubset = false;

  constructor(private readonly s: string) {}

  document(): Record<string, unknown> {
    const s = this.s;
    if (s.startsWith('<?xml') && /[ \t\n?]/.test(s[5] ?? '')) {
      const end = s.indexOf('?>');
      if (end === -1) this.fail('unterminated XML declaration');
      if (!/^<\?xml[ \t\n]+version[ \t\n]*=[ \t\n]*(["'])1\.[0-9]+\1/.test(s.slice(0, end))) this.fail('malformed XML declaration');
      this.pos = end + 2;
    }
    let seenDoctype = false;
    let root: Record<string, unknown> | undefined;
    while (!root) {
      this.skipWs();
      if (this.pos >= s.length) this.fail('the document has no root element');
      if (s.startsWith('<!--', this.pos)) this.skipComment();
      else if (s.startsWith('<?', this.pos)) this.skipPi();
      else if (s.startsWith('<!DOCTYPE', this.pos)) {
        if (seenDoctype) this.fail('a second DOCTYPE');
        seenDoctype = true;
        this.skipDoctype();
      } else if (s[this.pos] === '<') root = this.elementTree();
      else this.fail('text before the root element');
    }
    for (;;) {
      this.skipWs();
      if (this.pos >= s.length) return root;
      if (s.startsWith('<!--', this.pos)) this.skipComment();
      else if (s.startsWith('<?', this.pos)) this.skipPi();
      else this.fail('content after the root element');
    }
  }

  /** The root element and everything in it, with an explicit stack. */
  private elementTree(): Record<string, unknown> {
    const s = this.s;
    const first = this.startTag();
    if (first.selfClosing) return this.objectOf(first.frame);
    const stack: Frame[] = [first.frame];
    for (;;) {
      const top = stack[stack.length - 1]!;
      CHAR_DATA.lastIndex = this.pos;
      const chunk = CHAR_DATA.exec(s)![0];
      if (chunk) {
        this.checkChars(chunk, this.pos);
        const cdataEnd = chunk.indexOf(']]>');
        if (cdataEnd !== -1) this.fail("']]>' is not allowed in text", this.pos + cdataEnd);
        top.text += chunk;
        this.pos += chunk.length;
      }
      if (this.pos >= s.length) this.fail(`<${top.qname}> (${this.where(top.at)}) is never closed`);
      if (s[this.pos] === '&') {
        top.text += this.reference();
      } else if (s.startsWith('</', this.pos)) {
        const at = this.pos;
        this.pos += 2;
        const name = this.name('an element name');
        this.skipWs();
        this.expect('>');
        if (name !== top.qname) this.fail(`closing tag </${name}> does not match <${top.qname}> (${this.where(top.at)})`, at);
        stack.pop();
        const parent = stack[stack.length - 1];
        if (!parent) return this.objectOf(top);
        parent.entries.push([top.key, this.valueOf(top), false]);
      } else if (s.startsWith('<!--', this.pos)) {
        this.skipComment();
      } else if (s.startsWith('<![CDATA[', this.pos)) {
        const end = s.indexOf(']]>', this.pos + 9);
        if (end === -1) this.fail('unterminated CDATA section');
        const data = s.slice(this.pos + 9, end);
        this.checkChars(data, this.pos + 9);
        top.text += data;
        this.pos = end + 3;
      } else if (s.startsWith('<?', this.pos)) {
        this.skipPi();
      } else if (s.startsWith('<!', this.pos)) {
        this.fail('markup declarations are not allowed inside an element');
      } else {
        flushText(top);
        top.hasChild = true;
        const child = this.startTag();
        if (child.selfClosing) top.entries.push([child.frame.key, this.valueOf(child.frame), false]);
        else {
          if (stack.length >= MAX_XML_DEPTH) this.fail(`elements nest deeper than ${MAX_XML_DEPTH} levels`, child.frame.at);
          stack.push(child.frame);
        }
      }
    }
  }

  /** `<name attr="v" …>` or `…/>`, at `<`. */
  private startTag(): { frame: Frame; selfClosing: boolean } {
    const s = this.s;
    const at = this.pos++;
    const qname = this.name('an element name');
    const frame: Frame = { qname, key: localName(qname), at, attrs: [], entries: [], text: '', hasChild: false };
    const seen = new Set<string>();
    for (;;) {
      const spaced = this.skipWs();
      if (s.startsWith('/>', this.pos)) {
        this.pos += 2;
        return { frame, selfClosing: true };
      }
      if (s[this.pos] === '>') {
        this.pos++;
        return { frame, selfClosing: false };
      }
      if (this.pos >= s.length) this.fail(`unterminated start tag <${qname}>`, at);
      if (!spaced) this.fail(`expected whitespace, '>' or '/>' in <${qname}>`);
      const nameAt = this.pos;
      const attr = this.name('an attribute name');
      this.skipWs();
      this.expect('=');
      this.skipWs();
      const quote = s[this.pos];
      if (quote !== '"' && quote !== "'") this.fail(`the value of attribute "${attr}" must be quoted`);
      const end = s.indexOf(quote, this.pos + 1);
      if (end === -1) this.fail(`unterminated value of attribute "${attr}"`);
      const rawAt = this.pos + 1;
      const raw = s.slice(rawAt, end);
      const lt = raw.indexOf('<');
      if (lt !== -1) this.fail("'<' is not allowed in an attribute value", rawAt + lt);
      this.checkChars(raw, rawAt);
      if (seen.has(attr)) this.fail(`attribute "${attr}" appears twice in <${qname}>`, nameAt);
      seen.add(attr);
      // attribute-value normalisation: literal whitespace becomes a space (references are kept as written)
      const value = this.expand(raw.replace(/[\t\n]/g, ' '), rawAt);
      this.pos = end + 1;
      if (attr !== 'xmlns' && !attr.startsWith('xmlns:')) frame.attrs.push([localName(attr), value, false]);
    }
  }

  /** An element's value inside its parent: a string for a plain leaf, else an object. */
  private valueOf(f: Frame): unknown {
    flushText(f);
    if (f.attrs.length === 0 && !f.hasChild) return f.entries.length ? f.entries[0]![1] : '';
    return this.objectOf(f);
  }

  /** Attributes, then children and non-blank text segments (key `""`), repeated keys merged into arrays. */
  private objectOf(f: Frame): Record<string, unknown> {
    flushText(f);
    const out: Record<string, unknown> = {};
    const arrays = new Set<string>();
    for (const [key, value, isText] of [...f.attrs, ...f.entries]) {
      if (isText && !NOT_WS.test(value as string)) continue;
      if (!Object.prototype.hasOwnProperty.call(out, key)) setOwn(out, key, value);
      else if (arrays.has(key)) (out[key] as unknown[]).push(value);
      else {
        setOwn(out, key, [out[key], value]);
        arrays.add(key);
      }
    }
    return out;
  }

  /** A reference at `&`, expanded. */
  private reference(): string {
    const at = this.pos;
    const semi = this.s.indexOf(';', at);
    if (semi === -1 || semi - at > 40) this.fail("'&' must start an entity or character reference (write &amp;)");
    this.pos = semi + 1;
    return this.resolve(this.s.slice(at + 1, semi), at);
  }

  /** Expands the references in an attribute value. */
  private expand(raw: string, base: number): string {
    if (!raw.includes('&')) return raw;
    let out = '';
    let i = 0;
    for (let amp = raw.indexOf('&'); amp !== -1; amp = raw.indexOf('&', i)) {
      const semi = raw.indexOf(';', amp);
      if (semi === -1 || semi - amp > 40) this.fail("'&' must start an entity or character reference (write &amp;)", base + amp);
      out += raw.slice(i, amp) + this.resolve(raw.slice(amp + 1, semi), base + amp);
      i = semi + 1;
    }
    return out + raw.slice(i);
  }

  private resolve(ref: string, at: number): string {
    if (ref.startsWith('#')) {
      const hex = ref[1] === 'x';
      const digits = ref.slice(hex ? 2 : 1);
      if (!(hex ? /^[0-9a-fA-F]{1,8}$/ : /^[0-9]{1,10}$/).test(digits)) this.fail(`malformed character reference &${ref};`, at);
      const code = parseInt(digits, hex ? 16 : 10);
      if (!isXmlChar(code)) this.fail(`&${ref}; is not an allowed XML character`, at);
      return String.fromCodePoint(code);
    }
    const predefined = PREDEFINED[ref];
    if (predefined !== undefined && Object.prototype.hasOwnProperty.call(PREDEFINED, ref)) return predefined;
    if (!FULL_NAME.test(ref)) this.fail(`malformed entity reference &${ref};`, at);
    this.fail(
      `entity &${ref}; is not declared: only the five predefined XML entities are recognised` +
        (this.doctypeSubset ? ' (DTD entity declarations are not processed)' : ''),
      at,
    );
  }

  private skipComment(): void {
    const end = this.s.indexOf('-->', this.pos + 4);
    if (end === -1) this.fail('unterminated comment');
    const body = this.s.slice(this.pos + 4, end);
    const dashes = body.indexOf('--');
    if (dashes !== -1 || body.endsWith('-')) this.fail("'--' is not allowed inside a comment", this.pos + 4 + (dashes === -1 ? body.length - 1 : dashes));
    this.pos = end + 3;
  }

  private skipPi(): void {
    const at = this.pos;
    this.pos += 2;
    const target = this.name('a processing instruction target');
    if (target.toLowerCase() === 'xml') this.fail('the XML declaration is only allowed at the very start of the document', at);
    const end = this.s.indexOf('?>', this.pos);
    if (end === -1) this.fail('unterminated processing instruction', at);
    this.pos = end + 2;
  }

  /** Skips `<!DOCTYPE …>` including an internal subset, which is never interpreted. */
  private skipDoctype(): void {
    const s = this.s;
    const at = this.pos;
    this.pos += 9;
    if (!this.skipWs()) this.fail('expected whitespace after <!DOCTYPE');
    this.name('the document type name');
    let subset = false;
    while (this.pos < s.length) {
      const c = s[this.pos]!;
      if (c === '"' || c === "'") {
        const end = s.indexOf(c, this.pos + 1);
        if (end === -1) break;
        this.pos = end + 1;
      } else if (subset && s.startsWith('<!--', this.pos)) {
        const end = s.indexOf('-->', this.pos + 4);
        if (end === -1) break;
        this.pos = end + 3;
      } else if (c === '[' && !subset) {
        subset = this.doctypeSubset = true;
        this.pos++;
      } else if (c === ']' && subset) {
        subset = false;
        this.pos++;
      } else if (c === '>' && !subset) {
        this.pos++;
        return;
      } else this.pos++;
    }
    this.fail('unterminated DOCTYPE', at);
  }

  private name(what: string): string {
    NAME.lastIndex = this.pos;
    const m = NAME.exec(this.s);
    if (!m) this.fail(this.pos >= this.s.length ? `unexpected end of document, expected ${what}` : `expected ${what}`);
    this.pos += m[0].length;
    return m[0];
  }

  private expect(c: string): void {
    if (this.s[this.pos] !== c) this.fail(this.pos >= this.s.length ? `unexpected end of document, expected '${c}'` : `expected '${c}'`);
    this.pos++;
  }

  /** Skips XML whitespace; true when there was some. */
  private skipWs(): boolean {
    const start = this.pos;
    for (let c = this.s.charCodeAt(this.pos); c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d; c = this.s.charCodeAt(++this.pos));
    return this.pos > start;
  }

  private checkChars(text: string, base: number): void {
    const m = BAD_CHAR.exec(text);
    if (m) this.fail(`character U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML`, base + m.index);
  }

  private where(at: number): string {
    const { line, column } = lineColumn(this.s, at);
    return `opened at line ${line}, column ${column}`;
  }

  private fail(message: string, at = this.pos): never {
    throw new DecodeError('xml', message, { ...lineColumn(this.s, at), offset: at });
  }
}

function flushText(f: Frame): void {
  if (f.text !== '') {
    f.entries.push(['', f.text, true]);
    f.text = '';
  }
}

/** `prefix:local` → `local` (Jackson reads names namespace-aware and keeps local names). */
function localName(qname: string): string {
  const i = qname.indexOf(':');
  return i > 0 && i < qname.length - 1 ? qname.slice(i + 1) : qname;
}

function isXmlChar(c: number): boolean {
  return c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}
