/**
 * Inbound oauth2 configuration: wrong URIs fail the load naming the field, a cleartext remote issuer and
 * introspection warn, introspection refuses every token over a real socket, and the control adapter
 * protected by oauth2 keeps its liveness probe and its metadata document open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapabilityLoadError } from '../../src/spec/diagnostics.js';
import { loadCapability } from '../../src/spec/load.js';
import { startRuntime } from '../../src/runtime.js';
import { call, tmpDir, type TmpDir } from '../runtime/helpers.js';
import { startAuthorizationServer } from './authorization-server.js';

const capability = (auth: string, type: 'mcp' | 'control' = 'mcp') => `
naftiko: 1.0.0-alpha3
capability:
  consumes:
    - type: http
      namespace: up
      baseUri: http://127.0.0.1:9
      resources:
        - name: me
          path: /me
          operations:
            - name: get-me
              method: GET
  exposes:
${type === 'mcp' ? `    - type: mcp
      namespace: tools
      port: 9090
      authentication:
${auth}
      tools:
        - name: get-me
          description: me
          call: up.get-me` : `    - type: control
      port: 9191
      management:
        health: true
        info: true
      authentication:
${auth}`}
`;
const oauth = (issuer: string, resource: string, extra = '') => `        type: oauth2
        authorizationServerUri: ${issuer}
        resource: ${resource}${extra}`;

describe('inbound oauth2 configuration', () => {
  let dir: TmpDir;
  beforeAll(() => {
    dir = tmpDir();
  });
  afterAll(() => dir.remove());
  const load = (text: string) => loadCapability(dir.write('c.yaml', text), { env: {} });

  it.each([
    ['a resource that is not http(s)', oauth('https://as.example.com', 'urn:tools'), '/capability/exposes/0/authentication/resource'],
    ['a resource with a fragment', oauth('https://as.example.com', 'https://tools.example.com/mcp#x'), '/capability/exposes/0/authentication/resource'],
    ['an issuer with a query', oauth('https://as.example.com/?realm=x', 'https://tools.example.com/mcp'), '/capability/exposes/0/authentication/authorizationServerUri'],
  ])('%s fails the load at that field', (_name, auth, pointer) => {
    try {
      load(capability(auth));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CapabilityLoadError);
      const d = (e as CapabilityLoadError).diagnostics.find((x) => x.code === 'NR_ERR_OAUTH_CONFIG')!;
      expect(d.pointer).toBe(pointer);
      expect(d.line).toBeGreaterThan(0);
    }
  });

  it('an http issuer off loopback warns; a loopback one does not', () => {
    expect(load(capability(oauth('http://as.example.com', 'https://tools.example.com/mcp'))).warnings.map((w) => w.code)).toEqual(['NR_WARN_OAUTH_CLEARTEXT_ISSUER']);
    expect(load(capability(oauth('http://127.0.0.1:8180', 'http://127.0.0.1:9090/mcp'))).warnings).toEqual([]);
  });

  it('introspection warns at load and refuses every token (401), the metadata document still served', async () => {
    const as = await startAuthorizationServer();
    const file = dir.write('introspection.yaml', capability(oauth(as.issuer, 'http://127.0.0.1:9090/mcp', '\n        tokenValidation: introspection')));
    expect(loadCapability(file, { env: {} }).warnings.map((w) => w.code)).toEqual(['NR_WARN_AUTH_UNSUPPORTED']);
    const runtime = await startRuntime({ files: [file], ports: new Map([['tools', 0]]), logLevel: 'silent', env: {} });
    try {
      const mcp = runtime.adapters[0]!.url;
      const token = await as.sign({ aud: 'http://127.0.0.1:9090/mcp', exp: Math.floor(Date.now() / 1000) + 60 });
      const res = await call(mcp, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect((await call(`${new URL(mcp).origin}/.well-known/oauth-protected-resource`)).status).toBe(200);
    } finally {
      await runtime.close();
      await as.close();
    }
  });

  it('a control adapter with oauth2: /health/live and the metadata document open, /status needs a token', async () => {
    const as = await startAuthorizationServer();
    const file = dir.write('control.yaml', capability(oauth(as.issuer, 'http://127.0.0.1:9191'), 'control'));
    const runtime = await startRuntime({ files: [file], ports: new Map([['control', 0]]), logLevel: 'silent', env: {} });
    try {
      const control = runtime.adapters.find((a) => a.type === 'control')!.url;
      expect((await call(`${control}/health/live`)).status).toBe(200);
      expect((await call(`${control}/.well-known/oauth-protected-resource`)).json).toMatchObject({ resource: 'http://127.0.0.1:9191', authorization_servers: [as.issuer] });
      expect((await call(`${control}/status`)).status).toBe(401);
      const token = await as.sign({ aud: 'http://127.0.0.1:9191', exp: Math.floor(Date.now() / 1000) + 60 });
      expect((await call(`${control}/status`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      await runtime.close();
      await as.close();
    }
  });
});
