/**
 * The real, unmodified `polytomic` npm SDK (1.18.1) drives the REST adapter, which forwards to the
 * Polytomic sandbox: the client sees the sandbox's data, and its typed errors arrive intact.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Polytomic, PolytomicClient, PolytomicError } from 'polytomic';
import { CONNECTION_IDS, SEEDED_SYNC_IDS, startPolytomicSandbox, type PolytomicSandbox } from '../../src/sandbox/polytomic-sandbox.js';
import { REST_NS, start, type Started } from './helpers.js';

const VERSION = '2024-02-08';
const SANDBOX_TOKEN = 'sandbox-token';
const NO_RETRY = { maxRetries: 0 };

const createRequest: Polytomic.CreateBulkSyncRequest = {
  name: 'Salesforce → Snowflake via naftiko-run',
  source_connection_id: CONNECTION_IDS.salesforce,
  destination_connection_id: CONNECTION_IDS.snowflake,
  destination_configuration: { schema: 'salesforce_raw' },
  mode: 'replicate',
  schedule: { frequency: 'daily', hour: '5', minute: '30' },
  schemas: ['Account', 'Contact'],
  active: false,
};

async function thrown(fn: () => Promise<unknown>): Promise<PolytomicError> {
  try {
    await fn();
  } catch (err) {
    return err as PolytomicError;
  }
  throw new Error('expected the call to throw');
}

const clientFor = (rt: Started, token = 'any') =>
  new PolytomicClient({ environment: `${rt.rest}/v1`, token, version: VERSION });

describe('polytomic SDK → naftiko-run REST → sandbox', () => {
  let sandbox: PolytomicSandbox;
  let rt: Started;
  let client: PolytomicClient;

  beforeAll(async () => {
    sandbox = await startPolytomicSandbox({ token: SANDBOX_TOKEN });
    rt = await start({ upstream: sandbox.url, env: { POLYTOMIC_API_KEY: SANDBOX_TOKEN } });
    client = clientFor(rt);
  });
  afterAll(async () => {
    await rt?.close();
    await sandbox?.close();
  });
  beforeEach(() => {
    sandbox.reset();
  });

  it('runs the whole lifecycle: list, create, get, update, activate, start, getStatus, cancel, remove', async () => {
    // list, with and without the filter
    const all = (await client.bulkSync.list()).data!;
    expect(all.map((s) => s.id)).toEqual(expect.arrayContaining(Object.values(SEEDED_SYNC_IDS)));
    const paused = (await client.bulkSync.list({ active: false })).data!;
    expect(paused.length).toBeGreaterThan(0);
    expect(paused.every((s) => s.active === false)).toBe(true);

    // create
    const created = (await client.bulkSync.create(createRequest, NO_RETRY)).data!;
    const id = created.id!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created).toMatchObject({ name: createRequest.name, active: false, mode: 'replicate', source_connection_id: CONNECTION_IDS.salesforce });

    // get
    const got = (await client.bulkSync.get(id, { refresh_schemas: false })).data!;
    expect(got).toMatchObject({ id, name: createRequest.name, schedule: { frequency: 'daily', hour: '5', minute: '30' } });

    // update (full replacement)
    const updated = (await client.bulkSync.update(id, { ...createRequest, name: 'renamed', schedule: { frequency: 'manual' } }, NO_RETRY)).data!;
    expect(updated).toMatchObject({ id, name: 'renamed', schedule: { frequency: 'manual' } });
    expect((await client.bulkSync.get(id)).data!.name).toBe('renamed');

    // activate
    const activated = (await client.bulkSync.activate(id, { active: true }, NO_RETRY)).data!;
    expect(activated).toEqual({ id, active: true });
    expect((await client.bulkSync.list({ active: true })).data!.map((s) => s.id)).toContain(id);

    // start, and a second start while running → ConflictError, typed
    const execution = (await client.bulkSync.start(id, {}, NO_RETRY)).data!;
    expect(execution.status).toBe('created');
    const conflict = await thrown(() => client.bulkSync.start(id, {}, NO_RETRY));
    expect(conflict).toBeInstanceOf(Polytomic.ConflictError);
    expect(conflict.statusCode).toBe(409);
    expect(conflict.body).toMatchObject({ status: 409, metadata: { execution_id: execution.id } });

    // getStatus: poll until completed
    let status: Polytomic.BulkSyncStatusResponse | undefined;
    for (let i = 0; i < 5; i++) {
      status = (await client.bulkSync.getStatus(id, NO_RETRY)).data!;
      if (status.current_execution?.status === 'completed') break;
    }
    expect(status?.current_execution).toMatchObject({ id: execution.id, status: 'completed' });
    expect(status!.current_execution!.record_count).toBeGreaterThan(0);

    // cancel
    expect((await client.bulkSync.cancel(id, NO_RETRY)).data).toEqual({ message: 'Cancellation requested' });

    // remove, then get → NotFoundError, typed with the sandbox's body
    await expect(client.bulkSync.remove(id, { refresh_schemas: false }, NO_RETRY)).resolves.toBeUndefined();
    const missing = await thrown(() => client.bulkSync.get(id, undefined, NO_RETRY));
    expect(missing).toBeInstanceOf(Polytomic.NotFoundError);
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toMatchObject({ status: 404, key: 'not_found' });

    // what the sandbox saw: every call with the configured key and the SDK's version header
    expect(sandbox.requests.length).toBeGreaterThanOrEqual(15);
    for (const r of sandbox.requests) {
      expect(r.headers.authorization, `${r.method} ${r.path}`).toBe(`Bearer ${SANDBOX_TOKEN}`);
      expect(r.headers['x-polytomic-version'], `${r.method} ${r.path}`).toBe(VERSION);
    }
    const start = sandbox.requests.find((r) => r.method === 'POST' && r.path === `/api/bulk/syncs/${id}/executions`)!;
    expect(start.body).toBe('{}');
    expect(start.headers['content-type']).toMatch(/^application\/json/);
    const cancel = sandbox.requests.find((r) => r.path === `/api/bulk/syncs/${id}/cancel`)!;
    expect(cancel.body).toBe('');
    expect(cancel.headers['content-type']).toBeUndefined();
    expect(sandbox.requests.some((r) => r.method === 'DELETE' && r.path === `/api/bulk/syncs/${id}?refresh_schemas=false`)).toBe(true);
  });

  it('reads sources and destinations', async () => {
    const source = (await client.bulkSync.getSource(CONNECTION_IDS.salesforce, { include_fields: false }, NO_RETRY)).data!;
    expect(source.schemas?.map((s) => s.id)).toEqual(expect.arrayContaining(['Account', 'Contact']));
    expect(source.schemas?.every((s) => s.fields === undefined)).toBe(true);
    const withFields = (await client.bulkSync.getSource(CONNECTION_IDS.salesforce, undefined, NO_RETRY)).data!;
    expect(withFields.schemas?.[0]?.fields?.length).toBeGreaterThan(0);
    const dest = (await client.bulkSync.getDestination(CONNECTION_IDS.snowflake, NO_RETRY)).data!;
    expect(dest.modes?.map((m) => m.id)).toEqual(expect.arrayContaining(['replicate']));
    expect(sandbox.requests.map((r) => r.path)).toEqual([
      `/api/connections/${CONNECTION_IDS.salesforce}/bulksync/source?include_fields=false`,
      `/api/connections/${CONNECTION_IDS.salesforce}/bulksync/source`,
      `/api/connections/${CONNECTION_IDS.snowflake}/bulksync/target`,
    ]);
  });

  it('a bad create is a typed BadRequestError with the sandbox\'s body', async () => {
    const err = await thrown(() => client.bulkSync.create({ ...createRequest, schedule: { frequency: 'never' as Polytomic.ScheduleFrequency } }, NO_RETRY));
    expect(err).toBeInstanceOf(Polytomic.BadRequestError);
    expect(err.statusCode).toBe(400);
    expect(err.body).toMatchObject({ status: 400, key: 'bad_request' });
  });
});

describe('polytomic SDK: credentials through naftiko-run', () => {
  let sandbox: PolytomicSandbox;
  beforeAll(async () => {
    sandbox = await startPolytomicSandbox({ token: SANDBOX_TOKEN });
  });
  afterAll(() => sandbox?.close());

  it('a wrong configured key: UnauthorizedError 401 with the sandbox\'s body, even if the client\'s token is right', async () => {
    const rt = await start({ upstream: sandbox.url, env: { POLYTOMIC_API_KEY: 'wrong-key' } });
    try {
      const err = await thrown(() => clientFor(rt, SANDBOX_TOKEN).bulkSync.list(undefined, NO_RETRY));
      expect(err).toBeInstanceOf(Polytomic.UnauthorizedError);
      expect(err.statusCode).toBe(401);
      expect(err.body).toEqual({ code: 401, status: 'Unauthorized', error: 'invalid API key' });
    } finally {
      await rt.close();
    }
  });

  it('no configured key: the client\'s own token passes through', async () => {
    const rt = await start({ upstream: sandbox.url, env: {} });
    try {
      const list = await clientFor(rt, SANDBOX_TOKEN).bulkSync.list(undefined, NO_RETRY);
      expect(list.data!.length).toBeGreaterThan(0);
      const err = await thrown(() => clientFor(rt, 'not-the-token').bulkSync.get(SEEDED_SYNC_IDS.postgresToS3, undefined, NO_RETRY));
      expect(err).toBeInstanceOf(Polytomic.UnauthorizedError);
    } finally {
      await rt.close();
    }
  });
});
