/**
 * The OpenAPI document built from the model: valid for a real validator (@readme/openapi-parser) on
 * bulksync.yaml, every tutorial capability with a REST adapter and small capabilities with auth,
 * forward and body inputs; and it says what the adapter really does.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCapability } from '../../src/spec/load.js';
import type { RestAdapter } from '../../src/spec/model.js';
import { openApiDocument } from '../../src/expose/rest/openapi/document.js';
import { BULKSYNC, tmpDir } from '../runtime/helpers.js';
import { TUTORIAL } from '../tutorial/upstreams.js';
import { expectValidOpenApi } from './validate-doc.js';
import { APIKEY_YAML, FULL_YAML } from './fixtures.js';

const dir = tmpDir();
afterAll(() => dir.remove());

function documentOf(file: string): any {
  const { model } = loadCapability(file, { env: {} });
  const rest = model.exposes.find((a): a is RestAdapter => a.type === 'rest')!;
  return openApiDocument(model.info, rest);
}

describe('OpenAPI document', () => {
  it('bulksync.yaml: valid, every operation with its inputs, passthrough answers and problem errors', async () => {
    const doc = documentOf(BULKSYNC);
    await expectValidOpenApi(doc);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('API Reference — subpackage_bulkSync');
    expect(doc.servers[0].url).toBe('http://127.0.0.1:8080');
    const ops = Object.values(doc.paths as Record<string, Record<string, any>>).flatMap((p) => Object.values(p));
    expect(ops).toHaveLength(11);
    const list = doc.paths['/v1/api/bulk/syncs'].get;
    expect(list.operationId).toBe('list');
    expect(list.parameters).toContainEqual(expect.objectContaining({ name: 'active', in: 'query', required: false, schema: { type: 'boolean' } }));
    // Authorization is a security scheme (OpenAPI ignores it as a parameter), optional: the bind supplies it
    expect(list.parameters.map((p: any) => p.name)).not.toContain('Authorization');
    expect(list.security).toEqual([{ authorizationHeader: [] }, {}]);
    expect(list.responses['2XX'].content['application/json']).toBeDefined();
    expect(list.responses['403']).toEqual({ $ref: '#/components/responses/Forbidden' });
    expect(list.responses['502']).toEqual({ $ref: '#/components/responses/BadGateway' });
    const get = doc.paths['/v1/api/bulk/syncs/{id}'].get;
    expect(get.parameters).toContainEqual(expect.objectContaining({ name: 'id', in: 'path', required: true }));
    const create = doc.paths['/v1/api/bulk/syncs'].post;
    expect(create.requestBody.content['application/json'].schema).toEqual({ type: 'object' });
    expect(create.responses['415']).toBeDefined();
    expect(doc.components.schemas.Problem.required).toContain('code');
  });

  const steps = readdirSync(TUTORIAL).filter((f) => /^step-\d+-.*\.ya?ml$/.test(f)).sort();
  it('covers the tutorial steps with a REST adapter', () => {
    const withRest = steps.filter((f) => loadCapability(path.join(TUTORIAL, f), { env: {} }).model.exposes.some((a) => a.type === 'rest'));
    expect(withRest.length).toBeGreaterThanOrEqual(3);
  });
  for (const step of steps) {
    it(`tutorial ${step}: valid for each REST adapter`, async () => {
      const { model } = loadCapability(path.join(TUTORIAL, step), { env: {} });
      for (const rest of model.exposes.filter((a): a is RestAdapter => a.type === 'rest')) {
        const doc = openApiDocument(model.info, rest) as any;
        await expectValidOpenApi(doc);
        expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
      }
    });
  }

  it('auth, forward, body inputs, mapped and mock outputs: valid and described as served', async () => {
    const doc = documentOf(dir.write('full.yaml', FULL_YAML));
    await expectValidOpenApi(doc);
    expect(doc.info).toMatchObject({ title: 'Notes service' });
    expect(doc.components.securitySchemes.inbound).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    const get = doc.paths['/notes/{id}'].get;
    expect(get).toMatchObject({ operationId: 'get-note', summary: 'Get a note', description: 'One note by id', security: [{ inbound: [] }] });
    expect(get.parameters).toEqual([
      { name: 'id', in: 'path', required: true, description: 'the note id', schema: { type: 'string', pattern: '^[0-9]+$' } },
      { name: 'fields', in: 'query', required: false, description: 'fields to return', schema: { type: 'array', items: { type: 'string' } }, style: 'form', explode: false },
      { name: 'X-Tenant', in: 'header', required: true, description: 'the tenant', schema: { type: 'string' } },
    ]);
    expect(get.responses['2XX'].content['application/json'].schema).toEqual({ type: 'object', properties: { title: { type: 'string' }, size: { type: 'number' } } });
    expect(get.responses['401']).toEqual({ $ref: '#/components/responses/Unauthorized' });
    const put = doc.paths['/notes/{id}'].put;
    expect(put.requestBody).toEqual({
      required: true,
      content: { 'application/json': { schema: { type: 'object', required: ['title'], properties: { title: { type: 'string', description: 'the new title' }, meta: { type: 'object', properties: { owner: { type: 'string', description: 'the owner' } } } } } } },
    });
    expect(doc.paths['/hello'].get.responses['200'].content['application/json'].schema).toEqual({ type: 'object', properties: { message: { type: 'string' } } });
    expect(doc.paths['/hello'].get.responses['502']).toBeUndefined();
    const proxy = doc.paths['/proxy/{path}'];
    expect(Object.keys(proxy).sort()).toEqual(['delete', 'get', 'head', 'options', 'patch', 'post', 'put']);
    expect(proxy.get.parameters).toContainEqual(expect.objectContaining({ name: 'x-trace', in: 'header' }));
    expect(proxy.post.requestBody.content['*/*']).toBeDefined();
    // the adapter's bearer token travels in Authorization: the trusted header cannot be the caller's own
    expect(proxy.get.security).toEqual([{ inbound: [] }]);
  });

  it('an API key in the query, a whole JSON body, a wildcard address', async () => {
    const doc = documentOf(dir.write('apikey.yaml', APIKEY_YAML));
    await expectValidOpenApi(doc);
    expect(doc.components.securitySchemes.inbound).toEqual(expect.objectContaining({ type: 'apiKey', in: 'query', name: 'api_key' }));
    expect(doc.servers[0].url).toBe('http://localhost:8090');
    const post = doc.paths['/things'].post;
    expect(post.requestBody).toEqual({ required: true, description: 'the thing', content: { 'application/json': { schema: { type: 'object' } } } });
    // not a loopback address: no Host/Origin check, so no 403
    expect(post.responses['403']).toBeUndefined();
  });
});
