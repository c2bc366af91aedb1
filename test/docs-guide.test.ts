/**
 * docs/guide.md: every block whose first line is `# file: NAME` is written to a folder; every capability
 * among them loads with the real loader, and each section's example is served against a local upstream
 * and called over REST and (where it has an MCP adapter) with the MCP SDK client. The README's
 * "From zero" section reuses the guide's first example, checked here too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { loadCapability } from '../src/spec/load.js';
import { startRuntime, type Runtime } from '../src/runtime.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startAuthorizationServer } from './auth/authorization-server.js';
import { call, jsonInit, mcpClient, startRecorder, tmpDir, type Recorded, type Recorder, type TmpDir } from './runtime/helpers.js';

const PAGE = readFileSync(new URL('../docs/guide.md', import.meta.url), 'utf8');
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const FILES = [...PAGE.matchAll(/```[a-z]*\n# file: (\S+)\n([\s\S]*?)```/g)].map((m) => ({ name: m[1]!, text: `# file: ${m[1]}\n${m[2]}` }));
const CAPABILITIES = FILES.filter((f) => /^capability:/m.test(f.text)).map((f) => f.name);

/** The upstream the examples call: one answer per path, everything recorded. */
function answer(req: Recorded) {
  const p = req.path.replace(/^\/(v1|notes-api|search-api|archive-api)/, '');
  if (/^\/notes\/[^/]+$/.test(p)) return { body: { id: decodeURIComponent(p.split('/')[2]!), title: 'Groceries', author: { name: 'Ana' }, body: 'milk' } };
  if (p === '/notes' && req.method === 'POST') return { status: 201, body: { id: 'n-9' } };
  if (p === '/notes') return { body: [{ id: 'n-1' }] };
  if (/^\/notes\/[^/]+\/tags$/.test(p)) return { body: { tagCount: 1, tags: ['urgent'] } };
  if (p === '/search' || p === '/archive') return { body: { hits: [] } };
  return { status: 404, body: { error: 'not_found' } };
}

describe('docs/guide.md', () => {
  let dir: TmpDir;
  let upstream: Recorder;
  const runtimes: Runtime[] = [];
  const file = (name: string) => path.join(dir.dir, name);
  const last = () => upstream.requests.at(-1)!;

  /** Serves one example, every consumes namespace pointed at the recorder (keeping the baseUri's path). */
  async function serve(name: string, env: Record<string, string> = {}) {
    const text = FILES.find((f) => f.name === name)!.text;
    const baseUris = new Map([...text.matchAll(/namespace: (\S+)\n\s+baseUri: http:\/\/127\.0\.0\.1:3000(\S*)/g)].map((m) => [m[1]!, upstream.url + m[2]!]));
    const ports = new Map([...text.matchAll(/- type: (?:rest|mcp|skill)\n\s+namespace: (\S+)/g)].map((m) => [m[1]!, 0]));
    if (/- type: control\n/.test(text)) ports.set('control', 0);
    const runtime = await startRuntime({ files: [file(name)], baseUris, ports, logLevel: 'silent', env });
    runtimes.push(runtime);
    return Object.fromEntries(runtime.adapters.map((a) => [a.namespace, a.url]));
  }
  async function withMcp<T>(url: string, fn: (c: Awaited<ReturnType<typeof mcpClient>>) => Promise<T>): Promise<T> {
    const client = await mcpClient(url);
    try {
      return await fn(client);
    } finally {
      await client.close();
    }
  }

  beforeAll(async () => {
    dir = tmpDir();
    for (const f of FILES) {
      mkdirSync(path.dirname(file(f.name)), { recursive: true });
      writeFileSync(file(f.name), f.text);
    }
    upstream = await startRecorder(answer);
  });
  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.close()));
    await upstream.close();
    dir.remove();
  });

  it('has one example per section', () => {
    expect(FILES.map((f) => f.name)).toEqual(['first.yaml', 'binds.yaml', 'notes.env', 'consumes.yaml', 'auth.yaml', 'auth-flows.yaml', 'exposes.yaml', 'aggregates.yaml', 'skills.yaml', 'orchestration.yaml', 'operating.yaml', 'mcp-content.yaml', 'handbook/welcome.md', 'protected.yaml']);
  });

  it.each(CAPABILITIES)('%s loads without errors or warnings', (name) => {
    const model = loadCapability(file(name), { env: {} });
    expect(model.warnings.map((w) => w.message)).toEqual([]);
  });

  it('1. the smallest capability: REST path input and MCP tool, both inferred, body passed through', async () => {
    const urls = await serve('first.yaml');
    const r = await call(`${urls.api}/notes/7`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ id: '7', title: 'Groceries', author: { name: 'Ana' }, body: 'milk' });
    expect(last().method).toBe('GET');
    expect(last().path).toBe('/notes/7');
    await withMcp(urls.tools!, async (c) => {
      const { tools } = await c.listTools();
      expect(tools.map((t) => t.name)).toEqual(['get-note']);
      expect(tools[0]!.inputSchema.required).toEqual(['id']);
      const t = await c.callTool({ name: 'get-note', arguments: { id: 'a b' } });
      expect(t.structuredContent).toEqual({ id: 'a b', title: 'Groceries', author: { name: 'Ana' }, body: 'milk' });
      expect(last().path).toBe('/notes/a%20b');
    });
  });

  it('README "From zero" reuses the first example, with the commands it shows', () => {
    const section = README.slice(README.indexOf('## From zero'), README.indexOf('\n## ', README.indexOf('## From zero') + 5));
    const block = /( *)```yaml\n([\s\S]*?)\1```/.exec(section)!;
    const yaml = block[2]!.split('\n').map((l) => l.slice(block[1]!.length)).join('\n');
    expect(yaml).toBe(FILES[0]!.text.replace(/^# file: \S+\n/, ''));
    expect(section).toContain('npx naftiko-run validate first.yaml');
    expect(section).toContain('npx naftiko-run first.yaml');
    expect(section).toContain('.listen(3000,');
    expect(section).toContain('curl http://127.0.0.1:8080/notes/7');
    expect(section).toContain('"name":"get-note","arguments":{"id":"7"}');
  });

  it('2. binds: the right side is the environment variable or the file key; an unset one answers 401', async () => {
    const urls = await serve('binds.yaml', { NOTES_API_TOKEN: 't-123' });
    const r = await call(`${urls.api}/notes`);
    expect(r.status).toBe(200);
    expect(last().headers.authorization).toBe('Bearer t-123');
    expect(last().headers['x-tenant']).toBe('acme');
    const before = upstream.requests.length;
    const unset = await serve('binds.yaml', { NOTES_TOKEN: 'not-the-env-name' });
    const u = await call(`${unset.api}/notes`);
    expect(u.status).toBe(401);
    expect(u.text).toContain('NOTES_API_TOKEN');
    expect(u.text).not.toContain('not-the-env-name');
    expect(upstream.requests.length).toBe(before);
    const caller = await call(`${unset.api}/notes`, { headers: { authorization: 'Bearer mine' } });
    expect(caller.status).toBe(401); // no Authorization parameter declared: the caller's is not passed
    expect(upstream.requests.length).toBe(before);
  });

  it('3. consumes: query, header, body fields, a JSON body template; consumed outputs leave a call unchanged', async () => {
    const urls = await serve('consumes.yaml');
    const s = await call(`${urls.api}/notes?q=milk&limit=5`, { headers: { 'accept-language': 'fr' } });
    expect(s.status).toBe(200);
    expect(last().path).toBe('/v1/notes');
    expect(last().query.get('q')).toBe('milk');
    expect(last().query.get('limit')).toBe('5');
    expect(last().headers['accept-language']).toBe('fr');
    const before = upstream.requests.length;
    const bad = await call(`${urls.api}/notes?q=milk&limit=ten`);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('limit');
    const missing = await call(`${urls.api}/notes`);
    expect(missing.status).toBe(400);
    expect(upstream.requests.length).toBe(before);
    const nolimit = await call(`${urls.api}/notes?q=milk`);
    expect(nolimit.status).toBe(200);
    expect([...last().query.keys()]).toEqual(['q']);
    const c = await call(`${urls.api}/notes`, jsonInit('POST', { title: 'Groceries', pinned: true }));
    expect(c.status).toBe(201);
    expect(JSON.parse(last().body)).toEqual({ title: 'Groceries', pinned: true });
    const t = await call(`${urls.api}/notes/7/tags?tag=urgent`, { method: 'PUT' });
    expect(t.status).toBe(200);
    expect(last().method).toBe('PUT');
    expect(last().path).toBe('/v1/notes/7/tags');
    expect(last().headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(last().body)).toEqual({ tags: ['urgent'], source: 'naftiko' });
    expect(t.json).toEqual({ tagCount: 1, tags: ['urgent'] });
  });

  it('4. upstream authentication: bearer, apikey in the query, basic', async () => {
    const urls = await serve('auth.yaml', { NOTES_TOKEN: 'tok', SEARCH_KEY: 'sk-1', ARCHIVE_PASSWORD: 'pw' });
    expect((await call(`${urls.api}/notes`, { headers: { authorization: 'Bearer caller' } })).status).toBe(200);
    expect(last().path).toBe('/notes-api/notes');
    expect(last().headers.authorization).toBe('Bearer tok');
    expect((await call(`${urls.api}/search`)).status).toBe(200);
    expect(last().path).toBe('/search-api/search');
    expect(last().query.get('api_key')).toBe('sk-1');
    expect(last().headers.authorization).toBeUndefined();
    expect((await call(`${urls.api}/archive`)).status).toBe(200);
    expect(last().headers.authorization).toBe(`Basic ${Buffer.from('naftiko:pw').toString('base64')}`);
  });

  it('4. digest and oauth2 client credentials: a challenge answered, a token fetched once and reused', async () => {
    const realm = 'legacy';
    const nonce = 'n-1';
    const H = (x: string) => createHash('sha256').update(x).digest('hex');
    const tokenForms: URLSearchParams[] = [];
    const previous = upstream.answer;
    upstream.answer = (req) => {
      if (req.path === '/oauth/token') {
        tokenForms.push(new URLSearchParams(req.body));
        const basic = `Basic ${Buffer.from('crm-app:s3cret').toString('base64')}`;
        return req.headers.authorization === basic ? { body: { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600 } } : { status: 401, body: { error: 'invalid_client' } };
      }
      if (req.path.startsWith('/crm-api/')) return req.headers.authorization === 'Bearer at-1' ? { body: { contacts: [] } } : { status: 401 };
      if (req.path.startsWith('/legacy-api/')) {
        const p = Object.fromEntries([...String(req.headers.authorization ?? '').matchAll(/(\w+)="?([^",]*)"?/g)].map((m) => [m[1], m[2]]));
        const expected = p.nc && H(`${H(`naftiko:${realm}:pw`)}:${nonce}:${p.nc}:${p.cnonce}:auth:${H(`GET:${req.url}`)}`);
        if (expected && p.response === expected) return { body: { reports: [] } };
        return { status: 401, headers: { 'www-authenticate': `Digest realm="${realm}", qop="auth", algorithm=SHA-256, nonce="${nonce}"` } };
      }
      return previous(req);
    };
    try {
      const text = FILES.find((f) => f.name === 'auth-flows.yaml')!.text;
      writeFileSync(file('auth-flows.yaml'), text.replace('http://127.0.0.1:3000/oauth/token', `${upstream.url}/oauth/token`));
      const urls = await serve('auth-flows.yaml', { LEGACY_PASSWORD: 'pw', CRM_CLIENT_ID: 'crm-app', CRM_CLIENT_SECRET: 's3cret' });
      const before = upstream.requests.length;
      expect((await call(`${urls.api}/reports`)).status).toBe(200);
      expect((await call(`${urls.api}/reports`)).status).toBe(200);
      const digest = upstream.requests.slice(before).map((r) => /nc=(\w+)/.exec(String(r.headers.authorization ?? ''))?.[1] ?? 'none');
      expect(digest).toEqual(['none', '00000001', '00000002']);
      expect((await call(`${urls.api}/contacts`)).status).toBe(200);
      expect((await call(`${urls.api}/contacts`)).status).toBe(200);
      expect(tokenForms.map((f) => Object.fromEntries(f))).toEqual([{ grant_type: 'client_credentials', scope: 'contacts.read', resource: 'https://crm.example.com' }]);
    } finally {
      upstream.answer = previous;
    }
  });

  it('4. a bare variable name as a token is a warning', () => {
    const bare = FILES.find((f) => f.name === 'auth.yaml')!.text.replace('token: "{{NOTES_TOKEN}}"', 'token: NOTES_TOKEN');
    writeFileSync(file('auth-bare.yaml'), bare);
    const model = loadCapability(file('auth-bare.yaml'), { env: {} });
    expect(model.warnings.map((w) => w.code)).toContain('NR_WARN_AUTH_LITERAL_VARIABLE');
  });

  it('5. exposes: declared inputs with `with`, mapped outputs, a mock, inferred MCP inputs and hints', async () => {
    const urls = await serve('exposes.yaml');
    const r = await call(`${urls.api}/notes/7`);
    expect(r.json).toEqual({ title: 'Groceries', author: 'Ana' });
    expect(last().path).toBe('/notes/7');
    expect(last().query.get('fields')).toBe('title,author');
    const before = upstream.requests.length;
    const m = await call(`${urls.api}/status`);
    expect(m.json).toEqual({ status: 'ok' });
    expect(upstream.requests.length).toBe(before);
    await withMcp(urls.tools!, async (c) => {
      const { tools } = await c.listTools();
      const get = tools.find((t) => t.name === 'get-note')!;
      expect(Object.keys(get.inputSchema.properties ?? {}).sort()).toEqual(['fields', 'id']);
      expect(get.inputSchema.required).toEqual(['id']);
      expect(get.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: true });
      const g = await c.callTool({ name: 'get-note', arguments: { id: '8', fields: 'title' } });
      expect(g.structuredContent).toEqual({ id: '8', title: 'Groceries', author: { name: 'Ana' }, body: 'milk' });
      expect(last().url).toBe('/notes/8?fields=title');
      const title = await c.callTool({ name: 'note-title', arguments: { id: '9' } });
      expect((title.content as { text: string }[])[0]!.text).toBe('"Groceries"');
      expect(last().url).toBe('/notes/9');
    });
  });

  it('6. aggregates: one function served by REST and MCP, semantics as hints', async () => {
    const urls = await serve('aggregates.yaml');
    const r = await call(`${urls.api}/notes/7/title`);
    expect(r.json).toEqual({ title: 'Groceries' });
    expect(last().path).toBe('/notes/7');
    await withMcp(urls.tools!, async (c) => {
      const { tools } = await c.listTools();
      expect(tools.map((t) => [t.name, t.description])).toEqual([['note-title', 'The title of one note']]);
      expect(tools[0]!.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, idempotentHint: true });
      const t = await c.callTool({ name: 'note-title', arguments: { id: '3' } });
      expect(t.structuredContent).toEqual({ title: 'Groceries' });
      expect(last().path).toBe('/notes/3');
    });
  });

  it('7. skills: the catalog lists the skill; its tool still calls upstream', async () => {
    const urls = await serve('skills.yaml');
    const list = await call(`${urls.catalog}/skills`);
    expect(list.status).toBe(200);
    expect(list.text).toContain('notes');
    const one = await call(`${urls.catalog}/skills/notes`);
    expect(one.status).toBe(200);
    expect(one.text).toContain('get-note');
    await withMcp(urls.tools!, async (c) => {
      const t = await c.callTool({ name: 'get-note', arguments: { id: '5' } });
      expect(t.structuredContent).toMatchObject({ id: '5' });
      expect(last().path).toBe('/notes/5');
    });
  });

  it('9. operating: health, status, metrics and traces on the control port; POST /reload swaps the model', async () => {
    const urls = await serve('operating.yaml');
    expect((await call(`${urls.api}/notes/7`)).json).toMatchObject({ id: '7' });
    expect((await call(`${urls.control}/health/ready`)).json).toMatchObject({ status: 'UP' });
    expect((await call(`${urls.control}/status`)).json.capability).toMatchObject({ label: 'Notes' });
    const metrics = (await call(`${urls.control}/metrics`)).text;
    expect(metrics).toMatch(/^naftiko_request_total\{[^}]*naftiko_operation_id="\/notes\/\{id\} GET"[^}]*\} 1$/m);
    const traces = (await call(`${urls.control}/traces`)).json;
    expect(traces.bufferSize).toBe(50);
    expect(traces.traces[0]).toMatchObject({ operation: '/notes/{id} GET', status: 'OK', spanCount: 2 });
    expect(String(last().headers.traceparent)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect((await call(`${urls.control}/reload`, { method: 'POST' })).json).toMatchObject({ status: 'reloaded', reloads: 1 });
  });

  it('8. orchestration: a step output carries the consumed outputs', async () => {
    const urls = await serve('orchestration.yaml');
    const r = await call(`${urls.api}/notes/7/byline`);
    expect(r.json).toEqual({ title: 'Groceries', by: 'Ana' });
    expect(last().path).toBe('/notes/7');
  });

  it('10. MCP resources and prompts: a folder, a template over a call, a prompt', async () => {
    const urls = await serve('mcp-content.yaml');
    await withMcp(urls['notes-mcp']!, async (c) => {
      expect((await c.listResources()).resources.map((r) => [r.uri, r.name, r.mimeType])).toEqual([['docs://handbook/welcome.md', 'welcome.md', 'text/markdown']]);
      expect((await c.readResource({ uri: 'docs://handbook/welcome.md' })).contents[0]!.text).toBe('# file: handbook/welcome.md\nWelcome to the team.\n');
      expect((await c.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)).toEqual(['notes://{id}']);
      const note = (await c.readResource({ uri: 'notes://n-1' })).contents[0]!;
      expect(note.mimeType).toBe('application/json');
      expect(JSON.parse(note.text as string)).toMatchObject({ id: 'n-1', title: 'Groceries' });
      expect(last().path).toBe('/notes/n-1');
      const prompt = await c.getPrompt({ name: 'summarize-note', arguments: { 'note-id': 'n-1' } });
      expect(prompt.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Summarize note n-1 as ; read notes://n-1 first.' } }]);
      await expect(c.getPrompt({ name: 'summarize-note', arguments: {} })).rejects.toMatchObject({ code: -32602 });
      await expect(c.readResource({ uri: 'docs://handbook/../mcp-content.yaml' })).rejects.toMatchObject({ code: -32602 });
    });
  });

  it('11. inbound oauth2: 401 pointing at the metadata document, which names the issuer; its token calls the tool', async () => {
    const as = await startAuthorizationServer();
    try {
      const text = FILES.find((f) => f.name === 'protected.yaml')!.text.replace('http://127.0.0.1:8180/realms/notes', as.issuer);
      writeFileSync(file('protected-local.yaml'), text);
      const runtime = await startRuntime({ files: [file('protected-local.yaml')], baseUris: new Map([['notes', upstream.url]]), ports: new Map([['tools', 0]]), logLevel: 'silent', env: {} });
      runtimes.push(runtime);
      const mcp = runtime.adapters[0]!.url;
      const denied = await call(mcp, jsonInit('POST', { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { accept: 'application/json, text/event-stream' }));
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toContain('resource_metadata="http://127.0.0.1:9090/.well-known/oauth-protected-resource/mcp"');
      const prm = await call(`${new URL(mcp).origin}/.well-known/oauth-protected-resource/mcp`);
      expect(prm.json).toMatchObject({ resource: 'http://127.0.0.1:9090/mcp', authorization_servers: [as.issuer], scopes_supported: ['notes.read'] });
      const token = await as.sign({ aud: 'http://127.0.0.1:9090/mcp', scope: 'notes.read', exp: Math.floor(Date.now() / 1000) + 60 });
      const client = new Client({ name: 'guide', version: '0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(mcp), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
      try {
        const r = await client.callTool({ name: 'get-note', arguments: { id: '3' } });
        expect(r.structuredContent).toMatchObject({ id: '3' });
        expect(last().path).toBe('/notes/3');
        expect(last().headers.authorization).toBeUndefined();
      } finally {
        await client.close();
      }
    } finally {
      await as.close();
    }
  });
});
