/**
 * The round trip: an imported capability served as it is (startRuntime, every adapter on port 0)
 * against a recording upstream on 127.0.0.1, called over REST and over MCP with the SDK client; the
 * upstream sees the method, path, query, body and credential the description asks for. And `init`'s
 * scaffold: it validates with no warning and serves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { scaffold } from '../../src/cli/commands/init.js';
import { loadCapability } from '../../src/spec/load.js';
import { call, jsonInit, mcpClient, start, startRecorder, tmpDir, type Recorder, type Started } from '../runtime/helpers.js';
import { fixture, importAndLoad } from './openapi-helpers.js';

const tmp = tmpDir();
let upstream: Recorder;
beforeAll(async () => {
  upstream = await startRecorder((req) => ({ status: req.method === 'POST' ? 201 : 200, body: { got: `${req.method} ${req.url}` } }));
});
afterAll(async () => {
  await upstream.close();
  tmp.remove();
});

describe('petstore 3.0 imported, then served against a local upstream', () => {
  let served: Started;
  let mcp: Client;
  beforeAll(async () => {
    const r = await importAndLoad(tmp, fixture('petstore-3.0.yaml'), 'petstore.yaml');
    served = await start({ file: r.file, baseUris: new Map([['petstore', upstream.url]]), env: {} });
    mcp = await mcpClient(served.mcp);
  });
  afterAll(async () => {
    await mcp?.close();
    await served?.close();
  });

  it('REST: a query parameter, a typed path parameter, a JSON body, a DELETE — each reaches the upstream as declared', async () => {
    upstream.requests.length = 0;
    const list = await call(`${served.rest}/pets?limit=2`);
    expect(list.status).toBe(200);
    expect(list.json).toEqual({ got: 'GET /pets?limit=2' });
    expect((await call(`${served.rest}/pets?limit=two`)).status).toBe(400); // integer, checked before any call
    const created = await call(`${served.rest}/pets`, jsonInit('POST', { name: 'Rex', tag: 'dog' }));
    expect(created.status).toBe(201);
    expect((await call(`${served.rest}/pets`, jsonInit('POST', { tag: 'dog' }))).status).toBe(400); // name is required
    expect((await call(`${served.rest}/pets/7`)).json).toEqual({ got: 'GET /pets/7' });
    expect((await call(`${served.rest}/pets/7`, { method: 'DELETE' })).status).toBe(200);
    expect(upstream.requests.map((q) => `${q.method} ${q.url}`)).toEqual(['GET /pets?limit=2', 'POST /pets', 'GET /pets/7', 'DELETE /pets/7']);
    expect(JSON.parse(upstream.requests[1]!.body)).toEqual({ name: 'Rex', tag: 'dog' });
    expect(upstream.requests[1]!.headers['content-type']).toMatch(/^application\/json/);
  });

  it('MCP: one tool per operation with method hints; calls reach the upstream with the arguments', async () => {
    const { tools } = await mcp.listTools();
    expect(tools.map((t) => t.name)).toEqual(['list-pets', 'create-pet', 'show-pet-by-id', 'delete-pet']);
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get('list-pets')!.annotations).toMatchObject({ readOnlyHint: true, idempotentHint: true, openWorldHint: true });
    expect(byName.get('list-pets')!.title).toBe('List all pets');
    expect(byName.get('delete-pet')!.annotations).toMatchObject({ destructiveHint: true, readOnlyHint: false });
    expect(byName.get('show-pet-by-id')!.inputSchema).toMatchObject({ properties: { petId: { type: 'integer' } }, required: ['petId'] });
    upstream.requests.length = 0;
    const shown = await mcp.callTool({ name: 'show-pet-by-id', arguments: { petId: 42 } });
    expect(shown.isError).toBeFalsy();
    expect(shown.structuredContent).toEqual({ got: 'GET /pets/42' });
    await mcp.callTool({ name: 'create-pet', arguments: { name: 'Tom' } });
    await mcp.callTool({ name: 'list-pets', arguments: { limit: 5 } });
    expect(upstream.requests.map((q) => `${q.method} ${q.url}`)).toEqual(['GET /pets/42', 'POST /pets', 'GET /pets?limit=5']);
    expect(JSON.parse(upstream.requests[1]!.body)).toEqual({ name: 'Tom' });
  });
});

describe('imported credentials come from the environment', () => {
  it('petstore 3.1 bearer: the variable becomes Authorization, and without it a call is refused naming it', async () => {
    const r = await importAndLoad(tmp, fixture('petstore-3.1.yaml'), 'p31.yaml');
    const withKey = await start({ file: r.file, baseUris: new Map([['petstore-31', upstream.url]]), env: { PETSTORE_31_TOKEN: 'tok-31' } });
    try {
      upstream.requests.length = 0;
      expect((await call(`${withKey.rest}/pets`)).status).toBe(200);
      expect(upstream.requests[0]!.headers.authorization).toBe('Bearer tok-31');
    } finally {
      await withKey.close();
    }
    const without = await start({ file: r.file, baseUris: new Map([['petstore-31', upstream.url]]), env: {} });
    try {
      upstream.requests.length = 0;
      const refused = await call(`${without.rest}/pets`);
      expect(refused.status).toBe(401);
      expect(refused.text).toContain('PETSTORE_31_TOKEN');
      expect(upstream.requests).toEqual([]);
    } finally {
      await without.close();
    }
  });

  it('no servers: served with --base-uri, the placeholder host is never needed', async () => {
    const r = await importAndLoad(tmp, fixture('no-servers.yaml'), 'nosrv.yaml');
    const s = await start({ file: r.file, baseUris: new Map([['no-servers-api', upstream.url]]), env: {} });
    try {
      expect((await call(`${s.rest}/items`)).json).toEqual({ got: 'GET /items' });
    } finally {
      await s.close();
    }
  });
});

describe('init', () => {
  it('the scaffold validates with no warning and serves its one operation over REST and MCP', async () => {
    const file = tmp.write('init.yaml', scaffold('notes', 'init.yaml'));
    const loaded = loadCapability(file, { env: {} });
    expect(loaded.warnings).toEqual([]);
    expect(loaded.model.exposes.map((e) => `${e.type}:${e.namespace}`)).toEqual(['rest:notes-rest', 'mcp:notes-mcp']);
    const s = await start({ file, baseUris: new Map([['notes', upstream.url]]), env: {} });
    const client = await mcpClient(s.mcp);
    try {
      upstream.requests.length = 0;
      expect((await call(`${s.rest}/items/7`)).json).toEqual({ got: 'GET /items/7' });
      const r = await client.callTool({ name: 'get-item', arguments: { id: 'a b' } });
      expect(r.structuredContent).toEqual({ got: 'GET /items/a%20b' });
      expect(upstream.requests.map((q) => q.url)).toEqual(['/items/7', '/items/a%20b']);
    } finally {
      await client.close();
      await s.close();
    }
  });
});

describe('paths that are hard for a router, imported and served', () => {
  it('a literal ":" after a placeholder, a placeholder before ".json", "-" and "." in placeholder names, different names at one place', async () => {
    const spec = tmp.write('odd-paths.yaml', `openapi: 3.0.3
info: {title: Odd, version: "1"}
servers: [{url: "https://odd.example"}]
paths:
  /jobs/{id}:cancel:
    post: {operationId: cancelJob, parameters: [{name: id, in: path, required: true, schema: {type: string}}], responses: {"200": {description: ok}}}
  /files/{name}.json:
    get: {operationId: getFile, parameters: [{name: name, in: path, required: true, schema: {type: string}}], responses: {"200": {description: ok}}}
  /pets/{pet-id}/toys/{toy.id}:
    get: {parameters: [{name: pet-id, in: path, required: true, schema: {type: string}}, {name: toy.id, in: path, required: true, schema: {type: integer}}], responses: {"200": {description: ok}}}
  /users/{id}:
    get: {operationId: getUser, parameters: [{name: id, in: path, required: true, schema: {type: string}}], responses: {"200": {description: ok}}}
  /users/{userId}/posts:
    get: {operationId: getPosts, parameters: [{name: userId, in: path, required: true, schema: {type: string}}], responses: {"200": {description: ok}}}
`);
    const r = await importAndLoad(tmp, spec, 'odd-paths.cap.yaml');
    expect(r.warnings).toEqual([]);
    const s = await start({ file: r.file, baseUris: new Map([['odd', upstream.url]]), env: {} });
    try {
      upstream.requests.length = 0;
      const calls: [string, string][] = [['POST', '/jobs/7:cancel'], ['GET', '/files/a.json'], ['GET', '/pets/p1/toys/3'], ['GET', '/users/u1'], ['GET', '/users/u1/posts']];
      for (const [method, url] of calls) expect((await call(`${s.rest}${url}`, { method })).status, `${method} ${url}`).toBe(method === "POST" ? 201 : 200);
      expect((await call(`${s.rest}/pets/p1/toys/three`)).status).toBe(400); // toy.id is an integer
      expect(upstream.requests.map((q) => `${q.method} ${q.url}`)).toEqual(calls.map(([m, u]) => `${m} ${u}`));
    } finally {
      await s.close();
    }
  });
});
