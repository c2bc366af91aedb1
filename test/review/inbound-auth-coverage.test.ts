/**
 * Review: inbound authentication protects every route, method and spelling (FEATURES §10 "What auth
 * protects"), on REST (operations, 405/OPTIONS, 404, forward), MCP (/ and /mcp) and skill adapters.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, startRecorder, tmpDir, type Recorder, type Started, type TmpDir } from '../runtime/helpers.js';

const YAML = `
naftiko: 1.0.0-alpha2
binds:
  - namespace: env
    keys:
      TOKEN: REVIEW_TOKEN
capability:
  consumes:
    - type: http
      namespace: up
      baseUri: http://127.0.0.1:9
      resources:
        - name: things
          path: /things/{id}
          operations:
            - name: get-thing
              method: GET
              inputParameters:
                - name: id
                  in: path
                  type: string
  exposes:
    - type: rest
      namespace: r
      port: 8080
      authentication:
        type: bearer
        token: "{{TOKEN}}"
      resources:
        - path: /things/{id}
          name: things
          operations:
            - method: GET
              name: get-thing
              call: up.get-thing
        - path: /fwd/{path}
          forward:
            targetNamespace: up
    - type: mcp
      namespace: m
      port: 9090
      authentication:
        type: apikey
        key: X-Api-Key
        value: "{{TOKEN}}"
      tools:
        - name: get-thing
          description: get
          call: up.get-thing
    - type: skill
      namespace: s
      port: 7070
      authentication:
        type: basic
        username: admin
        password: "{{TOKEN}}"
      skills:
        - name: things
          description: things
          tools:
            - name: get-thing
              description: get
              from:
                sourceNamespace: m
                action: get-thing
`;

function raw(base: string, target: string, method: string, body?: string, headers: Record<string, string> = {}): Promise<number> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path: target, method, headers: { host: u.host, ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('review: inbound auth covers every route', () => {
  let dir: TmpDir;
  let upstream: Recorder;
  let rt: Started;
  let rest = '';
  let mcp = '';
  let skill = '';

  beforeAll(async () => {
    dir = tmpDir();
    upstream = await startRecorder();
    rt = await start({ file: dir.write('auth.yaml', YAML), baseUris: new Map([['up', upstream.url]]), env: { REVIEW_TOKEN: 'tok' } });
    const url = (ns: string) => rt.runtime.adapters.find((a) => a.namespace === ns)!.url.replace(/\/mcp$/, '');
    rest = url('r');
    mcp = url('m');
    skill = url('s');
  });
  afterAll(async () => {
    await rt?.close();
    await upstream?.close();
    dir?.remove();
  });

  const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get-thing', arguments: { id: 'x' } } });
  const cases: [string, () => string, string, string, string?][] = [
    ['REST GET', () => rest, '/things/1', 'GET'],
    ['REST HEAD', () => rest, '/things/1', 'HEAD'],
    ['REST OPTIONS', () => rest, '/things/1', 'OPTIONS'],
    ['REST POST (405 route)', () => rest, '/things/1', 'POST', '{}'],
    ['REST encoded path', () => rest, '/th%69ngs/1', 'GET'],
    ['REST double slash', () => rest, '//things/1', 'GET'],
    ['REST absolute-form', () => rest, `http://127.0.0.1/things/1`, 'GET'],
    ['REST forward GET', () => rest, '/fwd/a', 'GET'],
    ['REST forward HEAD', () => rest, '/fwd/a', 'HEAD'],
    ['REST forward OPTIONS', () => rest, '/fwd/a', 'OPTIONS'],
    ['REST forward prefix', () => rest, '/fwd', 'GET'],
    ['REST unknown', () => rest, '/nothing', 'GET'],
    ['MCP POST /mcp', () => mcp, '/mcp', 'POST', init],
    ['MCP POST /', () => mcp, '/', 'POST', init],
    ['MCP POST /mcp/', () => mcp, '/mcp/', 'POST', init],
    ['MCP POST /MCP', () => mcp, '/MCP', 'POST', init],
    ['MCP POST /mcp?x', () => mcp, '/mcp?X-Api-Key=tok2', 'POST', init],
    ['skill /skills', () => skill, '/skills', 'GET'],
    ['skill HEAD', () => skill, '/skills/things', 'HEAD'],
    ['skill contents', () => skill, '/skills/things/contents/SKILL.md', 'GET'],
  ];
  for (const [name, base, target, method, body] of cases) {
    it(`${name} ${method} ${target} without credentials: 401 and nothing upstream`, async () => {
      upstream.requests.length = 0;
      const status = await raw(base(), target, method, body, body ? { 'content-type': 'application/json', accept: 'application/json, text/event-stream' } : {});
      expect([401, 400, 403]).toContain(status);
      expect(upstream.requests).toHaveLength(0);
    });
  }
});
