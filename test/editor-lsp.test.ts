/**
 * The editor experience, checked with the real thing: yaml-language-server (the language server of Red Hat's
 * YAML extension for VS Code, a devDependency) is started over stdio and given capabilities that name our
 * schema in their modeline, as capabilities/bulksync.yaml does. It must report a misspelt field, offer the
 * fields of an `apikey` authentication with their descriptions, show a description on hover, and find
 * nothing wrong in bulksync.yaml. Both schemas are tried: the draft-07 editor copy the modeline names, and the
 * 2020-12 schema (which this server release also reads).
 *
 * The server's settings turn the schema store off, and route any HTTP it might attempt through a proxy on
 * 127.0.0.1 that this test runs: the test fails if anything reaches it, so nothing leaves the machine.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LspClient } from './lsp-client.js';

const REPO = path.resolve(import.meta.dirname, '..');
const SERVER = path.join(REPO, 'node_modules', 'yaml-language-server', 'bin', 'yaml-language-server');
const available = existsSync(SERVER);
if (!available) console.warn(`test/editor-lsp.test.ts SKIPPED: ${SERVER} is missing (run npm install: yaml-language-server is a devDependency)`);

const EDITOR_MODELINE = '# yaml-language-server: $schema=../schema/naftiko-run.editor.schema.json';
const MAIN_MODELINE = '# yaml-language-server: $schema=../schema/naftiko-run.schema.json';
const body = (authLines: string, typo = 'inputParamaters') => `naftiko: 1.0.0-alpha3
info:
  label: Notes
  description: Notes API
binds:
  - namespace: env
    keys:
      NOTES_KEY: NOTES_KEY
capability:
  consumes:
    - type: http
      namespace: notes
      baseUri: http://127.0.0.1:3000
      authentication:
        type: apikey
${authLines}
      resources:
        - name: notes
          path: /notes
          operations:
            - name: list-notes
              method: GET
              ${typo}:
                - name: limit
                  in: query
  exposes:
    - type: mcp
      namespace: tools
      port: 9090
      tools:
        - name: list-notes
          description: List notes
          call: notes.list-notes
`;
const AUTH = '        key: x-api-key\n        value: "{{NOTES_KEY}}"';
/** Line numbers (0-based) in `modeline + body`. */
const LINE = { keys: 7, emptyAuth: 16, typo: 24 };

interface Diagnostic { message: string; severity?: number; range: { start: { line: number; character: number } } }
interface CompletionItem { label: string; documentation?: string | { value: string } }
const docText = (d: CompletionItem['documentation']): string => (typeof d === 'string' ? d : d?.value ?? '');

let client: LspClient;
let proxy: Server;
let proxyConnections = 0;
let version = 0;

/** Opens a document (a file URI under capabilities/, so the modeline's relative path resolves) and returns its diagnostics. */
async function open(name: string, text: string): Promise<Diagnostic[]> {
  const uri = pathToFileURL(path.join(REPO, 'capabilities', name)).href;
  client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: ++version, text } });
  const published = (await client.waitFor('textDocument/publishDiagnostics', (p) => (p as { uri: string }).uri === uri)) as { diagnostics: Diagnostic[] };
  return published.diagnostics;
}
const uriOf = (name: string): string => pathToFileURL(path.join(REPO, 'capabilities', name)).href;

describe.skipIf(!available)('yaml-language-server with our schema', () => {
  beforeAll(async () => {
    proxy = createServer((socket) => { proxyConnections++; socket.destroy(); });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const yaml = { validate: true, hover: true, completion: true, schemas: {}, schemaStore: { enable: false }, format: { enable: false } };
    client = new LspClient(process.execPath, [SERVER, '--stdio'], (method) => {
      if (method === 'workspace/configuration') return [yaml, { proxy: proxyUrl, proxyStrictSSL: false }, {}, {}];
      return null;
    });
    await client.request('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(REPO).href,
      workspaceFolders: [{ uri: pathToFileURL(REPO).href, name: 'naftiko-run' }],
      capabilities: {
        workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
        textDocument: {
          publishDiagnostics: {},
          completion: { completionItem: { documentationFormat: ['markdown', 'plaintext'] } },
          hover: { contentFormat: ['markdown', 'plaintext'] },
        },
      },
    }, 30_000);
    client.notify('initialized', {});
    client.notify('workspace/didChangeConfiguration', { settings: { yaml } });
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await new Promise((resolve) => proxy?.close(resolve));
    expect(proxyConnections, 'the language server tried to reach the network').toBe(0);
  }, 20_000);

  it('reports the misspelt field (editor copy, draft-07) at its line', async () => {
    const diagnostics = await open('editor-typo.yaml', `${EDITOR_MODELINE}\n${body(AUTH)}`);
    const typo = diagnostics.filter((d) => d.message.includes('inputParamaters'));
    expect(typo, JSON.stringify(diagnostics)).toHaveLength(1);
    expect(typo[0]!.message).toMatch(/not allowed/i);
    expect(typo[0]!.range.start.line).toBe(LINE.typo);
  }, 30_000);

  it('finds nothing wrong in the same capability spelt right', async () => {
    const diagnostics = await open('editor-right.yaml', `${EDITOR_MODELINE}\n${body(AUTH, 'inputParameters')}`);
    expect(diagnostics).toEqual([]);
  }, 30_000);

  it('reports the misspelt field with the 2020-12 schema too', async () => {
    const diagnostics = await open('editor-typo-2020.yaml', `${MAIN_MODELINE}\n${body(AUTH)}`);
    expect(diagnostics.filter((d) => d.message.includes('inputParamaters')), JSON.stringify(diagnostics)).toHaveLength(1);
  }, 30_000);

  it('finds nothing wrong in capabilities/bulksync.yaml', async () => {
    const text = readFileSync(path.join(REPO, 'capabilities', 'bulksync.yaml'), 'utf8');
    const diagnostics = await open('bulksync.yaml', text);
    expect(diagnostics).toEqual([]);
  }, 30_000);

  it('offers the apikey fields with their descriptions', async () => {
    const name = 'editor-complete.yaml';
    await open(name, `${EDITOR_MODELINE}\n${body('        ')}`);
    const result = (await client.request('textDocument/completion', {
      textDocument: { uri: uriOf(name) },
      position: { line: LINE.emptyAuth, character: 8 },
    })) as { items: CompletionItem[] } | CompletionItem[];
    const items = Array.isArray(result) ? result : result.items;
    const labels = items.map((i) => i.label);
    expect(labels).toEqual(expect.arrayContaining(['key', 'value', 'placement']));
    expect(docText(items.find((i) => i.label === 'key')!.documentation)).toContain('NAME of the header or query parameter');
  }, 30_000);

  it('shows a field\'s description on hover', async () => {
    const name = 'editor-hover.yaml';
    await open(name, `${EDITOR_MODELINE}\n${body(AUTH, 'inputParameters')}`);
    const hover = (await client.request('textDocument/hover', {
      textDocument: { uri: uriOf(name) },
      position: { line: LINE.keys, character: 6 },
    })) as { contents: { value: string } | string } | null;
    const contents = typeof hover?.contents === 'string' ? hover.contents : hover?.contents.value ?? '';
    expect(contents).toContain('LEFT side is the variable name');
  }, 30_000);
});
