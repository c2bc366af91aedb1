/** Load-time checks of MCP `resources` and `prompts` (FEATURES §8(d), §9(d)): codes, lines and pointers. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { McpAdapter } from '../../src/spec/model.js';
import { FIXTURES, loadText, textFailure, tmpDir, where } from './helpers.js';
import { loadCapability } from '../../src/spec/load.js';
import { parseUriTemplate } from '../../src/spec/build-mcp-resources.js';

const tmp = tmpDir();
afterAll(() => tmp.remove());
mkdirSync(path.join(tmp.dir, 'docs'));
writeFileSync(path.join(tmp.dir, 'not-a-dir.txt'), 'x');
writeFileSync(path.join(tmp.dir, 'prompt.md'), 'Review {{pr}} please');

/** An MCP adapter whose `resources:`/`prompts:` block is `extra` (indented under the adapter). */
function doc(extra: string): string {
  return `naftiko: 1.0.0-alpha3
capability:
  consumes:
    - type: http
      namespace: up
      baseUri: http://127.0.0.1:9
      resources:
        - name: item
          path: /items/{{id}}
          operations: [{ name: get-item, method: GET }]
  exposes:
    - type: mcp
      namespace: m
      port: 9090
      tools:
        - name: t
          description: d
          call: up.get-item
${extra}`;
}
const file = path.join(tmp.dir, 'c.yaml');

describe('resources', () => {
  it('the reference fixture loads into typed entries', () => {
    const { model } = loadCapability(path.join(FIXTURES, 'mcp/mcp-resources-prompts-capability.yaml'), { env: {} });
    const mcp = model.exposes[0] as McpAdapter;
    expect(mcp.resources.map((r) => [r.kind, r.name, r.uri, r.kind === 'dynamic' ? r.variables : []])).toEqual([
      ['dynamic', 'database-schema', 'data://databases/pre-release/schema', []],
      ['dynamic', 'user-profile', 'data://users/{userId}/profile', ['userId']],
    ]);
    expect(mcp.prompts.map((p) => [p.name, p.arguments.map((a) => [a.name, a.required]), p.messages.length])).toEqual([
      ['participant-outreach', [['participant_name', true], ['product_name', true]], 1],
      ['summary-prompt', [['data', true], ['format', false]], 3],
    ]);
  });

  it('a static location resolves against the capability folder; {{x}} is written {x}', () => {
    const { model } = loadText(doc(`      resources:
        - { name: docs, label: Docs, description: d, uri: "docs://api/", location: "file:///./docs" }
        - { name: item, label: Item, description: d, uri: "items://{{id}}", call: up.get-item }
`), {}, file);
    const [docs, item] = (model.exposes[0] as McpAdapter).resources;
    expect(docs).toMatchObject({ kind: 'static', uri: 'docs://api/', directory: path.join(tmp.dir, 'docs') });
    expect(item).toMatchObject({ kind: 'dynamic', uri: 'items://{id}', variables: ['id'] });
  });

  it('a location that is not a directory, or not a file URI, is NR_ERR_RESOURCE_LOCATION at the location', () => {
    const e = textFailure(doc(`      resources:
        - name: docs
          label: Docs
          description: d
          uri: docs://api
          location: "file:///./not-a-dir.txt"
        - name: gone
          label: Gone
          description: d
          uri: gone://x
          location: "file:///./nowhere"
`), {}, file);
    expect(e.errors.map(where)).toEqual([
      { severity: 'error', code: 'NR_ERR_RESOURCE_LOCATION', line: 24, column: 21, pointer: '/capability/exposes/0/resources/0/location' },
      { severity: 'error', code: 'NR_ERR_RESOURCE_LOCATION', line: 29, column: 21, pointer: '/capability/exposes/0/resources/1/location' },
    ]);
    expect(e.errors[0]!.message).toContain('not-a-dir.txt');
    expect(e.errors[1]!.file).toBe(file);
  });

  it('duplicate names and URIs (templates compared by shape) are NR_ERR_DUPLICATE_RESOURCE', () => {
    const e = textFailure(doc(`      resources:
        - { name: a, label: A, description: d, uri: "items://{id}", call: up.get-item }
        - { name: a, label: B, description: d, uri: "items://{other}", call: up.get-item, with: { id: "{{other}}" } }
`), {}, file);
    expect(e.errors.map((d) => [d.code, d.pointer])).toEqual([
      ['NR_ERR_DUPLICATE_RESOURCE', '/capability/exposes/0/resources/1/name'],
      ['NR_ERR_DUPLICATE_RESOURCE', '/capability/exposes/0/resources/1/uri'],
    ]);
    expect(e.errors[0]!.message).toContain('/capability/exposes/0/resources/0/name');
  });

  it('a {{x}} in with that is no placeholder of the uri is NR_ERR_RESOURCE_TEMPLATE_VARIABLE at that with', () => {
    const e = textFailure(doc(`      resources:
        - name: item
          label: Item
          description: d
          uri: "items://{itemId}"
          call: up.get-item
          with:
            id: "{{item_id}}"
`), {}, file);
    expect(e.errors.map(where)).toEqual([
      { severity: 'error', code: 'NR_ERR_RESOURCE_TEMPLATE_VARIABLE', line: 26, column: 17, pointer: '/capability/exposes/0/resources/0/with/id' },
    ]);
    expect(e.errors[0]!.message).toContain('{itemId}');
  });

  it('a plain resource whose call needs a value nothing gives is NR_ERR_RESOURCE_INPUT', () => {
    const e = textFailure(doc(`      resources:
        - { name: item, label: Item, description: d, uri: "items://one", call: up.get-item }
`), {}, file);
    expect(e.errors.map((d) => [d.code, d.pointer])).toEqual([['NR_ERR_RESOURCE_INPUT', '/capability/exposes/0/resources/0']]);
    expect(e.errors[0]!.message).toContain('"id"');
  });

  it('operators, stray braces, repeated and static templated uris are NR_ERR_RESOURCE_URI_TEMPLATE', () => {
    for (const [uri, why] of [['a://{+x}', 'operator'], ['a://{x', 'not closed'], ['a://x}', 'closes no'], ['a://{x}/{x}', 'twice'], ['a://{x}{y}', 'touch'], ['a://{a b}', 'not a name']] as const) {
      const parsed = parseUriTemplate(uri);
      expect(parsed.ok, uri).toBe(false);
      expect(parsed.ok ? '' : parsed.reason, uri).toContain(why);
    }
    expect(parseUriTemplate('test://template/{{ id }}/data')).toEqual({ ok: true, uri: 'test://template/{id}/data', variables: ['id'] });
    const e = textFailure(doc(`      resources:
        - { name: docs, label: D, description: d, uri: "docs://{section}", location: "file:///./docs" }
        - { name: item, label: I, description: d, uri: "items://{?id}", call: up.get-item }
`), {}, file);
    expect(e.errors.map((d) => [d.code, d.pointer])).toEqual([
      ['NR_ERR_RESOURCE_URI_TEMPLATE', '/capability/exposes/0/resources/0/uri'],
      ['NR_ERR_RESOURCE_URI_TEMPLATE', '/capability/exposes/0/resources/1/uri'],
    ]);
  });
});

describe('prompts', () => {
  it('a file prompt is read at load into one user message', () => {
    const { model } = loadText(doc(`      prompts:
        - name: review
          label: Review
          description: d
          arguments: [{ name: pr, description: the PR }]
          location: "file:///./prompt.md"
`), {}, file);
    expect((model.exposes[0] as McpAdapter).prompts[0]!.messages).toEqual([{ role: 'user', content: 'Review {{pr}} please' }]);
  });

  it('duplicate prompts and arguments, a missing file: coded errors at the field; an unknown placeholder warns', () => {
    const e = textFailure(doc(`      prompts:
        - name: p
          label: P
          description: d
          arguments:
            - { name: a, description: x }
            - { name: a, description: y }
          template:
            - { role: user, content: "{{a}} and {{b}}" }
        - name: p
          label: Q
          description: d
          location: "file:///./missing.md"
`), {}, file);
    expect(e.diagnostics.map((d) => [d.severity, d.code, d.pointer, d.line])).toEqual([
      ['error', 'NR_ERR_DUPLICATE_PROMPT', '/capability/exposes/0/prompts/0/arguments/1/name', 25],
      ['warning', 'NR_WARN_PROMPT_PLACEHOLDER', '/capability/exposes/0/prompts/0/template/0/content', 27],
      ['error', 'NR_ERR_DUPLICATE_PROMPT', '/capability/exposes/0/prompts/1/name', 28],
      ['error', 'NR_ERR_PROMPT_LOCATION', '/capability/exposes/0/prompts/1/location', 31],
    ]);
    expect(e.diagnostics[1]!.message).toContain('{{b}}');
  });
});
