/**
 * /openapi.json, /openapi.yaml and /docs on a running REST adapter (real sockets): the served document
 * validates and matches the model, the docs need no credential while operations still do, Host/Origin
 * checks apply, a capability route on the same URL wins (docs moved or skipped, with a warning), and
 * --no-docs turns them off.
 */
import { load as loadYaml } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { startRuntime } from '../../src/runtime.js';
import { call, rawRequest, start, startRecorder, tmpDir, type Recorder } from '../runtime/helpers.js';
import { expectValidOpenApi } from './validate-doc.js';
import { FULL_YAML } from './fixtures.js';

const dir = tmpDir();
afterAll(() => dir.remove());

const TAKEN_YAML = (paths: string[]) => `
naftiko: 1.0.0-alpha3
capability:
  consumes:
    - type: http
      namespace: up
      baseUri: http://127.0.0.1:9
      resources:
        - name: any
          path: /any
          operations:
            - name: get-any
              method: GET
  exposes:
    - type: rest
      namespace: api
      port: 8080
      resources:
${paths.map((p, i) => `        - path: "${p}"
          name: r${i}
          operations:
            - method: GET
              name: op${i}
              call: up.get-any${p.includes('{page}') ? `
              inputParameters:
                - name: page
                  in: path
                  type: string
                  description: a page` : ''}`).join('\n')}
`;

describe('served OpenAPI document and docs page', () => {
  let upstream: Recorder;
  afterAll(() => upstream?.close());

  it('JSON and YAML documents validate, need no credential, and the operations still do', async () => {
    upstream = await startRecorder(() => ({ status: 200, body: { title: 't', dims: { size: 2 } } }));
    const rt = await start({ file: dir.write('full.yaml', FULL_YAML), baseUris: new Map([['notes', upstream.url]]), env: { API_TOKEN: 'secret' } });
    try {
      const json = await call(`${rt.rest}/openapi.json`);
      expect(json.status).toBe(200);
      expect(json.headers.get('content-type')).toMatch(/^application\/json/);
      expect(json.json.servers).toEqual([{ url: '/', description: 'REST adapter api' }]);
      expect(Object.keys(json.json.paths)).toEqual(['/hello', '/notes', '/notes/{id}', '/proxy/{path}']);
      const yaml = await call(`${rt.rest}/openapi.yaml`);
      expect(yaml.headers.get('content-type')).toMatch(/^application\/yaml/);
      expect(loadYaml(yaml.text)).toEqual(json.json);
      const page = await call(`${rt.rest}/docs`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toBe("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
      expect(page.text).toContain('<title>Notes service — API docs</title>');
      expect(page.text).not.toMatch(/<script>(?!<\/script>)|https?:\/\//);
      const bundle = await call(`${rt.rest}/docs/swagger-ui-bundle.js`);
      expect(bundle.status).toBe(200);
      expect(bundle.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(bundle.text.length).toBeGreaterThan(100_000);
      // the operations still need the bearer token
      expect((await call(`${rt.rest}/notes`)).status).toBe(401);
      expect((await call(`${rt.rest}/notes`, { headers: { authorization: 'Bearer secret' } })).status).toBe(200);
      // the loopback Host/Origin check applies to the docs too
      const foreign = await rawRequest(`${rt.rest}/openapi.json`, { headers: { host: 'evil.example' } });
      expect(foreign.status).toBe(403);
      expect(JSON.parse(foreign.text).code).toBe('NR_ERR_ORIGIN_REJECTED');
      expect(rt.runtime.adapters[0]!.docs).toBe(rt.rest);
      // last: the validator compiles its schemas synchronously, which the adapter's load shedding would notice
      await expectValidOpenApi(json.json);
    } finally {
      await rt.close();
    }
  });

  it('a capability route on /docs wins: the docs move under /_naftiko with NR_WARN_DOCS_ROUTE_MOVED', async () => {
    const rt = await start({ file: dir.write('taken.yaml', TAKEN_YAML(['/docs'])), baseUris: new Map([['up', upstream.url]]), env: {} });
    try {
      upstream.requests.length = 0;
      expect((await call(`${rt.rest}/docs`)).json).toEqual({ title: 't', dims: { size: 2 } });
      expect(upstream.requests).toHaveLength(1);
      expect((await call(`${rt.rest}/_naftiko/docs`)).text).toContain('data-url="/_naftiko/openapi.json"');
      expect((await call(`${rt.rest}/_naftiko/openapi.json`)).json.paths['/docs'].get.operationId).toBe('op0');
      expect(rt.runtime.warnings.map((w) => w.code)).toContain('NR_WARN_DOCS_ROUTE_MOVED');
      expect(rt.runtime.adapters[0]!.docs).toBe(`${rt.rest}/_naftiko`);
    } finally {
      await rt.close();
    }
  });

  it('routes that take both places (a parametric path matches too): no docs, NR_WARN_DOCS_ROUTE_SKIPPED', async () => {
    const rt = await start({ file: dir.write('taken2.yaml', TAKEN_YAML(['/{page}', '/_naftiko/{page}'])), baseUris: new Map([['up', upstream.url]]), env: {} });
    try {
      upstream.requests.length = 0;
      expect((await call(`${rt.rest}/openapi.json`)).json).toEqual({ title: 't', dims: { size: 2 } });
      expect(upstream.requests.map((r) => r.path)).toEqual(['/any']);
      const warning = rt.runtime.warnings.find((w) => w.code === 'NR_WARN_DOCS_ROUTE_SKIPPED');
      expect(warning?.message).toMatch(/no OpenAPI document or docs page is served/);
      expect(rt.runtime.adapters[0]!.docs).toBeUndefined();
    } finally {
      await rt.close();
    }
  });

  it('docs: false (--no-docs) serves none of them', async () => {
    const file = dir.write('plain.yaml', TAKEN_YAML(['/x']));
    const runtime = await startRuntime({ files: [file], ports: new Map([['api', 0]]), logLevel: 'silent', env: {}, docs: false });
    try {
      const url = runtime.adapters[0]!.url;
      const r = await call(`${url}/openapi.json`);
      expect(r.status).toBe(404);
      expect(r.json.code).toBe('NR_ERR_ROUTE_NOT_FOUND');
      expect((await call(`${url}/docs`)).status).toBe(404);
    } finally {
      await runtime.close();
    }
  });
});
