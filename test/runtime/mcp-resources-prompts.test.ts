/**
 * MCP resources and prompts (FEATURES §8, §9) through the SDK client: the reference fixture against a
 * local upstream, static files (text, binary, traversal and symlink escapes refused), steps with mappings.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI_PATH, ensureBuilt } from '../build-dist.js';
import { ROOT, mcpClient, mcpError, start, startRecorder, tmpDir, type Recorder, type Started, type TmpDir } from './helpers.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/mcp/mcp-resources-prompts-capability.yaml');
const text = (c: { text?: unknown }) => c.text as string;

describe('the reference fixture mcp-resources-prompts-capability.yaml', () => {
  let upstream: Recorder;
  let rt: Started;
  let client: Client;

  beforeAll(async () => {
    upstream = await startRecorder((req) => {
      if (req.path.includes('/missing/')) return { status: 404, body: { error: 'not_found' } };
      if (req.path.includes('/broken/')) return { status: 500, body: { error: 'boom' } };
      return { status: 200, body: { results: [{ id: 'p-1' }], asked: req.path } };
    });
    rt = await start({ file: FIXTURE, baseUris: new Map([['mock-api', `${upstream.url}/v1`]]), env: {} });
    client = await mcpClient(rt.mcp);
  });
  afterAll(async () => {
    await client?.close();
    await rt?.close();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });

  it('advertises resources and prompts at initialize', () => {
    expect(client.getServerCapabilities()).toMatchObject({ tools: {}, resources: {}, prompts: {} });
  });

  it('resources/list names the plain dynamic resource; the template is only in resources/templates/list', async () => {
    expect((await client.listResources()).resources).toEqual([{
      uri: 'data://databases/pre-release/schema', name: 'database-schema', title: 'Database Schema',
      description: 'Schema of the pre-release participants database', mimeType: 'application/json',
    }]);
    expect((await client.listResourceTemplates()).resourceTemplates).toEqual([{
      uriTemplate: 'data://users/{userId}/profile', name: 'user-profile', title: 'User Profile', description: 'User profile by ID', mimeType: 'application/json',
    }]);
  });

  it('reads the plain resource: the call with its with, the upstream body as text', async () => {
    const r = await client.readResource({ uri: 'data://databases/pre-release/schema' });
    expect(r.contents).toHaveLength(1);
    expect(r.contents[0]).toMatchObject({ uri: 'data://databases/pre-release/schema', mimeType: 'application/json' });
    expect(JSON.parse(text(r.contents[0]!))).toEqual({ results: [{ id: 'p-1' }], asked: '/v1/databases/test-db-id-123/query' });
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]).toMatchObject({ method: 'POST', path: '/v1/databases/test-db-id-123/query' });
    expect(JSON.parse(upstream.requests[0]!.body)).toEqual({ filter: { property: 'Status', select: { equals: 'Committed' } } });
  });

  it('reads the template: the variable fills {{userId}}, percent-decoded, and is re-encoded upstream', async () => {
    const r = await client.readResource({ uri: 'data://users/u-42/profile' });
    expect(r.contents[0]!.uri).toBe('data://users/u-42/profile');
    expect(upstream.requests.at(-1)!.path).toBe('/v1/databases/u-42/query');
    await client.readResource({ uri: 'data://users/a%20b%C3%A9/profile' });
    expect(upstream.requests.at(-1)!.path).toBe('/v1/databases/a%20b%C3%A9/query');
  });

  it('an unknown URI, or one the template does not match, is -32002 and reaches no upstream', async () => {
    for (const uri of ['data://nope', 'data://users//profile', 'data://users/a/b/profile', 'data://databases/pre-release/schema/x']) {
      const e = await mcpError(client.readResource({ uri }));
      expect(e.code, uri).toBe(-32002);
      expect(e.message).toContain(uri);
      expect(e.data).toEqual({ uri });
    }
    expect(upstream.requests).toHaveLength(0);
  });

  it('an upstream 404 is -32002, another error -32603 with the status and body', async () => {
    const missing = await mcpError(client.readResource({ uri: 'data://users/missing/profile' }));
    expect(missing.code).toBe(-32002);
    const broken = await mcpError(client.readResource({ uri: 'data://users/broken/profile' }));
    expect(broken.code).toBe(-32603);
    expect(broken.data).toMatchObject({ status: 500, body: '{"error":"boom"}' });
  });

  it('a malformed percent escape in a variable is -32602', async () => {
    expect((await mcpError(client.readResource({ uri: 'data://users/%E0%A4/profile' }))).code).toBe(-32602);
  });

  it('prompts/list: both prompts in declaration order, arguments with descriptions and required', async () => {
    expect((await client.listPrompts()).prompts).toEqual([
      {
        name: 'participant-outreach', title: 'Participant Outreach', description: 'Draft outreach message to pre-release participants',
        arguments: [
          { name: 'participant_name', description: 'Name of the participant', required: true },
          { name: 'product_name', description: 'Name of the product', required: true },
        ],
      },
      {
        name: 'summary-prompt', title: 'Summary Prompt', description: 'Summarize data in a given format',
        arguments: [
          { name: 'data', description: 'The raw data to summarize', required: true },
          { name: 'format', description: 'Output format: bullet-points, paragraph, or table', required: false },
        ],
      },
    ]);
  });

  it('prompts/get substitutes every argument once; a value holding {{…}} is not substituted again', async () => {
    const r = await client.getPrompt({ name: 'participant-outreach', arguments: { participant_name: 'Ada {{product_name}}', product_name: 'Nimbus' } });
    expect(r.description).toBe('Draft outreach message to pre-release participants');
    expect(r.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Draft a personalized outreach email to Ada {{product_name}} about the upcoming Nimbus pre-release. Be professional but friendly.' } }]);
  });

  it('an absent optional argument is empty; every template message comes back with its role', async () => {
    const r = await client.getPrompt({ name: 'summary-prompt', arguments: { data: 'a,b' } });
    expect(r.messages.map((m) => [m.role, (m.content as { text: string }).text])).toEqual([
      ['user', 'Summarize the following data in  format:\n\na,b'],
      ['assistant', "I'll summarize the data for you."],
      ['user', 'Please focus on the key insights.'],
    ]);
  });

  it('a missing required argument, an undeclared argument and an unknown prompt are -32602', async () => {
    const missing = await mcpError(client.getPrompt({ name: 'summary-prompt', arguments: { format: 'table' } }));
    expect(missing.code).toBe(-32602);
    expect(missing.message).toContain('missing required argument "data"');
    const extra = await mcpError(client.getPrompt({ name: 'summary-prompt', arguments: { data: 'x', colour: 'red' } }));
    expect(extra.code).toBe(-32602);
    expect(extra.message).toContain('"colour"');
    const unknown = await mcpError(client.getPrompt({ name: 'nope' }));
    expect(unknown.code).toBe(-32602);
    expect(unknown.message).toContain('participant-outreach, summary-prompt');
  });

  it('the tool still works beside them', async () => {
    const r = await client.callTool({ name: 'query-database' });
    expect(r.isError).toBeFalsy();
  });
});

describe('static resources from a folder', () => {
  let dir: TmpDir;
  let rt: Started;
  let client: Client;
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

  beforeAll(async () => {
    dir = tmpDir();
    const docs = path.join(dir.dir, 'docs');
    mkdirSync(path.join(docs, 'sub'), { recursive: true });
    writeFileSync(path.join(docs, 'readme.md'), '# Hello\nwörld\n');
    writeFileSync(path.join(docs, 'pixel.png'), png);
    writeFileSync(path.join(docs, 'sub', 'a.json'), '{"a":1}');
    writeFileSync(path.join(docs, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    writeFileSync(path.join(docs, '.secret'), 'hidden');
    writeFileSync(path.join(dir.dir, 'outside.txt'), 'outside the folder');
    symlinkSync(path.join(dir.dir, 'outside.txt'), path.join(docs, 'escape.txt'));
    symlinkSync(dir.dir, path.join(docs, 'up'));
    symlinkSync(path.join(docs, 'readme.md'), path.join(docs, 'inside.md'));
    const file = dir.write('static.yaml', `
naftiko: 1.0.0-alpha3
capability:
  exposes:
    - type: mcp
      namespace: files
      port: 9090
      tools:
        - name: hello
          description: mock
          outputParameters: [{ name: m, type: string, value: hi }]
      resources:
        - name: api-docs
          label: API Docs
          uri: docs://api
          description: The docs folder
          location: file:///./docs
        - name: typed
          label: Typed
          uri: typed://x/
          description: Everything declared as text/plain
          mimeType: text/plain
          location: file:///./docs/sub
`);
    rt = await start({ file, env: {} });
    client = await mcpClient(rt.mcp);
  });
  afterAll(async () => {
    await client?.close();
    await rt?.close();
    dir?.remove();
  });

  it('lists one resource per served file (hidden files and links out of the folder left out), named by its path', async () => {
    const { resources } = await client.listResources();
    expect(resources.map((r) => [r.uri, r.name, r.mimeType])).toEqual([
      ['docs://api/inside.md', 'inside.md', 'text/markdown'],
      ['docs://api/latin1.txt', 'latin1.txt', 'text/plain'],
      ['docs://api/pixel.png', 'pixel.png', 'image/png'],
      ['docs://api/readme.md', 'readme.md', 'text/markdown'],
      ['docs://api/sub/a.json', 'sub/a.json', 'application/json'],
      ['typed://x/a.json', 'a.json', 'text/plain'],
    ]);
    expect(resources[0]).toMatchObject({ title: 'API Docs', description: 'The docs folder' });
  });

  it('text as UTF-8 text, binary as a base64 blob, the declared mimeType over the extension', async () => {
    expect((await client.readResource({ uri: 'docs://api/readme.md' })).contents).toEqual([{ uri: 'docs://api/readme.md', mimeType: 'text/markdown', text: '# Hello\nwörld\n' }]);
    const bin = (await client.readResource({ uri: 'docs://api/pixel.png' })).contents[0]!;
    expect(bin).toMatchObject({ uri: 'docs://api/pixel.png', mimeType: 'image/png' });
    expect(Buffer.from(bin.blob as string, 'base64').equals(png)).toBe(true);
    expect('text' in bin).toBe(false);
    expect((await client.readResource({ uri: 'typed://x/a.json' })).contents[0]).toEqual({ uri: 'typed://x/a.json', mimeType: 'text/plain', text: '{"a":1}' });
    // a link that stays inside the folder is served
    expect(text((await client.readResource({ uri: 'docs://api/inside.md' })).contents[0]!)).toBe('# Hello\nwörld\n');
  });

  it('a text file that is not UTF-8 reaches the client byte for byte, as a blob', async () => {
    const c = (await client.readResource({ uri: 'docs://api/latin1.txt' })).contents[0]!;
    expect(Buffer.from(c.blob as string, 'base64')).toEqual(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
  });

  it('a symlink out of the folder, a hidden file, the folder itself and a missing file are -32002', async () => {
    for (const uri of ['docs://api/escape.txt', 'docs://api/up/outside.txt', 'docs://api/.secret', 'docs://api', 'docs://api/nope.md', 'docs://api/sub']) {
      const e = await mcpError(client.readResource({ uri }));
      expect(e.code, uri).toBe(-32002);
      expect(e.message).not.toContain('outside the folder');
    }
  });

  it('dot segments, encoded slashes and backslashes are -32602, nothing read', async () => {
    for (const uri of ['docs://api/../outside.txt', 'docs://api/sub/../../outside.txt', 'docs://api/%2e%2e/outside.txt', 'docs://api/sub%2fa.json', 'docs://api/..%5coutside.txt', 'docs://api//readme.md']) {
      const e = await mcpError(client.readResource({ uri }));
      expect(e.code, uri).toBe(-32602);
      expect(e.message).toContain('Invalid resource URI');
    }
  });

  it('no prompts declared: prompts are not advertised and prompts/list is method-not-found', async () => {
    expect(client.getServerCapabilities()?.prompts).toBeUndefined();
    expect((await mcpError(client.listPrompts())).code).toBe(-32601);
  });
});

describe('a dynamic resource backed by steps with mappings, and hyphenated prompt arguments', () => {
  let upstream: Recorder;
  let dir: TmpDir;
  let rt: Started;
  let client: Client;

  beforeAll(async () => {
    upstream = await startRecorder((req) =>
      req.path.startsWith('/ships/') ? { body: { imo: req.path.split('/')[2], name: 'Aurora', crewIds: ['c1'] } }
      : req.path === '/crew' ? { body: [{ id: 'c1', fullName: 'Ada' }, { id: 'c2', fullName: 'Bob' }] }
      : req.path === '/logo' ? { headers: { 'content-type': 'image/gif' }, body: 'GIF89a\u0000' }
      : { status: 404 });
    dir = tmpDir();
    const file = dir.write('ships.yaml', `
naftiko: 1.0.0-alpha3
capability:
  consumes:
    - type: http
      namespace: reg
      baseUri: ${upstream.url}
      resources:
        - name: ship
          path: /ships/{{imo}}
          operations: [{ name: get-ship, method: GET }]
        - name: crew
          path: /crew
          operations: [{ name: list-crew, method: GET }]
        - name: logo
          path: /logo
          operations: [{ name: get-logo, method: GET }]
  exposes:
    - type: mcp
      namespace: ships
      port: 9090
      tools:
        - name: get-ship
          description: one ship
          call: reg.get-ship
      resources:
        - name: ship-card
          label: Ship card
          uri: "ships://{{imo}}/card"
          description: A ship with its crew
          steps:
            - { type: call, name: ship, call: reg.get-ship, with: { imo: "{{imo}}" } }
            - { type: call, name: crew, call: reg.list-crew }
            - { type: lookup, name: names, index: crew, match: id, lookupValue: "$.ship.crewIds", outputParameters: [fullName] }
          mappings:
            - { targetName: imo, value: "$.ship.imo" }
            - { targetName: vessel.name, value: "$.ship.name" }
            - { targetName: crew, value: "$.names" }
        - name: logo
          label: Logo
          uri: ships://logo
          description: The registry logo, as the upstream sends it
          call: reg.get-logo
      prompts:
        - name: brief
          label: Brief
          description: A briefing
          arguments:
            - { name: ship-name, description: the ship }
            - { name: tone, description: the tone, required: false }
          template:
            - { role: user, content: "Brief me on {{ ship-name }} in a {{tone}} tone; {{unknown}} stays." }
`);
    rt = await start({ file, env: {} });
    client = await mcpClient(rt.mcp);
  });
  afterAll(async () => {
    await client?.close();
    await rt?.close();
    await upstream?.close();
    dir?.remove();
  });

  it('runs the steps and answers the mapped object as JSON', async () => {
    const r = await client.readResource({ uri: 'ships://9321483/card' });
    expect(r.contents[0]!.mimeType).toBe('application/json');
    expect(JSON.parse(text(r.contents[0]!))).toEqual({ imo: '9321483', vessel: { name: 'Aurora' }, crew: [{ fullName: 'Ada' }] });
    expect(upstream.requests.map((q) => q.path).sort()).toEqual(['/crew', '/ships/9321483']);
  });

  it('an unmapped answer keeps the upstream content type; a binary one is a blob', async () => {
    const c = (await client.readResource({ uri: 'ships://logo' })).contents[0]!;
    expect(c.mimeType).toBe('image/gif');
    expect(Buffer.from(c.blob as string, 'base64').toString('latin1')).toBe('GIF89a\u0000');
  });

  it('hyphenated argument names are substituted (spaces inside the braces allowed); undeclared placeholders stay', async () => {
    const r = await client.getPrompt({ name: 'brief', arguments: { 'ship-name': 'Aurora', tone: 'dry' } });
    expect((r.messages[0]!.content as { text: string }).text).toBe('Brief me on Aurora in a dry tone; {{unknown}} stays.');
    const list = (await client.listPrompts()).prompts[0]!;
    expect(list.arguments).toEqual([{ name: 'ship-name', description: 'the ship', required: true }, { name: 'tone', description: 'the tone', required: false }]);
  });
});

describe('over stdio (transport: stdio, the built CLI)', () => {
  let dir: TmpDir;
  let client: Client;

  beforeAll(async () => {
    ensureBuilt();
    dir = tmpDir();
    mkdirSync(path.join(dir.dir, 'notes'));
    writeFileSync(path.join(dir.dir, 'notes', 'todo.txt'), 'buy milk');
    const file = dir.write('stdio.yaml', `
naftiko: 1.0.0-alpha3
capability:
  exposes:
    - type: mcp
      transport: stdio
      namespace: local
      tools:
        - name: hello
          description: mock
          outputParameters: [{ name: m, type: string, value: hi }]
      resources:
        - { name: notes, label: Notes, description: My notes, uri: "notes://", location: "file:///./notes" }
      prompts:
        - name: plan
          label: Plan
          description: Plan the day
          arguments: [{ name: focus, description: what matters }]
          template: [{ role: user, content: "Plan a day around {{focus}}." }]
`);
    client = new Client({ name: 'naftiko-run-tests', version: '0.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI_PATH, file, '--log-level', 'silent'], cwd: dir.dir, stderr: 'ignore' }));
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    dir?.remove();
  });

  it('lists and reads the files, lists and renders the prompt', async () => {
    expect((await client.listResources()).resources.map((r) => r.uri)).toEqual(['notes://todo.txt']);
    expect((await client.readResource({ uri: 'notes://todo.txt' })).contents).toEqual([{ uri: 'notes://todo.txt', mimeType: 'text/plain', text: 'buy milk' }]);
    expect((await mcpError(client.readResource({ uri: 'notes://../stdio.yaml' }))).code).toBe(-32602);
    const r = await client.getPrompt({ name: 'plan', arguments: { focus: 'rest' } });
    expect(r.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Plan a day around rest.' } }]);
    expect((await mcpError(client.getPrompt({ name: 'plan' }))).code).toBe(-32602);
  });
});

describe('inbound authentication covers resources and prompts', () => {
  let dir: TmpDir;
  let rt: Started;

  beforeAll(async () => {
    dir = tmpDir();
    mkdirSync(path.join(dir.dir, 'docs'));
    writeFileSync(path.join(dir.dir, 'docs', 'a.txt'), 'secret doc');
    const file = dir.write('auth.yaml', `
naftiko: 1.0.0-alpha3
binds:
  - namespace: env
    keys:
      TOKEN: DOCS_TOKEN
capability:
  exposes:
    - type: mcp
      namespace: guarded
      port: 9090
      authentication: { type: bearer, token: "{{TOKEN}}" }
      tools:
        - name: hello
          description: mock
          outputParameters: [{ name: m, type: string, value: hi }]
      resources:
        - { name: docs, label: Docs, description: d, uri: "docs://x", location: "file:///./docs" }
      prompts:
        - { name: p, label: P, description: d, template: [{ role: user, content: hi }] }
`);
    rt = await start({ file, env: { DOCS_TOKEN: 'tok-1' } });
  });
  afterAll(async () => {
    await rt?.close();
    dir?.remove();
  });

  const post = (method: string, params: unknown, token?: string) => fetch(rt.mcp, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });

  it('no credential or a wrong one: 401 before any resource or prompt is touched; the right one reads', async () => {
    for (const [method, params] of [['resources/list', {}], ['resources/read', { uri: 'docs://x/a.txt' }], ['prompts/get', { name: 'p' }]] as const) {
      for (const token of [undefined, 'wrong']) {
        const r = await post(method, params, token);
        expect(r.status, `${method} ${token}`).toBe(401);
        expect(await r.text()).not.toContain('secret doc');
      }
    }
    const ok = await post('resources/read', { uri: 'docs://x/a.txt' }, 'tok-1');
    expect(ok.status).toBe(200);
    expect((await ok.json()).result.contents[0].text).toBe('secret doc');
  });
});
