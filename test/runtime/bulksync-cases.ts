/**
 * The 11 bulk-sync operations, each as a REST call, the same call as MCP tool arguments, the upstream
 * request both must produce, and the upstream answer the caller must get back (byte for byte).
 */
import { expect } from 'vitest';
import type { Recorded } from './helpers.js';

export const SYNC_ID = 'fced1413-5e89-4888-96ad-981b448a6435';
export const CONN_ID = '0e6a5f0c-8a51-4f2b-9a8e-3c1d2b4a5e6f';
export const API_VERSION = '2024-02-08';

export const SYNC_BODY = {
  name: 'Salesforce to Snowflake (raw)',
  source_connection_id: CONN_ID,
  destination_connection_id: '5b1d9c7a-2e4f-4a3b-8c6d-1f0e9a8b7c6d',
  destination_configuration: { schema: 'salesforce_raw' },
  schedule: { frequency: 'daily', hour: '5', minute: '30' },
  schemas: ['Account', { id: 'Contact', enabled: true }],
  active: false,
};

export interface OperationCase {
  /** consumed operation name */
  readonly op: string;
  readonly tool: string;
  readonly rest: { readonly method: string; readonly path: string; readonly body?: unknown };
  readonly args: Record<string, unknown>;
  /** what the upstream must receive */
  readonly upstream: { readonly method: string; readonly url: string; readonly body?: unknown };
  /** what the upstream answers (and the caller must get) */
  readonly answer: { readonly status: number; readonly text: string };
}

const v = { 'X-Polytomic-Version': API_VERSION };
const s = `/api/bulk/syncs/${SYNC_ID}`;
const c = `/api/connections/${CONN_ID}/bulksync`;
/** deliberately odd spacing: a pass-through answer must arrive byte for byte */
const answer = (status: number, data: unknown) => ({ status, text: `{ "data" :${JSON.stringify(data)} }` });

export const OPERATIONS: readonly OperationCase[] = [
  {
    op: 'list', tool: 'list-bulk-syncs',
    rest: { method: 'GET', path: '/v1/api/bulk/syncs?active=true' },
    args: { active: true, ...v },
    upstream: { method: 'GET', url: '/api/bulk/syncs?active=true' },
    answer: answer(200, [{ id: SYNC_ID, active: true }]),
  },
  {
    op: 'create', tool: 'create-bulk-sync',
    rest: { method: 'POST', path: '/v1/api/bulk/syncs', body: SYNC_BODY },
    args: { body: SYNC_BODY, ...v },
    upstream: { method: 'POST', url: '/api/bulk/syncs', body: SYNC_BODY },
    answer: answer(201, { id: SYNC_ID, name: SYNC_BODY.name }),
  },
  {
    op: 'get', tool: 'get-bulk-sync',
    rest: { method: 'GET', path: `/v1${s}?refresh_schemas=false` },
    args: { id: SYNC_ID, refresh_schemas: false, ...v },
    upstream: { method: 'GET', url: `${s}?refresh_schemas=false` },
    answer: answer(200, { id: SYNC_ID }),
  },
  {
    op: 'update', tool: 'update-bulk-sync',
    rest: { method: 'PUT', path: `/v1${s}`, body: { ...SYNC_BODY, name: 'renamed' } },
    args: { id: SYNC_ID, body: { ...SYNC_BODY, name: 'renamed' }, ...v },
    upstream: { method: 'PUT', url: s, body: { ...SYNC_BODY, name: 'renamed' } },
    answer: answer(200, { id: SYNC_ID, name: 'renamed' }),
  },
  {
    op: 'delete', tool: 'delete-bulk-sync',
    rest: { method: 'DELETE', path: `/v1${s}?refresh_schemas=true` },
    args: { id: SYNC_ID, refresh_schemas: true, ...v },
    upstream: { method: 'DELETE', url: `${s}?refresh_schemas=true` },
    answer: answer(200, { id: SYNC_ID, deleted: true }),
  },
  {
    op: 'activate', tool: 'activate-bulk-sync',
    rest: { method: 'POST', path: `/v1${s}/activate`, body: { active: true } },
    args: { id: SYNC_ID, body: { active: true }, ...v },
    upstream: { method: 'POST', url: `${s}/activate`, body: { active: true } },
    answer: answer(200, { id: SYNC_ID, active: true }),
  },
  {
    op: 'cancel', tool: 'cancel-bulk-sync',
    rest: { method: 'POST', path: `/v1${s}/cancel` },
    args: { id: SYNC_ID, ...v },
    upstream: { method: 'POST', url: `${s}/cancel` },
    answer: answer(200, { message: 'Cancellation requested' }),
  },
  {
    op: 'start', tool: 'start-bulk-sync-execution',
    rest: { method: 'POST', path: `/v1${s}/executions`, body: { resync_mode: 'refetch', fetch_mode: 'full' } },
    args: { id: SYNC_ID, body: { resync_mode: 'refetch', fetch_mode: 'full' }, ...v },
    upstream: { method: 'POST', url: `${s}/executions`, body: { resync_mode: 'refetch', fetch_mode: 'full' } },
    answer: answer(200, { id: 'e-1', status: 'created' }),
  },
  {
    op: 'getstatus', tool: 'get-bulk-sync-status',
    rest: { method: 'GET', path: `/v1${s}/status` },
    args: { id: SYNC_ID, ...v },
    upstream: { method: 'GET', url: `${s}/status` },
    answer: answer(200, { current_execution: { id: 'e-1', status: 'running' } }),
  },
  {
    op: 'getsource', tool: 'get-bulk-source',
    rest: { method: 'GET', path: `/v1${c}/source?include_fields=false` },
    args: { id: CONN_ID, include_fields: false, ...v },
    upstream: { method: 'GET', url: `${c}/source?include_fields=false` },
    answer: answer(200, { schemas: [{ id: 'Account', name: 'Account' }] }),
  },
  {
    op: 'getdestination', tool: 'get-bulk-destination',
    rest: { method: 'GET', path: `/v1${c}/target` },
    args: { id: CONN_ID, ...v },
    upstream: { method: 'GET', url: `${c}/target` },
    answer: answer(200, { configuration: { schema: { required: true } } }),
  },
];

/** The upstream got exactly this case's request: method, path, query, bearer, version, body and its type. */
export function expectUpstreamRequest(got: Recorded | undefined, want: OperationCase, bearer = 'Bearer k-test'): void {
  expect(got, `${want.op}: upstream received no request`).toBeDefined();
  expect({ method: got!.method, url: got!.url }).toEqual({ method: want.upstream.method, url: want.upstream.url });
  expect(got!.headers.authorization).toBe(bearer);
  expect(got!.headers['x-polytomic-version']).toBe(API_VERSION);
  if (want.upstream.body === undefined) {
    expect(got!.body).toBe('');
    expect(got!.headers['content-type']).toBeUndefined();
  } else {
    expect(got!.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(got!.body)).toEqual(want.upstream.body);
  }
}
