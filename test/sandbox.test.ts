import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Polytomic, PolytomicClient, PolytomicError } from 'polytomic';
import {
  CONNECTION_IDS, SEEDED_SYNC_IDS, startPolytomicSandbox, type PolytomicSandbox,
} from '../src/sandbox/polytomic-sandbox.js';

const VERSION = '2024-02-08';
const NO_RETRY = { maxRetries: 0 };

const createRequest: Polytomic.CreateBulkSyncRequest = {
  name: 'Salesforce → Snowflake (raw)',
  source_connection_id: CONNECTION_IDS.salesforce,
  destination_connection_id: CONNECTION_IDS.snowflake,
  destination_configuration: { schema: 'salesforce_raw' },
  mode: 'replicate',
  schedule: { frequency: 'daily', hour: '5', minute: '30' },
  schemas: ['Account', { id: 'Contact', enabled: true, fields: ['Id', 'Email'], tracking_field: 'SystemModstamp' }],
  automatically_add_new_fields: 'all',
  automatically_add_new_objects: 'none',
  normalize_names: 'enabled',
  active: false,
};

/** Runs `fn` and returns what it threw. */
async function thrown(fn: () => Promise<unknown>): Promise<PolytomicError> {
  try {
    await fn();
  } catch (err) {
    return err as PolytomicError;
  }
  throw new Error('expected the call to throw');
}

describe('polytomic sandbox driven by the real polytomic SDK', () => {
  let sandbox: PolytomicSandbox;
  let client: PolytomicClient;

  beforeAll(async () => {
    sandbox = await startPolytomicSandbox({ token: 'test' });
    client = new PolytomicClient({ environment: sandbox.url, token: 'test', version: VERSION });
  });
  afterAll(() => sandbox.close());

  it('binds to 127.0.0.1 on an ephemeral port', () => {
    expect(sandbox.url).toBe(`http://127.0.0.1:${sandbox.port}`);
    expect(sandbox.port).toBeGreaterThan(0);
  });

  it('runs the full bulk sync lifecycle', async () => {
    // list: seeded syncs, with the active filter
    const all = await client.bulkSync.list();
    expect(all.data?.map((s) => s.id)).toEqual(expect.arrayContaining(Object.values(SEEDED_SYNC_IDS)));
    const paused = await client.bulkSync.list({ active: false });
    expect(paused.data?.length).toBeGreaterThan(0);
    expect(paused.data?.every((s) => s.active === false)).toBe(true);

    // create
    const created = await client.bulkSync.create(createRequest);
    const sync = created.data!;
    expect(sync.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sync).toMatchObject({
      name: createRequest.name, active: false, mode: 'replicate',
      source_connection_id: CONNECTION_IDS.salesforce, destination_configuration: { schema: 'salesforce_raw' },
      schedule: { frequency: 'daily', hour: '5', minute: '30' }, normalize_names: 'enabled', policies: [],
      created_by: { name: 'Dana Whitfield', type: 'user' },
    });
    expect(sync).not.toHaveProperty('schemas');
    const id = sync.id!;
    expect((await client.bulkSync.list({ active: false })).data?.some((s) => s.id === id)).toBe(true);
    expect((await client.bulkSync.list({ active: true })).data?.some((s) => s.id === id)).toBe(false);

    // get
    const got = await client.bulkSync.get(id, { refresh_schemas: false });
    expect(got.data).toEqual(sync);

    // update: full replacement
    const updated = await client.bulkSync.update(id, {
      ...createRequest, name: 'Salesforce → Snowflake (raw, hourly)', schedule: { frequency: 'hourly', minute: '15' },
    });
    expect(updated.data).toMatchObject({ id, name: 'Salesforce → Snowflake (raw, hourly)', schedule: { frequency: 'hourly', minute: '15' } });
    expect(updated.data?.created_at).toBe(sync.created_at);

    // activate
    expect((await client.bulkSync.activate(id, { active: true })).data).toEqual({ id, active: true });
    expect((await client.bulkSync.get(id)).data?.active).toBe(true);

    // never run → empty status
    expect((await client.bulkSync.getStatus(id)).data).toEqual({});

    // start → created → running → completed
    const started = (await client.bulkSync.start(id, {}, NO_RETRY)).data!;
    expect(started).toMatchObject({ status: 'created', type: 'manual', is_test: false, is_partial: false, record_count: 0 });
    expect(started.started_at).toBeUndefined();
    expect(started.schemas?.map((s) => [s.schema, s.output_name, s.status])).toEqual([
      ['Account', 'account', 'created'],
      ['Contact', 'contact', 'created'],
    ]);
    const running = (await client.bulkSync.getStatus(id)).data!;
    expect(running.current_execution).toMatchObject({ id: started.id, status: 'running' });
    expect(running.current_execution?.started_at).toBeDefined();
    expect(running.current_execution?.completed_at).toBeUndefined();
    const completed = (await client.bulkSync.getStatus(id)).data!;
    const done = completed.current_execution!;
    expect(done).toMatchObject({ id: started.id, status: 'completed' });
    expect(done.completed_at).toBeDefined();
    expect(done.record_count).toBeGreaterThan(0);
    expect(done.schemas?.every((s) => s.status === 'completed' && s.completed_at !== undefined)).toBe(true);
    expect(done.record_count).toBe(done.schemas!.reduce((n, s) => n + s.record_count!, 0));
    expect(completed.last_execution).toBeUndefined();
    expect((await client.bulkSync.getStatus(id)).data?.current_execution?.status).toBe('completed'); // terminal: stays

    // start again; a second start while it is not terminal → 409
    const second = (await client.bulkSync.start(id, { schemas: ['Contact'] }, NO_RETRY)).data!;
    expect(second).toMatchObject({ status: 'created', is_partial: true });
    expect(second.schemas?.map((s) => s.schema)).toEqual(['Contact']);
    const conflict = await thrown(() => client.bulkSync.start(id, {}, NO_RETRY));
    expect(conflict).toBeInstanceOf(Polytomic.ConflictError);
    expect(conflict.body).toMatchObject({ status: 409, message: 'sync is already running', metadata: { execution_id: second.id } });

    // the finished execution moved to last_execution
    const secondRunning = (await client.bulkSync.getStatus(id)).data!;
    expect(secondRunning.current_execution).toMatchObject({ id: second.id, status: 'running' });
    expect(secondRunning.last_execution).toMatchObject({ id: started.id, status: 'completed' });

    // cancel → canceling (seen through the non-advancing listStatus) → canceled on the next poll
    expect((await client.bulkSync.cancel(id, NO_RETRY)).data).toEqual({ message: 'Cancellation requested' });
    const listed = await client.bulkSync.executions.listStatus({ sync_id: id });
    expect(listed.data).toEqual([{ sync_id: id, status: 'canceling' }]);
    const canceled = (await client.bulkSync.getStatus(id)).data!.current_execution!;
    expect(canceled).toMatchObject({ id: second.id, status: 'canceled', status_message: 'Canceled by user' });
    expect(canceled.schemas?.[0]?.status).toBe('canceled');
    // cancel with nothing running: same answer
    expect((await client.bulkSync.cancel(id, NO_RETRY)).data).toEqual({ message: 'Cancellation requested' });

    // activate {active:false} also requests cancellation
    await client.bulkSync.start(id, {}, NO_RETRY);
    expect((await client.bulkSync.activate(id, { active: false })).data).toEqual({ id, active: false });
    expect((await client.bulkSync.getStatus(id)).data?.current_execution?.status).toBe('canceled');

    // remove, then get → NotFoundError
    await client.bulkSync.start(id, {}, NO_RETRY);
    await expect(client.bulkSync.remove(id, { refresh_schemas: false })).resolves.toBeUndefined();
    const missing = await thrown(() => client.bulkSync.get(id, {}, NO_RETRY));
    expect(missing).toBeInstanceOf(Polytomic.NotFoundError);
    expect(missing.body).toEqual({ status: 404, message: 'bulk sync not found', key: 'not_found' });
    expect((await client.bulkSync.list()).data?.some((s) => s.id === id)).toBe(false);
  });

  it('serves the source catalog with and without fields', async () => {
    const withFields = (await client.bulkSync.getSource(CONNECTION_IDS.salesforce)).data!;
    expect(withFields.capabilities).toEqual({ supports_tracking_fields: true });
    expect(withFields.schemas?.map((s) => s.id)).toEqual(['Account', 'Contact']);
    expect(withFields.schemas?.[0]?.fields?.[0]).toMatchObject({ id: 'Id', type: 'string', is_primary_key: true });
    const bare = (await client.bulkSync.getSource(CONNECTION_IDS.salesforce, { include_fields: false })).data!;
    expect(bare.schemas).toEqual([{ id: 'Account', name: 'Account' }, { id: 'Contact', name: 'Contact' }]);
  });

  it('serves the destination description', async () => {
    const dest = (await client.bulkSync.getDestination(CONNECTION_IDS.snowflake)).data!;
    expect(dest.modes?.map((m) => m.id)).toEqual(['replicate', 'snapshot']);
    expect(dest.supported_resync_modes).toEqual(['refetch', 'resync', 'rebuild']);
    expect(dest.configuration).toHaveProperty('schema');
  });

  it('answers 404 for unknown connections', async () => {
    const err = await thrown(() => client.bulkSync.getSource('00000000-0000-4000-8000-000000000000', {}, NO_RETRY));
    expect(err).toBeInstanceOf(Polytomic.NotFoundError);
    const dest = await thrown(() => client.bulkSync.getDestination('00000000-0000-4000-8000-000000000000', NO_RETRY));
    expect(dest.statusCode).toBe(404); // getDestination does not list 404, so the SDK throws its base error
  });

  it('reports seeded history and 400s on invalid input', async () => {
    const status = (await client.bulkSync.getStatus(SEEDED_SYNC_IDS.salesforceToSnowflake)).data!;
    expect(status.current_execution).toMatchObject({ type: 'scheduled', status: 'completed', record_count: 48112 });
    const bad = await thrown(() => client.bulkSync.create({ ...createRequest, name: undefined as unknown as string }, NO_RETRY));
    expect(bad).toBeInstanceOf(Polytomic.BadRequestError);
    expect(bad.body).toMatchObject({ status: 400, key: 'bad_request', metadata: { field: 'name' } });
    const noFrequency = await thrown(() =>
      client.bulkSync.create({ ...createRequest, schedule: {} as Polytomic.BulkSchedule }, NO_RETRY));
    expect(noFrequency.body).toMatchObject({ status: 400, metadata: { field: 'schedule.frequency' } });
  });

  it('rejects a wrong token with UnauthorizedError', async () => {
    const intruder = new PolytomicClient({ environment: sandbox.url, token: 'wrong', version: VERSION });
    const err = await thrown(() => intruder.bulkSync.list({}, NO_RETRY));
    expect(err).toBeInstanceOf(Polytomic.UnauthorizedError);
    expect(err.body).toMatchObject({ code: 401, status: 'Unauthorized' });
  });
});

describe('polytomic sandbox over raw HTTP', () => {
  let sandbox: PolytomicSandbox;
  const auth = { authorization: 'Bearer anything' };

  beforeAll(async () => {
    sandbox = await startPolytomicSandbox({ seed: false });
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.reset());

  const call = (path: string, init: RequestInit = {}) =>
    fetch(sandbox.url + path, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });

  it('accepts any bearer token when none is configured, and starts empty without seed', async () => {
    const res = await call('/api/bulk/syncs');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-polytomic-version')).toBe('2024-02-08');
    expect(await res.json()).toEqual({ data: [] });
  });

  it('echoes X-Polytomic-Version', async () => {
    const res = await call('/api/bulk/syncs', { headers: { 'x-polytomic-version': '2025-09-18' } });
    expect(res.headers.get('x-polytomic-version')).toBe('2025-09-18');
  });

  it('answers 401 without a bearer token', async () => {
    const res = await fetch(`${sandbox.url}/api/bulk/syncs`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 401, status: 'Unauthorized', error: expect.any(String) });
    const basic = await fetch(`${sandbox.url}/api/bulk/syncs`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.status).toBe(401);
  });

  it('answers 405 for a wrong method and 404 for unknown paths', async () => {
    const patch = await call('/api/bulk/syncs', { method: 'PATCH' });
    expect(patch.status).toBe(405);
    expect(patch.headers.get('allow')).toBe('GET, POST');
    expect(await patch.json()).toMatchObject({ status: 405 });
    const unknown = await call('/api/nope');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ status: 404, key: 'not_found' });
    const nested = await call('/api/bulk/syncs/x/schemas');
    expect(nested.status).toBe(404);
  });

  it('treats encoded ids as ids, and does not take /status as an id', async () => {
    for (const id of ['..%2F..%2Fadmin', 'a%2Fb%20c', '%E0%A4%A', '%00']) {
      const res = await call(`/api/bulk/syncs/${id}`);
      expect(res.status).toBe(404);
      expect((await res.json()).status).toBe(404);
    }
    const status = await call('/api/bulk/syncs/status');
    expect(status.status).toBe(200);
    expect(await status.json()).toEqual({ data: [] });
  });

  it('answers 400 on invalid JSON and on a bad activate body', async () => {
    const garbage = await call('/api/bulk/syncs', { method: 'POST', body: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(garbage.status).toBe(400);
    expect(await garbage.json()).toMatchObject({ status: 400, message: 'invalid JSON body' });
    const array = await call('/api/bulk/syncs', { method: 'POST', body: '[1,2]' });
    expect(array.status).toBe(400);

    const created = await call('/api/bulk/syncs', { method: 'POST', body: JSON.stringify(createRequest) });
    expect(created.status).toBe(200);
    const { data } = (await created.json()) as { data: { id: string } };
    for (const body of ['{}', '{"active":"yes"}', '']) {
      const res = await call(`/api/bulk/syncs/${data.id}/activate`, { method: 'POST', body });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ status: 400, metadata: { field: 'active' } });
    }
    // start with no body at all counts as {}
    const started = await call(`/api/bulk/syncs/${data.id}/executions`, { method: 'POST' });
    expect(started.status).toBe(200);
    // DELETE → 204, empty body
    const removed = await call(`/api/bulk/syncs/${data.id}`, { method: 'DELETE' });
    expect(removed.status).toBe(204);
    expect(await removed.text()).toBe('');
  });

  it('answers 413 for bodies over 1 MiB', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024) });
    const res = await call('/api/bulk/syncs', { method: 'POST', body: big });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ status: 413 });
    // still serving
    expect((await call('/api/bulk/syncs')).status).toBe(200);
  });

  it('records raw requests', async () => {
    await call('/api/connections/a%2Fb/bulksync/source?include_fields=false', { headers: { 'x-test': '1' } });
    await call('/api/bulk/syncs/abc/activate', { method: 'POST', body: '{"active":true}' });
    expect(sandbox.requests).toHaveLength(2);
    expect(sandbox.requests[0]).toMatchObject({
      method: 'GET', path: '/api/connections/a%2Fb/bulksync/source?include_fields=false', body: '',
      headers: { authorization: 'Bearer anything', 'x-test': '1' },
    });
    expect(sandbox.requests[1]).toMatchObject({ method: 'POST', path: '/api/bulk/syncs/abc/activate', body: '{"active":true}' });
    sandbox.reset();
    expect(sandbox.requests).toHaveLength(0);
  });

  it('records what the SDK sends', async () => {
    const client = new PolytomicClient({ environment: sandbox.url, token: 'k1', version: VERSION });
    await client.bulkSync.list({ active: true });
    expect(sandbox.requests).toHaveLength(1);
    expect(sandbox.requests[0]).toMatchObject({
      method: 'GET', path: '/api/bulk/syncs?active=true',
      headers: { authorization: 'Bearer k1', 'x-polytomic-version': VERSION },
    });
  });
});
