/**
 * One test per kind of load problem: exact code, severity, line, column and JSON pointer, and the
 * formatted shape `file:line:col /pointer: message [CODE]` (SEMANTICS §1: every load error names the
 * file, line and column, the JSON pointer and what was expected; several errors are reported together).
 *
 * Documents are small and inline; most are helpers.BASE with one change, whose numbered lines are in
 * helpers.ts. Columns are 1-based and point at the first character of the offending value (or key).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCapability } from '../../src/spec/load.js';
import { formatDiagnostic, type Diagnostic } from '../../src/spec/diagnostics.js';
import { BASE, MAX_BYTES, NO_ENV, fileFailure, loadText, textFailure, tmpDir, variant, where } from './helpers.js';

const tmp = tmpDir();
afterAll(() => tmp.remove());

/** The one error of a failure, which must be the only diagnostic. */
function only(text: string, options = {}): Diagnostic {
  const err = textFailure(text, options);
  expect(err.diagnostics, err.message).toHaveLength(1);
  return err.diagnostics[0]!;
}

describe('YAML', () => {
  it('a syntax error: NR_ERR_YAML_SYNTAX at its position', () => {
    const d = only('naftiko: 1.0.0-alpha3\n@bad: x\n');
    expect(where(d)).toEqual({ severity: 'error', code: 'NR_ERR_YAML_SYNTAX', line: 2, column: 1, pointer: '' });
    expect(d.message).toMatch(/^YAML syntax error: .*reserved character @/);
    expect(formatDiagnostic(d)).toBe(`t.yaml:2:1: ${d.message} [NR_ERR_YAML_SYNTAX]`);
  });

  it('a syntax error inside the document: at the offending token', () => {
    // line 6 becomes "      port: a: b" — a mapping nested in a compact value, from column 13
    const d = only(variant('      port: 8080\n', '      port: a: b\n'));
    expect(where(d)).toEqual({ severity: 'error', code: 'NR_ERR_YAML_SYNTAX', line: 6, column: 13, pointer: '' });
  });

  it('a tab used as indentation is a syntax error on its line', () => {
    const err = textFailure('naftiko: 1.0.0-alpha3\ncapability:\n  exposes:\n\t- x\n');
    expect(err.errors.every((d) => d.code === 'NR_ERR_YAML_SYNTAX')).toBe(true);
    expect(err.errors.map(where)).toContainEqual({ severity: 'error', code: 'NR_ERR_YAML_SYNTAX', line: 4, column: 1, pointer: '' });
    expect(err.errors.find((d) => d.line === 4 && d.column === 1)!.message).toMatch(/tab/i);
  });

  it('an unterminated quoted string: at its opening quote, not past the end of the file', () => {
    // 1 naftiko: 1.0.0-alpha3
    // 2 capability: "unterminated        ← the quote opens at 2:13; the text has no line 3
    const d = only('naftiko: 1.0.0-alpha3\ncapability: "unterminated\n');
    expect(where(d)).toEqual({ severity: 'error', code: 'NR_ERR_YAML_SYNTAX', line: 2, column: 13, pointer: '' });
  });

  it('an unclosed flow sequence: at its "[", not past the end of the file', () => {
    const d = only('naftiko: [1.0.0-alpha3\n');
    expect(where(d)).toEqual({ severity: 'error', code: 'NR_ERR_YAML_SYNTAX', line: 1, column: 10, pointer: '' });
  });

  it('a duplicate key: NR_ERR_YAML_DUPLICATE_KEY at the second key, with its pointer and name', () => {
    // lines 6-7: "      port: 8080" / "      port: 8081"
    const d = only(variant('      port: 8080\n', '      port: 8080\n      port: 8081\n'));
    expect(where(d)).toEqual({ severity: 'error', code: 'NR_ERR_YAML_DUPLICATE_KEY', line: 7, column: 7, pointer: '/capability/exposes/0/port' });
    expect(d.message).toContain('"port"');
  });

  it('a duplicate top-level key', () => {
    const d = only(variant('naftiko: 1.0.0-alpha3\n', 'naftiko: 1.0.0-alpha3\nnaftiko: 1.0.0-alpha2\n'));
    expect(where(d)).toEqual({ severity: 'error', code: 'NR_ERR_YAML_DUPLICATE_KEY', line: 2, column: 1, pointer: '/naftiko' });
  });

  it('every YAML error of the file is reported, sorted by position', () => {
    const text = 'naftiko: 1.0.0-alpha3\nnaftiko: x\ncapability:\n  a: 1\n  a: 2\n';
    const err = textFailure(text);
    expect(err.errors.map((d) => [d.code, d.line, d.column])).toEqual([
      ['NR_ERR_YAML_DUPLICATE_KEY', 2, 1],
      ['NR_ERR_YAML_DUPLICATE_KEY', 5, 3],
    ]);
  });
});

describe('the file as a whole (line 0, no pointer)', () => {
  const whole = (code: string) => ({ severity: 'error', code, line: 0, column: 0, pointer: '' });

  it.each([
    ['an empty text', ''],
    ['only whitespace', '  \n\n\t\n'],
    ['only comments', '# a comment\n   # another\n'],
    ['only a document marker', '---\n'],
    ['comments and markers', '# yaml-language-server: $schema=x\n---\n# nothing\n'],
  ])('%s: NR_ERR_FILE_EMPTY', (_, text) => {
    const d = only(text);
    expect(where(d)).toEqual(whole('NR_ERR_FILE_EMPTY'));
    expect(formatDiagnostic(d)).toBe(`t.yaml: ${d.message} [NR_ERR_FILE_EMPTY]`);
  });

  it('an empty file on disk: NR_ERR_FILE_EMPTY', () => {
    const file = path.join(tmp.dir, 'empty.yaml');
    writeFileSync(file, '');
    const err = fileFailure(file);
    expect(err.diagnostics.map(where)).toEqual([whole('NR_ERR_FILE_EMPTY')]);
    expect(err.diagnostics[0]!.file).toBe(file);
  });

  it.each([
    ['a list', '- naftiko: 1.0.0-alpha3\n- capability: {}\n', /got a sequence/],
    ['a number', '42\n', /got a number/],
    ['a string', 'naftiko 1.0.0-alpha3\n', /got a string/],
    ['a boolean', 'true\n', /got a boolean/],
    ['null', 'null\n', /got nothing/],
    ['a flow list', '[1, 2, 3]\n', /got a sequence/],
  ])('top level is %s: NR_ERR_NOT_A_MAPPING', (_, text, message) => {
    const d = only(text);
    expect(where(d)).toEqual(whole('NR_ERR_NOT_A_MAPPING'));
    expect(d.message).toMatch(message);
  });

  it('a mapping without "naftiko" (an OpenAPI file): NR_ERR_NOT_A_CAPABILITY', () => {
    const d = only('openapi: 3.0.0\ninfo:\n  title: x\n  version: "1"\npaths: {}\n');
    expect(where(d)).toEqual(whole('NR_ERR_NOT_A_CAPABILITY'));
    expect(d.message).toContain('OpenAPI');
  });

  it('a file over 5 MiB: NR_ERR_FILE_TOO_LARGE, one line, without reading it as YAML', () => {
    const file = path.join(tmp.dir, 'huge.yaml');
    // valid YAML all the way, so that only the size can be the problem
    const line = '# ' + 'x'.repeat(1021) + '\n';
    writeFileSync(file, 'naftiko: 1.0.0-alpha3\n' + line.repeat(6 * 1024));
    const err = fileFailure(file);
    expect(err.diagnostics.map(where)).toEqual([whole('NR_ERR_FILE_TOO_LARGE')]);
    expect(err.message.split('\n')).toHaveLength(1);
    expect(err.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: file is 6\\.0 MiB, larger than the 5 MiB limit.*\\[NR_ERR_FILE_TOO_LARGE\\]$`));
  });

  it('text over 5 MiB given to loadCapabilityText: NR_ERR_FILE_TOO_LARGE', () => {
    const d = only('naftiko: 1.0.0-alpha3\n#' + 'x'.repeat(MAX_BYTES));
    expect(where(d)).toEqual(whole('NR_ERR_FILE_TOO_LARGE'));
  });

  it('exactly 5 MiB is not too large', () => {
    const head = BASE;
    const pad = MAX_BYTES - Buffer.byteLength(head) - 1;
    const text = head + '#' + 'x'.repeat(pad - 1) + '\n';
    expect(Buffer.byteLength(text)).toBe(MAX_BYTES);
    expect(() => loadText(text)).not.toThrow();
  });

  it('a missing file: NR_ERR_FILE_NOT_FOUND', () => {
    const file = path.join(tmp.dir, 'no-such-file.yaml');
    const err = fileFailure(file);
    expect(err.diagnostics.map(where)).toEqual([whole('NR_ERR_FILE_NOT_FOUND')]);
    expect(err.message).toBe(`${file}: file not found [NR_ERR_FILE_NOT_FOUND]`);
  });

  it('a directory: NR_ERR_FILE_UNREADABLE', () => {
    const dir = path.join(tmp.dir, 'a-dir.yaml');
    mkdirSync(dir);
    expect(fileFailure(dir).diagnostics.map(where)).toEqual([whole('NR_ERR_FILE_UNREADABLE')]);
  });

  it('a binary file: NR_ERR_NOT_YAML', () => {
    const file = path.join(tmp.dir, 'binary.yaml');
    writeFileSync(file, Buffer.from([0x6e, 0x61, 0x00, 0x01, 0xff, 0x0a]));
    expect(fileFailure(file).diagnostics.map(where)).toEqual([whole('NR_ERR_NOT_YAML')]);
  });
});

describe('schema', () => {
  it('port "80a": must be an integer 1–65535, at the port', () => {
    const d = only(variant('port: 8080', 'port: "80a"'));
    expect(where(d)).toEqual({ severity: 'error', code: 'NR_ERR_SCHEMA', line: 6, column: 13, pointer: '/capability/exposes/0/port' });
    expect(d.message).toBe('must be an integer 1–65535, got "80a"');
    expect(formatDiagnostic(d)).toBe('t.yaml:6:13 /capability/exposes/0/port: must be an integer 1–65535, got "80a" [NR_ERR_SCHEMA]');
  });

  it('port 80a unquoted reads the same', () => {
    expect(only(variant('port: 8080', 'port: 80a')).message).toBe('must be an integer 1–65535, got "80a"');
  });

  it.each([
    ['0', 'got 0'],
    ['70000', 'got 70000'],
    ['80.5', 'got 80.5'],
  ])('port %s is out of range', (port, got) => {
    const d = only(variant('port: 8080', `port: ${port}`));
    expect(where(d)).toEqual({ severity: 'error', code: 'NR_ERR_SCHEMA', line: 6, column: 13, pointer: '/capability/exposes/0/port' });
    expect(d.message).toBe(`must be an integer 1–65535, ${got}`);
  });

  it('a missing required field: at the mapping that lacks it, pointer to the field', () => {
    // line 14 "    - type: http" is the mapping; its "namespace" line is removed
    const d = only(variant('      namespace: up\n', ''));
    expect(where(d)).toEqual({ severity: 'error', code: 'NR_ERR_SCHEMA', line: 14, column: 7, pointer: '/capability/consumes/0/namespace' });
    expect(d.message).toBe('missing required field "namespace"');
  });

  it('a bad enum value: the allowed values and what was found', () => {
    const d = only(variant('            - method: GET', '            - method: GOT'));
    expect(where(d)).toEqual({ severity: 'error', code: 'NR_ERR_SCHEMA', line: 10, column: 23, pointer: '/capability/exposes/0/resources/0/operations/0/method' });
    expect(d.message).toBe('must be one of "GET", "POST", "PUT", "PATCH", "DELETE", got "GOT"');
  });

  it('a bad adapter type', () => {
    const d = textFailure(variant('    - type: rest', '    - type: soap')).errors[0]!;
    expect(where(d)).toMatchObject({ code: 'NR_ERR_SCHEMA', line: 4, column: 13, pointer: '/capability/exposes/0/type' });
    expect(d.message).toContain('"soap"');
  });

  it('a wrong type: a string where a list is expected', () => {
    const d = only(variant('      resources:\n        - path: /items\n          operations:\n            - method: GET\n              name: list\n              call: up.list\n', '      resources: none\n'));
    expect(where(d)).toEqual({ severity: 'error', code: 'NR_ERR_SCHEMA', line: 7, column: 18, pointer: '/capability/exposes/0/resources' });
    expect(d.message).toBe('must be an array, got "none"');
  });

  it('an unknown field is a warning at its key; the document loads', () => {
    const { warnings, model } = loadText(variant('      port: 8080\n', '      port: 8080\n      colour: red\n'));
    expect(warnings.map(where)).toEqual([{ severity: 'warning', code: 'NR_WARN_UNKNOWN_FIELD', line: 7, column: 7, pointer: '/capability/exposes/0/colour' }]);
    expect(warnings[0]!.message).toMatch(/^unknown field "colour"/);
    expect(formatDiagnostic(warnings[0]!)).toBe(`t.yaml:7:7 /capability/exposes/0/colour: warning ${warnings[0]!.message} [NR_WARN_UNKNOWN_FIELD]`);
    expect(model.exposes).toHaveLength(1);
  });

  it('a misspelt field is an error with a suggestion, not a warning that silently changes behaviour', () => {
    const err = textFailure(variant('      port: 8080\n', '      port: 8080\n      descripton: the API\n'));
    expect(err.diagnostics.map(where)).toEqual([{ severity: 'error', code: 'NR_ERR_MISSPELLED_FIELD', line: 7, column: 7, pointer: '/capability/exposes/0/descripton' }]);
    expect(err.message).toBe('t.yaml:7:7 /capability/exposes/0/descripton: unknown field "descripton" (did you mean "description"?) [NR_ERR_MISSPELLED_FIELD]');
  });

  it('"inputParamaters" on an operation is an error naming "inputParameters"', () => {
    const err = textFailure(variant('              name: list\n', '              name: list\n              inputParamaters: []\n'));
    expect(err.errors.map((d) => [d.code, d.message])).toEqual([['NR_ERR_MISSPELLED_FIELD', 'unknown field "inputParamaters" (did you mean "inputParameters"?)']]);
  });

  it('an x-… extension field is never reported', () => {
    const { warnings } = loadText(variant('      port: 8080\n', '      port: 8080\n      x-owner: team-a\n      x-descripton: near a known field\n'));
    expect(warnings).toEqual([]);
  });

  it('an unknown field is an error with {strict: true}', () => {
    const err = textFailure(variant('      port: 8080\n', '      port: 8080\n      colour: red\n'), { strict: true });
    expect(err.diagnostics.map(where)).toEqual([{ severity: 'error', code: 'NR_WARN_UNKNOWN_FIELD', line: 7, column: 7, pointer: '/capability/exposes/0/colour' }]);
    expect(err.message).toMatch(/^t\.yaml:7:7 \/capability\/exposes\/0\/colour: unknown field "colour".* \[NR_WARN_UNKNOWN_FIELD\]$/);
  });

  it('an unknown version is a warning at the version; loaded as the latest', () => {
    const { warnings, model } = loadText(variant('naftiko: 1.0.0-alpha3', 'naftiko: 9.9.9'));
    expect(warnings.map(where)).toEqual([{ severity: 'warning', code: 'NR_WARN_UNKNOWN_VERSION', line: 1, column: 10, pointer: '/naftiko' }]);
    expect(warnings[0]!.message).toContain('"9.9.9"');
    expect(model.version).toBe('9.9.9');
  });

  it('an unknown version is an error with {strict: true}', () => {
    const err = textFailure(variant('naftiko: 1.0.0-alpha3', 'naftiko: 9.9.9'), { strict: true });
    expect(err.diagnostics.map(where)).toEqual([{ severity: 'error', code: 'NR_WARN_UNKNOWN_VERSION', line: 1, column: 10, pointer: '/naftiko' }]);
  });

  it.each(['1.0.0-alpha1', '1.0.0-alpha2', '1.0.0-alpha3'])('version %s is known', (v) => {
    expect(loadText(variant('naftiko: 1.0.0-alpha3', `naftiko: ${v}`), { strict: true }).warnings).toEqual([]);
  });
});

describe('semantic checks', () => {
  it('an unknown `call`: NR_ERR_UNKNOWN_CALL at the call, with what exists', () => {
    const d = only(variant('call: up.list', 'call: up.lst'));
    expect(where(d)).toEqual({ severity: 'error', code: 'NR_ERR_UNKNOWN_CALL', line: 12, column: 21, pointer: '/capability/exposes/0/resources/0/operations/0/call' });
    expect(d.message).toContain('"up.lst"');
    expect(d.message).toContain('up.list');
  });

  it('an unknown `call` under a path with {id}: only the cause, not "placeholder {id} has no input parameter"', () => {
    const text = variant('call: up.list', 'call: up.nope', BASE.replace('        - path: /items\n', '        - path: /items/{id}\n').replace('          path: /items\n', '          path: /items/{id}\n'));
    const d = only(text);
    expect(where(d)).toMatchObject({ code: 'NR_ERR_UNKNOWN_CALL', line: 12, column: 21 });
  });

  it('an unknown `call` namespace suggests the operation of the same name', () => {
    const d = only(variant('call: up.list', 'call: down.list'));
    expect(where(d)).toMatchObject({ code: 'NR_ERR_UNKNOWN_CALL', line: 12, column: 21 });
    expect(d.message).toContain('did you mean up.list?');
  });

  it('a duplicate consumes namespace: NR_ERR_DUPLICATE_NAMESPACE at the second one', () => {
    // lines 23-25 appended: a second consumes entry "up"
    const d = only(BASE + '    - type: http\n      namespace: up\n      baseUri: http://localhost:2\n');
    expect(where(d)).toEqual({ severity: 'error', code: 'NR_ERR_DUPLICATE_NAMESPACE', line: 24, column: 18, pointer: '/capability/consumes/1/namespace' });
    expect(d.message).toContain('/capability/consumes/0/namespace');
  });

  it('a duplicate exposes namespace: NR_ERR_DUPLICATE_NAMESPACE at the second one', () => {
    // lines 13-15 inserted: a second REST adapter "api"
    const d = only(variant('  consumes:\n', '    - type: rest\n      namespace: api\n      port: 8081\n  consumes:\n'));
    expect(where(d)).toEqual({ severity: 'error', code: 'NR_ERR_DUPLICATE_NAMESPACE', line: 14, column: 18, pointer: '/capability/exposes/1/namespace' });
    expect(d.message).toContain('/capability/exposes/0/namespace');
  });

  it('an exposed path placeholder with no parameter: NR_ERR_PATH_PLACEHOLDER at the path', () => {
    const d = only(variant('        - path: /items\n', '        - path: /items/{id}\n'));
    expect(where(d)).toEqual({ severity: 'error', code: 'NR_ERR_PATH_PLACEHOLDER', line: 8, column: 17, pointer: '/capability/exposes/0/resources/0/path' });
    expect(d.message).toContain('{id}');
  });

  it('an exposed path placeholder with an `in: path` parameter is fine', () => {
    const text = variant('        - path: /items\n          operations:\n', '        - path: /items/{id}\n          inputParameters:\n            - name: id\n              in: path\n              type: string\n              description: the item\n          operations:\n');
    const op = loadText(text).model.exposes[0]!;
    expect(op.type === 'rest' && op.operations[0]!.inputs).toEqual([{ name: 'id', in: 'path', type: 'string', required: true, credential: false, description: 'the item' }]);
  });

  it('a consumed path placeholder that `with` does not fill: NR_ERR_PATH_PLACEHOLDER at the operation', () => {
    // consumed path /items/{id}; the exposed operation passes only "q"
    const text = variant('call: up.list\n', 'call: up.list\n              with:\n                q: fixed\n', variant('          path: /items\n', '          path: /items/{id}\n'));
    const d = only(text);
    expect(where(d)).toEqual({ severity: 'error', code: 'NR_ERR_PATH_PLACEHOLDER', line: 10, column: 15, pointer: '/capability/exposes/0/resources/0/operations/0' });
    expect(d.message).toContain('{id}');
  });

  it('a port used by two adapters: NR_ERR_PORT_CONFLICT at the second port', () => {
    // lines 13-19 inserted: an MCP adapter on 8080
    const d = only(variant('  consumes:\n', '    - type: mcp\n      namespace: tools\n      port: 8080\n      tools:\n        - name: list\n          description: List\n          call: up.list\n  consumes:\n'));
    expect(where(d)).toEqual({ severity: 'error', code: 'NR_ERR_PORT_CONFLICT', line: 15, column: 13, pointer: '/capability/exposes/1/port' });
    expect(d.message).toContain('"api"');
  });

  it('{{UNDECLARED}} in a baseUri: NR_ERR_UNDECLARED_VARIABLE', () => {
    const d = only(variant('baseUri: http://localhost:1', 'baseUri: http://{{HOST}}:1'));
    expect(where(d)).toEqual({ severity: 'error', code: 'NR_ERR_UNDECLARED_VARIABLE', line: 16, column: 16, pointer: '/capability/consumes/0/baseUri' });
    expect(d.message).toContain('{{HOST}}');
  });

  it('{{UNDECLARED}} in an authentication token: NR_ERR_UNDECLARED_VARIABLE', () => {
    // lines 17-19 inserted after baseUri
    const d = only(variant('      baseUri: http://localhost:1\n', "      baseUri: http://localhost:1\n      authentication:\n        type: bearer\n        token: '{{TOKEN}}'\n"));
    expect(where(d)).toEqual({ severity: 'error', code: 'NR_ERR_UNDECLARED_VARIABLE', line: 19, column: 16, pointer: '/capability/consumes/0/authentication/token' });
    expect(d.message).toContain('{{TOKEN}}');
  });

  it('{{namespace.KEY}} that its binds do not declare: NR_ERR_UNDECLARED_VARIABLE naming what is declared', () => {
    // binds inserted as lines 2-5; the token is line 22
    const text = variant('naftiko: 1.0.0-alpha3\n', 'naftiko: 1.0.0-alpha3\nbinds:\n  - namespace: env\n    keys:\n      API_KEY: API_KEY\n',
      variant('      baseUri: http://localhost:1\n', "      baseUri: http://localhost:1\n      authentication:\n        type: bearer\n        token: '{{env.TOKEN}}'\n"));
    const d = only(text);
    expect(where(d)).toEqual({ severity: 'error', code: 'NR_ERR_UNDECLARED_VARIABLE', line: 23, column: 16, pointer: '/capability/consumes/0/authentication/token' });
    expect(d.message).toContain('env.API_KEY');
  });

  it('a declared variable is not an error, set or not', () => {
    const text = variant('naftiko: 1.0.0-alpha3\n', 'naftiko: 1.0.0-alpha3\nbinds:\n  - namespace: env\n    keys:\n      TOKEN: MY_TOKEN\n',
      variant('      baseUri: http://localhost:1\n', "      baseUri: http://localhost:1\n      authentication:\n        type: bearer\n        token: '{{env.TOKEN}}'\n"));
    expect(loadText(text, { strict: true }).warnings).toEqual([]);
  });
});

describe('several errors in one file', () => {
  it('schema errors are all reported, sorted by position', () => {
    // port (6:13), method (10:23), missing consumes namespace (14:7), in the reverse order of the changes
    const text = variant('      namespace: up\n', '', variant('            - method: GET', '            - method: GOT', variant('port: 8080', 'port: "80a"')));
    const err = textFailure(text);
    expect(err.diagnostics.map((d) => [d.code, d.line, d.column, d.pointer])).toEqual([
      ['NR_ERR_SCHEMA', 6, 13, '/capability/exposes/0/port'],
      ['NR_ERR_SCHEMA', 10, 23, '/capability/exposes/0/resources/0/operations/0/method'],
      ['NR_ERR_SCHEMA', 14, 7, '/capability/consumes/0/namespace'],
    ]);
    expect(err.message).toBe(err.diagnostics.map(formatDiagnostic).join('\n'));
    expect(err.message.split('\n')[0]).toBe('t.yaml:6:13 /capability/exposes/0/port: must be an integer 1–65535, got "80a" [NR_ERR_SCHEMA]');
  });

  it('semantic errors are all reported, sorted by position, with the warnings', () => {
    const text = `naftiko: 1.0.0-beta
capability:
  exposes:
    - type: rest
      namespace: api
      port: 8080
      resources:
        - path: /items/{id}
          operations:
            - method: GET
              name: list
              call: up.lst
    - type: mcp
      namespace: tools
      port: 8080
      tools:
        - name: list
          description: List
          call: up.list
  consumes:
    - type: http
      namespace: up
      baseUri: http://{{HOST}}:1
      resources:
        - name: items
          path: /items
          operations:
            - name: list
              method: GET
    - type: http
      namespace: up
      baseUri: http://localhost:2
`;
    const err = textFailure(text);
    expect(err.diagnostics.map((d) => [d.severity, d.code, d.line, d.column])).toEqual([
      ['warning', 'NR_WARN_UNKNOWN_VERSION', 1, 10],
      // the path's {placeholder} gets no input only because the call is unknown: not reported twice
      ['error', 'NR_ERR_UNKNOWN_CALL', 12, 21],
      ['error', 'NR_ERR_PORT_CONFLICT', 15, 13],
      ['error', 'NR_ERR_UNDECLARED_VARIABLE', 23, 16],
      ['error', 'NR_ERR_DUPLICATE_NAMESPACE', 31, 18],
    ]);
    expect(err.errors).toHaveLength(4);
    expect(err.code).toBe('NR_ERR_CAPABILITY_INVALID');
    expect(err.name).toBe('CapabilityLoadError');
    expect(err.message.split('\n')).toEqual(err.diagnostics.map(formatDiagnostic));
  });
});

describe('formatDiagnostic', () => {
  const d: Diagnostic = { severity: 'error', code: 'NR_ERR_X', file: 'dir/cap.yaml', line: 3, column: 7, pointer: '/a/b~1c', message: 'went wrong' };

  it('file:line:col /pointer: message [CODE]', () => {
    expect(formatDiagnostic(d)).toBe('dir/cap.yaml:3:7 /a/b~1c: went wrong [NR_ERR_X]');
  });

  it('warnings say so', () => {
    expect(formatDiagnostic({ ...d, severity: 'warning', code: 'NR_WARN_X' })).toBe('dir/cap.yaml:3:7 /a/b~1c: warning went wrong [NR_WARN_X]');
  });

  it('no position and no pointer for the whole file', () => {
    expect(formatDiagnostic({ ...d, line: 0, column: 0, pointer: '' })).toBe('dir/cap.yaml: went wrong [NR_ERR_X]');
  });

  it('the file name is the one the caller gave', () => {
    const err = textFailure(variant('port: 8080', 'port: "80a"'), {}, 'some/where/cap.yaml');
    expect(err.diagnostics[0]!.file).toBe('some/where/cap.yaml');
    expect(err.message).toMatch(/^some\/where\/cap\.yaml:6:13 /);
  });

  it('a file path from loadCapability is kept as given (relative stays relative)', () => {
    const rel = path.relative(process.cwd(), path.join(tmp.dir, 'rel.yaml'));
    writeFileSync(path.join(tmp.dir, 'rel.yaml'), variant('port: 8080', 'port: "80a"'));
    const err = fileFailure(rel);
    expect(err.message).toBe(`${rel}:6:13 /capability/exposes/0/port: must be an integer 1–65535, got "80a" [NR_ERR_SCHEMA]`);
    expect(() => loadCapability(rel, { env: NO_ENV })).toThrow(err.message);
  });
});
