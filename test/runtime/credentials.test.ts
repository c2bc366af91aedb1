/**
 * Upstream credentials (SEMANTICS §2–§3): a configured key wins over the caller's Authorization; with the
 * key unset the caller's Authorization passes through; with neither, 401 naming the variable, never a value.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startupSummary } from '../../src/cli/startup-summary.js';
import { SYNC_BODY, SYNC_ID } from './bulksync-cases.js';
import {
  KEY, call, isProblem, jsonInit, mcpClient, start, startRecorder, tmpDir, type Recorder, type Started, type TmpDir,
} from './helpers.js';

type TextResult = { content: { type: string; text: string }[]; isError?: boolean };

let upstream: Recorder;
beforeAll(async () => {
  upstream = await startRecorder();
});
afterAll(() => upstream?.close());
beforeEach(() => {
  upstream.requests.length = 0;
});

describe('POLYTOMIC_API_KEY set', () => {
  let rt: Started;
  let client: Client;
  beforeAll(async () => {
    rt = await start({ upstream: upstream.url, env: { POLYTOMIC_API_KEY: KEY } });
    client = await mcpClient(rt.mcp);
  });
  afterAll(async () => {
    await client?.close();
    await rt?.close();
  });

  it('REST: the configured bearer is sent and the caller\'s Authorization is ignored', async () => {
    const list = await call(`${rt.rest}/v1/api/bulk/syncs`, { headers: { authorization: 'Bearer caller-token' } });
    const create = await call(`${rt.rest}/v1/api/bulk/syncs`, jsonInit('POST', SYNC_BODY, { authorization: 'Basic Y2FsbGVyOnB3' }));
    const noCaller = await call(`${rt.rest}/v1/api/bulk/syncs/${SYNC_ID}`);
    expect([list.status, create.status, noCaller.status]).toEqual([200, 200, 200]);
    expect(upstream.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${KEY}`, `Bearer ${KEY}`, `Bearer ${KEY}`]);
    for (const r of upstream.requests) expect(JSON.stringify(r.headers)).not.toContain('caller');
  });

  it('MCP: the configured bearer is sent', async () => {
    const r = (await client.callTool({ name: 'get-bulk-sync', arguments: { id: SYNC_ID } })) as TextResult;
    expect(r.isError).toBeFalsy();
    expect(upstream.requests.map((x) => x.headers.authorization)).toEqual([`Bearer ${KEY}`]);
  });

  it('MCP: Authorization is not an argument a caller can give', async () => {
    let err: unknown;
    try {
      await client.callTool({ name: 'get-bulk-sync', arguments: { id: SYNC_ID, Authorization: 'Bearer caller-token' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(ErrorCode.InvalidParams);
    expect(upstream.requests).toHaveLength(0);
  });

  it('the startup summary does not list the key as unset, and never prints its value', () => {
    const summary = startupSummary(rt.runtime);
    expect(summary).not.toContain('POLYTOMIC_API_KEY');
    expect(summary).not.toContain(KEY);
  });
});

describe.each([
  ['unset', {}],
  ['empty', { POLYTOMIC_API_KEY: '' }],
] as const)('POLYTOMIC_API_KEY %s', (_label, env) => {
  let rt: Started;
  let client: Client;
  beforeAll(async () => {
    rt = await start({ upstream: upstream.url, env });
    client = await mcpClient(rt.mcp);
  });
  afterAll(async () => {
    await client?.close();
    await rt?.close();
  });

  it('REST: the caller\'s Authorization is passed through', async () => {
    const res = await call(`${rt.rest}/v1/api/bulk/syncs/${SYNC_ID}/activate`, jsonInit('POST', { active: true }, { authorization: 'Bearer caller-token' }));
    expect(res.status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.headers.authorization).toBe('Bearer caller-token');
    expect(JSON.parse(upstream.requests[0]!.body)).toEqual({ active: true });
  });

  it('REST: with no caller Authorization either, 401 problem naming POLYTOMIC_API_KEY, and nothing goes upstream', async () => {
    const res = await call(`${rt.rest}/v1/api/bulk/syncs`);
    expect(res.status).toBe(401);
    expect(isProblem(res)).toBe(true);
    expect(res.json).toMatchObject({ status: 401 });
    expect(res.json.detail).toContain('POLYTOMIC_API_KEY');
    expect(upstream.requests).toHaveLength(0);
  });

  it('MCP: an isError result with 401 naming POLYTOMIC_API_KEY, and nothing goes upstream', async () => {
    const r = (await client.callTool({ name: 'list-bulk-syncs', arguments: {} })) as TextResult;
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toContain('401');
    expect(r.content[0]!.text).toContain('POLYTOMIC_API_KEY');
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('POLYTOMIC_API_KEY unset: startup', () => {
  let rt: Started;
  beforeAll(async () => {
    rt = await start({ upstream: upstream.url, env: {} });
  });
  afterAll(() => rt?.close());

  it('the startup summary lists the unset variable', () => {
    expect(startupSummary(rt.runtime)).toContain('POLYTOMIC_API_KEY');
  });
});

/** A bearer from one variable, and a consumes-level header from another (a secret that must never leak). */
const TWO_SECRETS = `
naftiko: 1.0.0-alpha2
binds:
  - namespace: env
    keys:
      TOKEN: SMALL_TOKEN
      TENANT: SMALL_TENANT_SECRET
capability:
  consumes:
    - type: http
      namespace: up
      baseUri: http://127.0.0.1:9
      inputParameters:
        - name: X-Tenant
          in: header
          value: "{{env.TENANT}}"
      authentication:
        type: bearer
        token: "{{env.TOKEN}}"
      resources:
        - name: me
          path: /me
          operations:
            - name: me
              method: GET
  exposes:
    - type: rest
      namespace: secrets-rest
      port: 8080
      resources:
        - path: /me
          name: me
          operations:
            - method: GET
              name: me
              call: up.me
`;

describe('a capability with two secrets', () => {
  const TENANT = 'tenant-s3cr3t-value';
  let dir: TmpDir;
  let rt: Started | undefined;
  beforeAll(() => {
    dir = tmpDir();
  });
  afterAll(() => dir?.remove());
  afterEach(async () => {
    await rt?.close();
    rt = undefined;
  });
  const run = async (env: Record<string, string>) => {
    rt = await start({ file: dir.write('secrets.yaml', TWO_SECRETS), baseUris: new Map([['up', upstream.url]]), env });
    return call(`${rt.rest}/me`);
  };

  it('token unset: 401 naming SMALL_TOKEN, and no secret value anywhere in the answer', async () => {
    const res = await run({ SMALL_TENANT_SECRET: TENANT });
    expect(res.status).toBe(401);
    expect(isProblem(res)).toBe(true);
    expect(res.json.detail).toContain('SMALL_TOKEN');
    expect(res.text).not.toContain(TENANT);
    expect(upstream.requests).toHaveLength(0);
  });

  it('token set: bearer and the bound header are both injected', async () => {
    const res = await run({ SMALL_TOKEN: 'tok-1', SMALL_TENANT_SECRET: TENANT });
    expect(res.status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.headers.authorization).toBe('Bearer tok-1');
    expect(upstream.requests[0]!.headers['x-tenant']).toBe(TENANT);
  });
});
