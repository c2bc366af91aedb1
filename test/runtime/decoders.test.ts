/** Upstream body decoding by outputRawFormat (FEATURES §13): the exact JSON trees mappings see. */
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DecodeError, decodeBody, prepareDecoder, type Decoder } from '../../src/consume/decode.js';
import type { OutputFormat } from '../../src/spec/model.js';

const FIXTURES = join(import.meta.dirname, '../../../shared/naftiko/fixtures/schemas');
const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));
const cjs = createRequire(import.meta.url);

const work = mkdtempSync(join(tmpdir(), 'nr-decoders-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const writeSchema = (name: string, text: string): string => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};

/** The DecodeError a decoder throws (fails the test when it does not throw one). */
function decodeError(run: () => unknown): DecodeError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return e as DecodeError;
  }
  throw new Error('expected a DecodeError, the body decoded');
}

const xml = (text: string): unknown => prepareDecoder('xml')(Buffer.from(text, 'utf8'));
const html = (text: string, selector?: string): unknown => prepareDecoder('html', selector === undefined ? {} : { outputSchema: selector })(Buffer.from(text));
const md = (text: string, prefix?: string): unknown => prepareDecoder('markdown', prefix === undefined ? {} : { outputSchema: prefix })(Buffer.from(text));

describe('loading', () => {
  it('loads the html and markdown parsers only when a decoder for them is prepared', () => {
    const loaded = (pkg: string): boolean => Object.keys(cjs.cache).some((k) => k.includes(`/node_modules/${pkg}/`));
    prepareDecoder('json');
    prepareDecoder('xml');
    expect(loaded('cheerio')).toBe(false);
    expect(loaded('markdown-it')).toBe(false);
    prepareDecoder('markdown');
    expect(loaded('markdown-it')).toBe(true);
    prepareDecoder('html');
    expect(loaded('cheerio')).toBe(true);
  });

  it('refuses formats it does not know, and avro/protobuf without a schema', () => {
    expect(() => prepareDecoder('binary' as OutputFormat)).toThrow(/not decoded/);
    expect(() => prepareDecoder('avro')).toThrow(/needs outputSchema/);
    expect(() => prepareDecoder('protobuf', { outputSchema: ' ' })).toThrow(/needs outputSchema/);
    expect(() => decodeBody('avro', 'x')).toThrow(/prepareDecoder/);
  });

  it('matches the format name case-insensitively, as Java does', () => {
    expect(prepareDecoder('XML' as OutputFormat)(Buffer.from('<r><a>1</a></r>'))).toEqual({ a: '1' });
  });
});

describe('json, yaml and delimited text (unchanged behaviour)', () => {
  it('json: empty body → null, else the parsed value; a BOM is skipped', () => {
    expect(prepareDecoder('json')(Buffer.from(' \n'))).toBeNull();
    expect(decodeBody('json', '')).toBeNull();
    expect(prepareDecoder('json')(Buffer.from('\ufeff{"a":[1,true,null]}'))).toEqual({ a: [1, true, null] });
  });

  it('json: a malformed body → DecodeError with the position, without quoting the body', () => {
    const e = decodeError(() => decodeBody('json', '{"a": 1\n "secret": 2}'));
    expect(e.format).toBe('json');
    expect(e.position).toEqual({ line: 2, column: 2, offset: 9 });
    expect(e.message).toMatch(/^invalid json body at line 2, column 2: Expected ',' or '}' after property value$/);
    expect(decodeError(() => decodeBody('json', '[1,\n2')).position).toEqual({ line: 2, column: 2, offset: 5 });
    const t = decodeError(() => prepareDecoder('json')(Buffer.from('{"a":}')));
    expect(t.message).toMatch(/^invalid json body: Unexpected token/);
    expect(t.message).not.toContain('{"a":}');
  });

  it('yaml: parsed; malformed → DecodeError with line and column', () => {
    expect(prepareDecoder('yaml')(fixture('sample-users.yaml'))).toEqual({
      users: [
        { id: '1', name: 'Alice Smith', email: 'alice@example.com' },
        { id: '2', name: 'Bob Johnson', email: 'bob@example.com' },
        { id: '3', name: 'Carol White', email: 'carol@example.com' },
      ],
    });
    const e = decodeError(() => decodeBody('yaml', 'a: 1\na: 2\n'));
    expect(e.format).toBe('yaml');
    expect(e.position).toMatchObject({ line: 2, column: 1 });
    expect(e.message).toMatch(/^invalid yaml body at line 2, column 1: Map keys must be unique/);
  });

  it.each([
    ['csv', 'sample-users.csv'],
    ['tsv', 'sample-users.tsv'],
    ['psv', 'sample-users.psv'],
  ] as const)('%s: rows keyed by the header row', (format, file) => {
    const users = [
      { id: '1', name: 'Alice Smith', email: 'alice@example.com' },
      { id: '2', name: 'Bob Johnson', email: 'bob@example.com' },
      { id: '3', name: 'Carol White', email: 'carol@example.com' },
    ];
    expect(prepareDecoder(format)(fixture(file))).toEqual(users);
    expect(decodeBody(format, fixture(file).toString('utf8'))).toEqual(users);
  });
});

describe('xml (the Jackson XmlMapper tree)', () => {
  it('sample-users.xml: root dropped, repeated <user> → array, all strings', () => {
    expect(prepareDecoder('xml')(fixture('sample-users.xml'))).toEqual({
      user: [
        { id: '1', name: 'Alice Smith', email: 'alice@example.com' },
        { id: '2', name: 'Bob Johnson', email: 'bob@example.com' },
        { id: '3', name: 'Carol White', email: 'carol@example.com' },
      ],
    });
    expect(decodeBody('xml', fixture('sample-users.xml').toString('utf8'))).toEqual(prepareDecoder('xml')(fixture('sample-users.xml')));
  });

  const vessel = (code: string, name: string, status: string): string =>
    `<vessel><vesselCode>${code}</vesselCode><name>${name}</name><type>cargo</type><flag>GB</flag><status>${status}</status></vessel>`;

  it('the tutorial legacy mock: one <vessel> stays an object, several make an array', () => {
    expect(xml(`<?xml version="1.0"?>\n<vessels>\n  ${vessel('LEGACY-4012', 'Old Faithful', 'active')}\n</vessels>`)).toEqual({
      vessel: { vesselCode: 'LEGACY-4012', name: 'Old Faithful', type: 'cargo', flag: 'GB', status: 'active' },
    });
    expect(xml(`<vessels>${vessel('LEGACY-4012', 'Old Faithful', 'active')}${vessel('LEGACY-0007', 'Rusty', 'retired')}</vessels>`)).toEqual({
      vessel: [
        { vesselCode: 'LEGACY-4012', name: 'Old Faithful', type: 'cargo', flag: 'GB', status: 'active' },
        { vesselCode: 'LEGACY-0007', name: 'Rusty', type: 'cargo', flag: 'GB', status: 'retired' },
      ],
    });
  });

  it('attributes are plain keys; text beside attributes goes under ""; numbers stay strings', () => {
    expect(xml('<order id="17" paid="true"><price currency="USD">9.99</price><qty>2</qty><tag name="a"/></order>')).toEqual({
      id: '17',
      paid: 'true',
      price: { currency: 'USD', '': '9.99' },
      qty: '2',
      tag: { name: 'a' },
    });
  });

  it('a root with only text gives {"": text}; an empty root gives {}', () => {
    expect(xml('<count>42</count>')).toEqual({ '': '42' });
    expect(xml('<empty/>')).toEqual({});
    expect(xml('<empty>\n  </empty>')).toEqual({});
  });

  it('empty elements give ""; leaf text is kept as written', () => {
    expect(xml('<r><a/><b></b><c> Alice  Smith </c></r>')).toEqual({ a: '', b: '', c: ' Alice  Smith ' });
  });

  it('namespace prefixes are dropped and xmlns declarations are not keys', () => {
    const doc = `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:default">
      <soap:Body><m:item xmlns:m="urn:m" m:id="7" lang="en">Widget</m:item><item>Gadget</item></soap:Body>
    </soap:Envelope>`;
    expect(xml(doc)).toEqual({ Body: { item: [{ id: '7', lang: 'en', '': 'Widget' }, 'Gadget'] } });
  });

  it('repeated names merge into one array even when not adjacent; mixed content text goes under ""', () => {
    expect(xml('<r><a>1</a><b>x</b><a>2</a><a>3</a></r>')).toEqual({ a: ['1', '2', '3'], b: 'x' });
    expect(xml('<p>Hello <b>World</b>!</p>')).toEqual({ '': ['Hello ', '!'], b: 'World' });
    expect(xml('<r id="1"><id>2</id></r>')).toEqual({ id: ['1', '2'] });
  });

  it('references, CDATA, comments and processing instructions', () => {
    expect(xml('<r><a>&lt;&gt;&amp;&apos;&quot; &#65;&#x1F600;</a><b><![CDATA[<not> &markup;]]></b><c>x<!-- note -->y<?pi data?></c><d v="a&amp;b&#10;c\td"/></r>')).toEqual({
      a: `<>&'" A😀`,
      b: '<not> &markup;',
      c: 'xy',
      d: { v: 'a&b\nc d' },
    });
  });

  it('reads the encoding from the byte order mark or the declaration', () => {
    const latin1 = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><r><n>'), Buffer.from([0xe9, 0x74, 0xe9]), Buffer.from('</n></r>')]);
    expect(prepareDecoder('xml')(latin1)).toEqual({ n: 'été' });
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<r><n>ü</n></r>', 'utf16le')]);
    expect(prepareDecoder('xml')(utf16)).toEqual({ n: 'ü' });
    expect(prepareDecoder('xml')(Buffer.from('\ufeff<r><n>1</n></r>'))).toEqual({ n: '1' });
    expect(decodeError(() => prepareDecoder('xml')(Buffer.from([0x3c, 0x72, 0x3e, 0xff, 0x3c, 0x2f, 0x72, 0x3e]))).message).toMatch(/not valid utf-8/);
  });

  it('an element named __proto__ is an own key and pollutes nothing', () => {
    const tree = xml('<r><__proto__><polluted>yes</polluted></__proto__><constructor>c</constructor></r>') as Record<string, unknown>;
    expect(Object.keys(tree)).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(tree, '__proto__')?.value).toEqual({ polluted: 'yes' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('billion laughs: DTD entities are never expanded', () => {
    const lol = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol9;</lolz>`;
    const started = Date.now();
    const e = decodeError(() => xml(lol));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(e.format).toBe('xml');
    expect(e.position).toMatchObject({ line: 8, column: 7 });
    expect(e.message).toMatch(/entity &lol9; is not declared.*DTD entity declarations are not processed/);
  });

  it('external entities (XXE) are never resolved', () => {
    const e = decodeError(() => xml('<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>'));
    expect(e.message).toMatch(/&xxe; is not declared/);
    const p = decodeError(() => xml('<!DOCTYPE foo [<!ENTITY % ext SYSTEM "http://127.0.0.1:9/x.dtd"> %ext;]><foo>&x;</foo>'));
    expect(p.message).toMatch(/&x; is not declared/);
  });

  it('a DOCTYPE without entity use is skipped', () => {
    expect(xml('<!DOCTYPE note SYSTEM "http://127.0.0.1:9/note.dtd">\n<note><to>Tove</to></note>')).toEqual({ to: 'Tove' });
    expect(xml('<!DOCTYPE note [<!ELEMENT note (#PCDATA)> <!-- ] > -->]><note>x</note>')).toEqual({ '': 'x' });
  });

  it('deep nesting: 10,000 levels → DecodeError at the 1,001st element, not a stack overflow', () => {
    const e = decodeError(() => xml('<a>'.repeat(10_000) + '</a>'.repeat(10_000)));
    expect(e.message).toMatch(/nest deeper than 1000 levels/);
    expect(e.position).toMatchObject({ line: 1, column: 3001 });
    const ok = xml('<a>'.repeat(1000) + 'x' + '</a>'.repeat(1000));
    let depth = 0;
    for (let v: unknown = ok; typeof v === 'object' && v !== null; v = (v as Record<string, unknown>).a) depth++;
    expect(depth).toBe(999); // the root object, then elements 2…999 (the 1,000th is the leaf "x")
  });

  it.each([
    ['mismatched closing tag', '<r>\n  <a>1</b>\n</r>', 2, 7, /closing tag <\/b> does not match <a> \(opened at line 2, column 3\)/],
    ['unclosed element', '<r>\n<a>1</a>\n', 3, 1, /<r> \(opened at line 1, column 1\) is never closed/],
    ['two root elements', '<a/>\n<b/>', 2, 1, /content after the root element/],
    ['text before the root', 'hello <r/>', 1, 1, /text before the root element/],
    ['empty body', '', 1, 1, /no root element/],
    ['bare ampersand', '<r>fish & chips</r>', 1, 9, /'&' must start an entity/],
    ['unquoted attribute', '<r a=1/>', 1, 6, /must be quoted/],
    ['duplicate attribute', '<r a="1" a="2"/>', 1, 10, /attribute "a" appears twice/],
    ['< in an attribute value', '<r a="<"/>', 1, 7, /'<' is not allowed in an attribute value/],
    ['control character', '<r>\u0001</r>', 1, 4, /U\+0001 is not allowed/],
    ['unterminated comment', '<r><!-- x</r>', 1, 4, /unterminated comment/],
    ['bad character reference', '<r>&#0;</r>', 1, 4, /not an allowed XML character/],
    ['late XML declaration', '<r/><?xml version="1.0"?>', 1, 5, /only allowed at the very start/],
    ['missing name', '<r>< a/></r>', 1, 5, /expected an element name/],
  ])('%s → DecodeError with line and column', (_name, body, line, column, reason) => {
    const e = decodeError(() => xml(body));
    expect(e.format).toBe('xml');
    expect(e.position).toMatchObject({ line, column });
    expect(e.message).toMatch(new RegExp(`^invalid xml body at line ${line}, column ${column}: `));
    expect(e.reason).toMatch(reason);
  });
});

describe('html (tables)', () => {
  const products = [
    { Name: 'Widget', Price: '$42', Stock: '150' },
    { Name: 'Gadget', Price: '$99', Stock: '30' },
  ];

  it('sample-products.html with and without the fixture selector "table.products"', () => {
    expect(prepareDecoder('html')(fixture('sample-products.html'))).toEqual({ tables: [products] });
    expect(prepareDecoder('html', { outputSchema: 'table.products' })(fixture('sample-products.html'))).toEqual({ tables: [products] });
    expect(prepareDecoder('html', { outputSchema: 'section.inventory' })(fixture('sample-products.html'))).toEqual({ tables: [products] });
    expect(prepareDecoder('html', { outputSchema: 'table.orders' })(fixture('sample-products.html'))).toEqual({ tables: [] });
    expect(decodeBody('html', fixture('sample-products.html').toString())).toEqual({ tables: [products] });
  });

  const page = `<!doctype html><body>
    <table id="t1"><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>
    <div class="wrap"><table id="t2"><tr><th> </th><th></th></tr><tr><td>x</td><td>y</td></tr></table>
    <table id="t3"><tr><td>no</td><td>headers</td></tr></table>
    <table id="t4"><thead><tr><th>K</th></tr></thead><tbody><tr><td>k1</td></tr></tbody></table></div>
  </body>`;

  it('every table with non-blank headers, in document order; the selector scopes them', () => {
    expect(html(page)).toEqual({ tables: [[{ A: '1', B: '2' }], [{ K: 'k1' }]] });
    expect(html(page, 'div.wrap')).toEqual({ tables: [[{ K: 'k1' }]] });
    expect(html(page, '#t1, #t4')).toEqual({ tables: [[{ A: '1', B: '2' }], [{ K: 'k1' }]] });
  });

  it('rows: header rows and cell-less rows skipped, missing cells "", extra cells dropped, last duplicate header wins', () => {
    const t = `<table>
      <tr><th>Name</th><th>Qty</th><th>Qty</th></tr>
      <tr><td>a</td><td>1</td><td>2</td><td>extra</td></tr>
      <tr><td>b</td></tr>
      <tr><th>sub-header</th><td>ignored</td></tr>
      <tr></tr>
    </table>`;
    expect(html(t)).toEqual({ tables: [[{ Name: 'a', Qty: '2' }, { Name: 'b', Qty: '' }]] });
  });

  it('cell text is whitespace-collapsed like jsoup text(): blocks and <br> separate words, markup is dropped', () => {
    const t = `<table><tr><th>\n  Full&nbsp;name </th><th>Notes</th></tr>
      <tr><td>  Ada\n\t Lovelace </td><td><p>first</p><p>second</p>line<br>break <b>bold</b><script>var x = 1;</script><!-- c --></td></tr></table>`;
    expect(html(t)).toEqual({ tables: [[{ 'Full name': 'Ada Lovelace', Notes: 'first second line break bold' }]] });
  });

  it('malformed HTML still decodes (an HTML5 parser repairs it)', () => {
    expect(html('<table><tr><th>A<th>B<tr><td>1<td>2</table')).toEqual({ tables: [[{ A: '1', B: '2' }]] });
    expect(html('\u0000<<>>&&;;')).toEqual({ tables: [] });
  });

  it('an invalid selector fails at start-up with a clear message', () => {
    expect(() => prepareDecoder('html', { outputSchema: 'table[' })).toThrow(/outputSchema "table\[" is not a CSS selector/);
  });

  it('10,000 nested elements decode without exhausting the stack', () => {
    const deep = '<div>'.repeat(10_000) + '<table><tr><th>A</th></tr><tr><td>1</td></tr></table>' + '</div>'.repeat(10_000);
    expect(html(deep)).toEqual({ tables: [[{ A: '1' }]] });
  });
});

describe('markdown (frontMatter, tables, sections)', () => {
  const readme = {
    frontMatter: { title: 'Product Release Notes', version: '2.1.0' },
    tables: [
      [
        { Feature: 'HTML support', Status: 'GA' },
        { Feature: 'Markdown support', Status: 'Beta' },
      ],
    ],
    sections: [{ heading: 'Overview', level: 2, content: 'This release introduces table extraction for markdown.' }],
  };

  it('sample-readme.md', () => {
    expect(prepareDecoder('markdown')(fixture('sample-readme.md'))).toEqual(readme);
    expect(decodeBody('markdown', fixture('sample-readme.md').toString())).toEqual(readme);
  });

  it('front matter: only a leading ---\\n … \\n---\\n block, CRLF accepted, a YAML map or {}', () => {
    expect(md('---\r\ncount: 3\r\nok: true\r\nlist: [a, b]\r\ndate: 2026-02-21\r\n---\r\n# T\r\n')).toMatchObject({
      frontMatter: { count: 3, ok: true, list: ['a', 'b'], date: '2026-02-21' },
      sections: [{ heading: 'T', level: 1, content: '' }],
    });
    expect(md('# No front matter\n')).toMatchObject({ frontMatter: {} });
    expect(md('---\n- a\n- b\n---\ntext')).toMatchObject({ frontMatter: {} });
    expect(md('---\n\n---\ntext')).toMatchObject({ frontMatter: {} });
    // never closed: the text is plain markdown (a thematic break, then a setext heading)
    expect(md('---\ntitle: x\n---')).toEqual({ frontMatter: {}, tables: [], sections: [{ heading: 'title: x', level: 2, content: '' }] });
  });

  it('front matter that is not YAML → DecodeError at its line in the body', () => {
    const e = decodeError(() => md('---\ntitle: ok\nbad: [1,\nnext: 2\n---\n# x\n'));
    expect(e.format).toBe('markdown');
    expect(e.message).toMatch(/^invalid markdown body at line \d+, column \d+: the front matter is not valid YAML: /);
    expect(e.position!.line).toBeGreaterThanOrEqual(4);
  });

  const doc = `Intro before any heading is dropped.

# Results
First *para* with \`code\`
on two lines.  
Hard break.

![Chart **alt**](chart.png) <span>html</span> [link](http://x)

| Metric | Value |
|:-------|------:|
| speed  | 42 \\| 43 |
| size   |

\`\`\`
fenced code is not text
\`\`\`

<div>html block</div>

- item one
- item **two**

> | In | Quote |
> |----|-------|
> | q  | 1     |

## Results by region
Europe

### Notes
| | |
|-|-|
| a | b |

Setext heading
==============
tail`;

  it('sections: top-level headings, content of the following non-table blocks, inline text only', () => {
    expect(md(doc)).toEqual({
      frontMatter: {},
      tables: [[{ Metric: 'speed', Value: '42 | 43' }, { Metric: 'size', Value: '' }]],
      sections: [
        {
          heading: 'Results',
          level: 1,
          // each block's text trimmed and joined with \n; a list's or quote's inline texts run together (as
          // commonmark-java's text visitor); the fence, the HTML block and the top-level table give nothing
          content: 'First para with code on two lines.\nHard break.\nChart alt html link\nitem oneitem two\nInQuoteq1',
        },
        { heading: 'Results by region', level: 2, content: 'Europe' },
        { heading: 'Notes', level: 3, content: '' },
        { heading: 'Setext heading', level: 1, content: 'tail' },
      ],
    });
  });

  it('outputSchema "## Results" (the schema example) keeps the sections whose heading starts with "Results"', () => {
    const tree = md(doc, '## Results') as { sections: { heading: string }[]; tables: unknown[] };
    expect(tree.sections.map((s) => s.heading)).toEqual(['Results', 'Results by region']);
    expect(tree.tables).toHaveLength(1);
    expect((md(doc, 'Notes') as { sections: { heading: string }[] }).sections.map((s) => s.heading)).toEqual(['Notes']);
    expect((md(doc, '  ') as { sections: unknown[] }).sections).toHaveLength(4);
  });

  it('hostile nesting decodes quickly without exhausting the stack', () => {
    const started = Date.now();
    expect(md('>'.repeat(10_000) + ' deep\n\n# After\nok')).toMatchObject({ sections: [{ heading: 'After', level: 1, content: 'ok' }] });
    expect(md('# H\n' + '['.repeat(20_000) + 'x' + ']'.repeat(20_000))).toMatchObject({ sections: [{ heading: 'H' }] });
    expect(md(Array.from({ length: 2000 }, (_, i) => `${'  '.repeat(i)}- x`).join('\n'))).toMatchObject({ sections: [] });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('avro', () => {
  // avsc is CommonJS; the test builds its bodies with it
  const avro = cjs('avsc') as typeof import('avsc');
  const recordsSchema = join(FIXTURES, 'test-records.avsc');
  const recordsType = avro.Type.forSchema(JSON.parse(readFileSync(recordsSchema, 'utf8')));
  const records = {
    records: [
      { id: 'r1', title: 'First', description: 'the first record' },
      { id: 'r2', title: 'Second', description: null },
    ],
  };

  it('test-records.avsc: one binary datum → the record tree (union unwrapped)', () => {
    const decode = prepareDecoder('avro', { outputSchema: recordsSchema });
    expect(decode(recordsType.toBuffer(records))).toEqual(records);
  });

  async function containerFile(type: import('avsc').Type, values: unknown[], codec: string): Promise<Buffer> {
    const encoder = new avro.streams.BlockEncoder(type, { codec, blockSize: 64 });
    const chunks: Buffer[] = [];
    encoder.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise((resolve) => encoder.on('end', resolve));
    for (const v of values) encoder.write(v);
    encoder.end();
    await done;
    return Buffer.concat(chunks);
  }

  it.each(['null', 'deflate'])('an Object Container File (codec %s) → an array of its records [extension]', async (codec) => {
    const recordType = avro.Type.forSchema({
      type: 'record',
      name: 'Record',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'title', type: 'string' },
        { name: 'description', type: ['null', 'string'], default: null },
      ],
    });
    const values = Array.from({ length: 40 }, (_, i) => ({ id: `r${i}`, title: `Title ${i}`, description: i % 2 ? null : `d${i}` }));
    const body = await containerFile(recordType, values, codec);
    expect(body.subarray(0, 4).toString('latin1')).toBe('Obj\x01');
    const decode = prepareDecoder('avro', { outputSchema: recordsSchema });
    expect(decode(body)).toEqual(values);
    // a corrupted sync marker is reported at its byte offset
    const bad = Buffer.from(body);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
    const e = decodeError(() => decode(bad));
    expect(e.message).toMatch(/sync marker/);
    expect(e.position?.offset).toBe(bad.length - 16);
  });

  const allTypes = writeSchema(
    'all.avsc',
    JSON.stringify({
      type: 'record',
      name: 'All',
      namespace: 'test',
      fields: [
        { name: 'b', type: 'boolean' },
        { name: 'i', type: 'int' },
        { name: 'l', type: 'long' },
        { name: 'f', type: 'float' },
        { name: 'd', type: 'double' },
        { name: 'bytes', type: 'bytes' },
        { name: 'fx', type: { type: 'fixed', name: 'Four', size: 4 } },
        { name: 'e', type: { type: 'enum', name: 'Colour', symbols: ['RED', 'GREEN'] } },
        { name: 'm', type: { type: 'map', values: 'int' } },
        { name: 'u', type: ['null', 'int', { type: 'record', name: 'Inner', fields: [{ name: 'x', type: 'string' }] }] },
        { name: 'arr', type: { type: 'array', items: 'Inner' } },
      ],
    }),
  );

  it('every type: bytes/fixed base64, enum symbol, union branch value, map, nested records', () => {
    const type = avro.Type.forSchema(JSON.parse(readFileSync(allTypes, 'utf8')), { wrapUnions: true });
    const body = type.toBuffer({
      b: true,
      i: -7,
      l: 4503599627370496,
      f: 1.5,
      d: -0.25,
      bytes: Buffer.from('hi'),
      fx: Buffer.from([1, 2, 3, 4]),
      e: 'GREEN',
      m: { a: 1, b: 2 },
      u: { 'test.Inner': { x: 'in union' } },
      arr: [{ x: 'one' }, { x: 'two' }],
    });
    expect(prepareDecoder('avro', { outputSchema: allTypes })(body)).toEqual({
      b: true,
      i: -7,
      l: 4503599627370496,
      f: 1.5,
      d: -0.25,
      bytes: 'aGk=',
      fx: 'AQIDBA==',
      e: 'GREEN',
      m: { a: 1, b: 2 },
      u: { x: 'in union' },
      arr: [{ x: 'one' }, { x: 'two' }],
    });
  });

  const zigzag = (v: bigint): Buffer => {
    let u = v >= 0n ? v << 1n : ((-v) << 1n) - 1n;
    const out: number[] = [];
    while (u > 0x7fn) {
      out.push(Number(u & 0x7fn) | 0x80);
      u >>= 7n;
    }
    out.push(Number(u));
    return Buffer.from(out);
  };

  it('long: a number when safe, else a decimal string', () => {
    const schema = writeSchema('long.avsc', '{"type":"record","name":"L","fields":[{"name":"a","type":"long"},{"name":"b","type":"long"},{"name":"c","type":"long"}]}');
    const body = Buffer.concat([zigzag(2n ** 60n + 1n), zigzag(-(2n ** 63n)), zigzag(-12345678901n)]);
    expect(prepareDecoder('avro', { outputSchema: schema })(body)).toEqual({ a: '1152921504606846977', b: '-9223372036854775808', c: -12345678901 });
  });

  it('malformed bodies → DecodeError with the byte offset', () => {
    const decode = prepareDecoder('avro', { outputSchema: recordsSchema });
    const good = recordsType.toBuffer(records);
    const truncated = decodeError(() => decode(good.subarray(0, good.length - 3)));
    expect(truncated.format).toBe('avro');
    expect(truncated.message).toMatch(/^invalid avro body at byte \d+: the body ends/);
    const trailing = decodeError(() => decode(Buffer.concat([good, Buffer.from([1, 2])])));
    expect(trailing.position).toEqual({ offset: good.length });
    expect(trailing.reason).toMatch(/2 bytes follow the datum/);
    // array of 1 record whose union index is 5
    const badUnion = Buffer.concat([zigzag(1n), zigzag(2n), Buffer.from('id'), zigzag(2n), Buffer.from('ti'), zigzag(5n), zigzag(0n)]);
    expect(decodeError(() => decode(badUnion)).message).toMatch(/at byte 7: union branch 5 is out of range/);
  });

  it('hostile counts are refused at once instead of looping', () => {
    const decode = prepareDecoder('avro', { outputSchema: recordsSchema });
    const started = Date.now();
    expect(decodeError(() => decode(zigzag(2n ** 40n))).reason).toMatch(/declares 1099511627776 items but the body ends first/);
    const nulls = writeSchema('nulls.avsc', '{"type":"array","items":"null"}');
    expect(decodeError(() => prepareDecoder('avro', { outputSchema: nulls })(Buffer.concat([zigzag(2n ** 40n), zigzag(0n)]))).reason).toMatch(/more than 1000000 empty items/);
    const list = writeSchema('list.avsc', '{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}');
    expect(decodeError(() => prepareDecoder('avro', { outputSchema: list })(Buffer.alloc(10_000, 2))).reason).toMatch(/nest deeper than 500 levels/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a schema that is not JSON or not Avro fails at start-up', () => {
    expect(() => prepareDecoder('avro', { outputSchema: writeSchema('bad.avsc', '{not json') })).toThrow(/bad\.avsc is not JSON/);
    expect(() => prepareDecoder('avro', { outputSchema: writeSchema('bad2.avsc', '{"type":"record","name":"R","fields":[{"name":"x","type":"nope"}]}') })).toThrow(
      /bad2\.avsc is not a valid Avro schema: .*nope/,
    );
    expect(() => prepareDecoder('avro', { outputSchema: join(work, 'missing.avsc') })).toThrow(/cannot be read/);
  });
});

describe('protobuf', () => {
  const protobuf = cjs('protobufjs') as typeof import('protobufjs');
  const recordsProto = join(FIXTURES, 'test-records.proto');
  const root = protobuf.loadSync(recordsProto);
  const RecordsList = root.lookupType('test.records.RecordsList');
  const RecordT = root.lookupType('test.records.Record');
  const records = {
    records: [
      { id: 'r1', title: 'First', description: 'one' },
      { id: 'r2', title: 'Second', description: 'two' },
    ],
  };

  it('test-records.proto: the first declared message (RecordsList) decodes the body', () => {
    const body = Buffer.from(RecordsList.encode(RecordsList.fromObject(records)).finish());
    expect(prepareDecoder('protobuf', { outputSchema: recordsProto })(body)).toEqual(records);
    expect(prepareDecoder('protobuf', { outputSchema: recordsProto })(Buffer.alloc(0))).toEqual({ records: [] });
  });

  it('file.proto#pkg.Message picks another message [extension]', () => {
    const body = Buffer.from(RecordT.encode(RecordT.fromObject(records.records[0]!)).finish());
    expect(prepareDecoder('protobuf', { outputSchema: `${recordsProto}#test.records.Record` })(body)).toEqual(records.records[0]);
    expect(() => prepareDecoder('protobuf', { outputSchema: `${recordsProto}#test.records.Nope` })).toThrow(/declares no message "test.records.Nope"/);
  });

  const kinds = writeSchema(
    'kinds.proto',
    `syntax = "proto3";
package kinds;
message Sample {
  int64 small = 1;
  int64 big = 2;
  uint64 ubig = 3;
  repeated sint64 many = 4;
  map<string, fixed64> counters = 5;
  bytes blob = 6;
  Colour colour = 7;
  Child child = 8;
  repeated Child children = 9;
  string my_name = 10;
  double ratio = 11;
  bool flag = 12;
}
message Child { int64 id = 1; }
enum Colour { RED = 0; GREEN = 1; }
`,
  );

  it('defaults, enum names, bytes base64, field names as declared, 64-bit numbers when safe', () => {
    const root = protobuf.loadSync(kinds);
    const Sample = root.lookupType('kinds.Sample');
    const msg = Sample.fromObject({
      small: 42,
      big: '1152921504606846977',
      ubig: '18446744073709551615',
      many: [-1, '-9223372036854775808'],
      counters: { a: 7 },
      blob: Buffer.from('hi'),
      colour: 'GREEN',
      children: [{ id: 5 }, { id: '9007199254740993' }],
      myName: 'snake',
    });
    const body = Buffer.from(Sample.encode(msg).finish());
    expect(prepareDecoder('protobuf', { outputSchema: kinds })(body)).toEqual({
      small: 42,
      big: '1152921504606846977',
      ubig: '18446744073709551615',
      many: [-1, '-9223372036854775808'],
      counters: { a: 7 },
      blob: 'aGk=',
      colour: 'GREEN',
      child: null,
      children: [{ id: 5 }, { id: '9007199254740993' }],
      my_name: 'snake',
      ratio: 0,
      flag: false,
    });
    expect(prepareDecoder('protobuf', { outputSchema: kinds })(Buffer.alloc(0))).toMatchObject({ small: 0, many: [], counters: {}, blob: '', colour: 'RED' });
  });

  it('malformed bodies → DecodeError with the byte offset where protobufjs gives one', () => {
    const decode = prepareDecoder('protobuf', { outputSchema: recordsProto });
    const truncated = decodeError(() => decode(Buffer.from([0x0a, 0x10, 0x0a])));
    expect(truncated.format).toBe('protobuf');
    expect(truncated.message).toMatch(/^invalid protobuf body at byte 2: index out of range/);
    const wire = decodeError(() => decode(Buffer.from([0x0f])));
    expect(wire.message).toMatch(/invalid wire type 7/);
    expect(wire.position?.offset).toBeTypeOf('number');
    // proto2 required fields
    const missing = decodeError(() => decode(Buffer.from([0x0a, 0x02, 0x0a, 0x00])));
    expect(missing.message).toMatch(/^invalid protobuf body: missing required/);
  });

  it('10,000 nested messages → DecodeError, not a stack overflow', () => {
    const schema = writeSchema('node.proto', 'syntax = "proto3";\nmessage Node { Node child = 1; }\n');
    const varint = (n: number): number[] => {
      const out: number[] = [];
      for (; n > 127; n >>>= 7) out.push((n & 127) | 128);
      out.push(n);
      return out;
    };
    let body = Buffer.alloc(0);
    for (let i = 0; i < 10_000; i++) body = Buffer.concat([Buffer.from([0x0a, ...varint(body.length)]), body]);
    const e = decodeError(() => prepareDecoder('protobuf', { outputSchema: schema })(body));
    expect(e.format).toBe('protobuf');
  });

  it('a .proto that does not parse, or declares no message, fails at start-up', () => {
    expect(() => prepareDecoder('protobuf', { outputSchema: writeSchema('bad.proto', 'syntax = "proto3";\nmessage {') })).toThrow(/bad\.proto cannot be loaded/);
    expect(() => prepareDecoder('protobuf', { outputSchema: writeSchema('enum.proto', 'syntax = "proto3";\nenum E { A = 0; }\n') })).toThrow(/declares no message/);
  });
});

describe('DecodeError', () => {
  it('names the format and the position in its message', () => {
    const cases: [OutputFormat, Decoder, Buffer, RegExp][] = [
      ['xml', prepareDecoder('xml'), Buffer.from('<a>'), /^invalid xml body at line 1, column 4: /],
      ['json', prepareDecoder('json'), Buffer.from('[1,'), /^invalid json body at line 1, column 4: /],
      ['yaml', prepareDecoder('yaml'), Buffer.from('a: "x'), /^invalid yaml body at line 1, column \d+: /],
      ['markdown', prepareDecoder('markdown'), Buffer.from('---\na: [\n---\n'), /^invalid markdown body at line \d+, column \d+: /],
    ];
    for (const [format, decode, body, message] of cases) {
      const e = decodeError(() => decode(body));
      expect(e.format).toBe(format);
      expect(e.name).toBe('DecodeError');
      expect(e.message).toMatch(message);
    }
  });
});
