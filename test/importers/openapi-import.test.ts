/**
 * `import openapi`: every sample description imports to a capability the real loader accepts; the
 * mapping of operations, parameters, bodies, servers and security; the warnings for what is not mapped,
 * each at its OpenAPI pointer and line; no network or file read for a `$ref` into another document.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { importOpenApi } from '../../src/importers/openapi/import.js';
import { RuntimeError } from '../../src/runtime-error.js';
import { serveLocal, tmpDir } from '../runtime/helpers.js';
import { codes, consumedOperations, expectNoLoaderWarnings, fixture, importAndLoad, OPENAPI_FIXTURES, UPSTREAMS } from './openapi-helpers.js';

const tmp = tmpDir();
afterAll(() => tmp.remove());

const SAMPLES = [...readdirSync(OPENAPI_FIXTURES).map((f) => path.join(OPENAPI_FIXTURES, f)), ...readdirSync(UPSTREAMS).map((f) => path.join(UPSTREAMS, f))];

/** The operations an OpenAPI document declares (the methods the format serves). */
function declaredOperations(spec: string): number {
  const doc = parse(readFileSync(spec, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
  return Object.values(doc.paths).reduce((n, item) => n + ['get', 'post', 'put', 'patch', 'delete'].filter((m) => item[m]).length, 0);
}

describe('every sample description imports, validates and keeps every operation', () => {
  it.each(SAMPLES.map((f) => [path.basename(f), f]))('%s', async (name, spec) => {
    const r = await importAndLoad(tmp, spec, `${name}.cap.yaml`);
    expectNoLoaderWarnings(r);
    const n = declaredOperations(spec);
    expect(n).toBeGreaterThan(0);
    expect(consumedOperations(r).size).toBe(n);
    const mcp = r.loaded.model.exposes.find((e) => e.type === 'mcp');
    const rest = r.loaded.model.exposes.find((e) => e.type === 'rest');
    expect(mcp && mcp.type === 'mcp' ? mcp.tools.length : 0).toBe(n);
    expect(rest && rest.type === 'rest' ? rest.operations.length : 0).toBe(n);
  });

  it('the same description gives the same text twice (deterministic order)', async () => {
    const a = await importOpenApi(fixture('petstore-swagger2-full.json'));
    const b = await importOpenApi(fixture('petstore-swagger2-full.json'));
    expect(a.yaml).toBe(b.yaml);
  });
});

describe('what is mapped', () => {
  it('petstore 3.0: names from operationId, parameters with their types, the JSON body as fields, hints from the method', async () => {
    const r = await importAndLoad(tmp, fixture('petstore-3.0.yaml'), 'p30.yaml');
    const ops = consumedOperations(r);
    expect([...ops.keys()]).toEqual(['list-pets', 'create-pet', 'show-pet-by-id', 'delete-pet']);
    expect(ops.get('list-pets')!.parameters).toEqual([{ name: 'limit', in: 'query', type: 'integer', required: false }]);
    expect(ops.get('create-pet')!.parameters).toEqual([
      { name: 'name', in: 'body', type: 'string', required: true },
      { name: 'tag', in: 'body', type: 'string', required: false },
    ]);
    expect(ops.get('show-pet-by-id')!.path.source).toBe('/pets/{{petId}}');
    expect(ops.get('show-pet-by-id')!.parameters).toEqual([{ name: 'petId', in: 'path', type: 'integer', required: true }]);
    expect(r.loaded.model.consumes[0]!.baseUri.source).toBe('https://petstore.swagger.io/v1');
    const mcp = r.loaded.model.exposes.find((e) => e.type === 'mcp')!;
    const hints = Object.fromEntries((mcp as any).tools.map((t: any) => [t.name, t.hints]));
    expect(hints['list-pets']).toEqual({ readOnly: true, idempotent: true, openWorld: true });
    expect(hints['delete-pet']).toEqual({ readOnly: false, destructive: true, idempotent: true, openWorld: true });
    expect(hints['create-pet']).toEqual({ readOnly: false, idempotent: false, openWorld: true });
    expect(r.warnings).toEqual([]);
  });

  it('swagger 2.0: baseUri from schemes/host/basePath, the body parameter, an apikey from a bind variable (never a literal)', async () => {
    const r = await importAndLoad(tmp, fixture('petstore-swagger2-full.json'), 'sw2.yaml');
    const api = r.loaded.model.consumes[0]!;
    expect(api.baseUri.source).toBe('https://petstore.swagger.io/v2');
    expect(api.authentication).toMatchObject({ type: 'apikey', key: 'api_key', placement: 'header', value: { source: '{{SWAGGER_PETSTORE_API_KEY}}' } });
    expect(r.loaded.model.variables.get('SWAGGER_PETSTORE_API_KEY')).toMatchObject({ source: 'SWAGGER_PETSTORE_API_KEY', value: undefined });
    // Pet's required name/photoUrls, its $ref'd category an object, tags an array
    expect(consumedOperations(r).get('add-pet')!.parameters).toEqual([
      { name: 'id', in: 'body', type: 'integer', required: false },
      { name: 'category', in: 'body', type: 'object', required: false },
      { name: 'name', in: 'body', type: 'string', required: true },
      { name: 'photoUrls', in: 'body', type: 'array', required: true },
      { name: 'tags', in: 'body', type: 'array', required: false },
      { name: 'status', in: 'body', type: 'string', required: false, description: 'pet status in the store' },
    ]);
    // collectionFormat multi: an array sent as repeated pairs
    expect(consumedOperations(r).get('find-pets-by-status')!.parameters[0]).toMatchObject({ name: 'status', in: 'query', type: 'array', required: true });
    // the oauth2 scheme no operation uses on its own is not imported
    expect(r.yaml).not.toMatch(/oauth|ACCESS_TOKEN/i);
  });

  it('the tutorial registry: a $ref\'d header parameter, the bearer scheme, hyphenated operationIds kept', async () => {
    const r = await importAndLoad(tmp, path.join(UPSTREAMS, 'naftiko-shipyard-maritime-registry-api.yaml'), 'registry.yaml');
    const ops = consumedOperations(r);
    expect([...ops.keys()]).toEqual(['list-ships', 'get-ship', 'create-voyage', 'get-voyage', 'list-crew', 'list-cargo']);
    expect(ops.get('list-ships')!.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['query:status', 'header:Registry-Version']);
    expect(r.loaded.model.consumes[0]!.authentication).toMatchObject({ type: 'bearer', token: { source: '{{NAFTIKO_SHIPYARD_MARITIME_REGISTRY_API_TOKEN}}' } });
    expect(ops.get('create-voyage')!.parameters.filter((p) => p.in === 'body' && p.required).map((p) => p.name)).toEqual(['shipImo', 'departurePort', 'arrivalPort', 'departureDate', 'arrivalDate', 'crewIds']);
  });

  it('no operationIds: names from method and path, unique', async () => {
    const r = await importAndLoad(tmp, fixture('no-operation-ids.yaml'), 'noids.yaml');
    expect([...consumedOperations(r).keys()]).toEqual(['get-widgets', 'post-widgets', 'delete-widgets-widget-id']);
    expect(r.warnings).toEqual([]);
  });

  it('no servers: a bind variable for the host and a warning at the document root; --name sets the namespace', async () => {
    const r = await importAndLoad(tmp, fixture('no-servers.yaml'), 'nosrv.yaml', { namespace: 'items' });
    expect(r.loaded.model.consumes[0]!.namespace).toBe('items');
    expect(r.loaded.model.consumes[0]!.baseUri.source).toBe('https://{{ITEMS_HOST}}');
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatchObject({ code: 'NR_WARN_IMPORT_NO_SERVER', pointer: '', severity: 'warning' });
    expect(r.warnings[0]!.message).toContain('--base-uri items=URL');
    expect(r.yaml).toMatch(/^ {6}baseUri: https:\/\/\{\{ITEMS_HOST\}\} # no usable server/m);
  });

  it('complex: allOf/oneOf responses do not matter, the first security requirement wins and the unused scheme is not imported', async () => {
    const r = await importAndLoad(tmp, fixture('complex-api.yaml'), 'complex.yaml');
    expect(r.loaded.model.consumes[0]!.authentication?.type).toBe('bearer');
    expect(consumedOperations(r).get('get-user')!.parameters).toEqual([{ name: 'userId', in: 'path', type: 'integer', required: true }]);
  });

  it('a circular $ref: the body is mapped one level down, the cycle is not followed', async () => {
    const spec = tmp.write('tree.yaml', `openapi: 3.0.3
info: {title: Tree, version: "1"}
servers:
  - url: "https://{region}.tree.example/v1/"
    variables: {region: {default: eu, enum: [eu, us]}}
  - url: https://backup.tree.example
paths:
  /nodes:
    post:
      operationId: createNode
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Node'}
      responses: {"201": {description: created}}
components:
  schemas:
    Node:
      type: object
      required: [name]
      properties:
        id: {type: string, readOnly: true}
        name: {type: string, description: The node's name}
        children: {type: array, items: {$ref: '#/components/schemas/Node'}}
        parent: {$ref: '#/components/schemas/Node'}
`);
    const r = await importAndLoad(tmp, spec, 'tree.cap.yaml');
    expect(r.warnings).toEqual([]);
    expect(consumedOperations(r).get('create-node')!.parameters).toEqual([
      { name: 'name', in: 'body', type: 'string', required: true, description: "The node's name" },
      { name: 'children', in: 'body', type: 'array', required: false },
      { name: 'parent', in: 'body', type: 'object', required: false },
    ]);
    // server variables take their defaults; the trailing slash goes; the other server is named in a comment
    expect(r.loaded.model.consumes[0]!.baseUri.source).toBe('https://eu.tree.example/v1');
    expect(r.yaml).toContain('# other servers: https://backup.tree.example');
  });
});

describe('what is not mapped is a warning naming the OpenAPI pointer and line', () => {
  const SPEC = `openapi: 3.1.0
info: {title: Odd API, version: "1"}
servers: [{url: "https://odd.example"}]
security: [{cookieKey: []}, {basicAuth: []}]
paths:
  /upload:
    post:
      operationId: upload
      requestBody:
        content:
          multipart/form-data:
            schema: {type: object, properties: {file: {type: string, format: binary}}}
      responses: {"200": {description: ok}}
  /things/{thing.id}:
    parameters:
      - {name: thing.id, in: path, required: true, schema: {type: string}}
    get:
      operationId: getThing
      servers: [{url: "https://other.example"}]
      parameters:
        - {name: "filter[name]", in: query, schema: {type: string}}
        - {name: tags, in: query, explode: false, schema: {type: array, items: {type: string}}}
        - {name: session, in: cookie, schema: {type: string}}
        - {name: Accept, in: header, schema: {type: string}}
      responses: {"200": {description: ok}}
    head:
      operationId: headThing
      responses: {"200": {description: ok}}
  /things/{other}:
    get:
      operationId: get-thing
      parameters:
        - {name: other, in: path, required: true, schema: {type: string}}
      responses: {"200": {description: ok}}
components:
  securitySchemes:
    cookieKey: {type: apiKey, in: cookie, name: sid}
    basicAuth: {type: http, scheme: basic}
`;

  it('each warning has its code, pointer and position; the rest still validates and serves', async () => {
    const spec = tmp.write('odd.yaml', SPEC);
    const r = await importAndLoad(tmp, spec, 'odd.cap.yaml');
    expectNoLoaderWarnings(r);
    const found = r.warnings.map((w) => `${w.line}:${w.column} ${w.pointer} ${w.code}`);
    expect(found).toEqual(expect.arrayContaining([
      '4:29 /security/1 NR_WARN_IMPORT_AUTH',
      '11:11 /paths/~1upload/post/requestBody/content NR_WARN_IMPORT_BODY',
      '19:16 /paths/~1things~1{thing.id}/get/servers NR_WARN_IMPORT_OPERATION_SERVERS',
      '21:11 /paths/~1things~1{thing.id}/get/parameters/0 NR_WARN_IMPORT_PARAMETER',
      '27:7 /paths/~1things~1{thing.id}/head NR_WARN_IMPORT_METHOD',
      '31:7 /paths/~1things~1{other}/get NR_WARN_IMPORT_ROUTE',
      '31:20 /paths/~1things~1{other}/get/operationId NR_WARN_IMPORT_NAME',
    ]));
    expect(found).toHaveLength(7);
    const ops = consumedOperations(r);
    // the dotted placeholder is renamed (it never goes upstream); the delimited array is one string
    expect(ops.get('get-thing')!.path.source).toBe('/things/{{thing_id}}');
    expect(ops.get('get-thing')!.parameters.filter((p) => !p.serverSide).map((p) => `${p.in}:${p.name}:${p.type}`)).toEqual(['path:thing_id:string', 'query:tags:string', 'cookie:session:string']);
    expect(ops.get('get-thing-2')).toBeDefined();
    // an apiKey in a cookie is an adapter-wide cookie with the key from a bind variable
    expect(r.loaded.model.consumes[0]!.parameters).toMatchObject([{ name: 'sid', in: 'cookie', value: { source: '{{ODD_API_API_KEY}}' }, serverSide: true }]);
  });
});

describe('a $ref into another document is never fetched', () => {
  it('a URL $ref: warned, left out, and the server it names gets no request', async () => {
    let hits = 0;
    const server = await serveLocal((_req, res) => {
      hits++;
      res.setHeader('content-type', 'application/yaml');
      res.end('Limit: {name: limit, in: query, schema: {type: integer}}\n');
    });
    try {
      const spec = tmp.write('remote-ref.yaml', `openapi: 3.0.3
info: {title: Remote, version: "1"}
servers: [{url: "https://remote.example"}]
paths:
  /items:
    get:
      operationId: listItems
      parameters:
        - $ref: '${server.url}/params.yaml#/Limit'
        - {name: q, in: query, schema: {$ref: './schemas.yaml#/Q'}}
      responses: {"200": {description: ok}}
`);
      const r = await importAndLoad(tmp, spec, 'remote.cap.yaml');
      expect(hits).toBe(0);
      expect(r.warnings.map((w) => `${w.pointer} ${w.code}`)).toEqual([
        '/paths/~1items/get/parameters/0/$ref NR_WARN_IMPORT_EXTERNAL_REF',
        '/paths/~1items/get/parameters/1/schema/$ref NR_WARN_IMPORT_EXTERNAL_REF',
      ]);
      expect(consumedOperations(r).get('list-items')!.parameters).toEqual([{ name: 'q', in: 'query', required: false }]);
    } finally {
      await server.close();
    }
  });
});

describe('refusals', () => {
  const refusal = async (spec: string) => {
    try {
      await importOpenApi(spec);
    } catch (e) {
      expect(e).toBeInstanceOf(RuntimeError);
      return e as RuntimeError;
    }
    throw new Error('expected the import to fail');
  };

  it('a missing file, a capability, an unsupported version, broken YAML, no operations', async () => {
    expect((await refusal(path.join(tmp.dir, 'nope.yaml'))).code).toBe('NR_ERR_OPENAPI_NOT_FOUND');
    const cap = await refusal(tmp.write('cap.yaml', 'naftiko: 1.0.0-alpha3\ncapability: {}\n'));
    expect(cap.code).toBe('NR_ERR_NOT_OPENAPI');
    expect(cap.message).toContain('already');
    expect((await refusal(tmp.write('v32.yaml', 'openapi: 3.2.0\ninfo: {title: x, version: "1"}\npaths: {}\n'))).code).toBe('NR_ERR_OPENAPI_VERSION');
    expect((await refusal(tmp.write('sw12.json', '{"swagger": "1.2", "paths": {}}'))).code).toBe('NR_ERR_OPENAPI_VERSION');
    const bad = await refusal(tmp.write('broken.yaml', 'openapi: 3.0.0\ninfo: [unclosed\n'));
    expect(bad.code).toBe('NR_ERR_OPENAPI_SYNTAX');
    expect(bad.message).toMatch(/broken\.yaml:2:\d+/);
    const dangling = await refusal(tmp.write('dangling.yaml', "openapi: 3.0.0\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      parameters: [{$ref: '#/components/parameters/Missing'}]\n      responses: {'200': {description: ok}}\n"));
    expect(dangling.code).toBe('NR_ERR_OPENAPI_REF');
    expect(dangling.message).toContain('#/components/parameters/Missing');
    expect((await refusal(tmp.write('empty-paths.yaml', 'openapi: 3.0.0\ninfo: {title: x, version: "1"}\npaths: {}\n'))).code).toBe('NR_ERR_OPENAPI_NO_OPERATIONS');
  });

  it('a description that breaks the OpenAPI schema still imports, with a warning', async () => {
    const r = await importAndLoad(tmp, tmp.write('loose.yaml', 'openapi: 3.0.0\ninfo: {title: Loose}\npaths:\n  /a:\n    get:\n      operationId: a\n'), 'loose.cap.yaml');
    expect(codes(r)).toEqual(['NR_WARN_IMPORT_OPENAPI_INVALID', 'NR_WARN_IMPORT_NO_SERVER']);
    expect(consumedOperations(r).has('a')).toBe(true);
  });
});
