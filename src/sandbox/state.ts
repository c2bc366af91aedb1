/**
 * In-memory state and execution lifecycle of the Polytomic sandbox. Transport-free: every
 * method takes already-parsed input and returns the `data` payload, or throws SandboxHttpError.
 *
 * Lifecycle (deterministic, no timers; each `status()` call is one tick):
 *   start → created ─tick→ running ─tick→ completed
 *   cancel / activate{false} / delete while not terminal → canceling ─tick→ canceled
 */
import { randomUUID } from 'node:crypto';
import { ACTOR, ORGANIZATION_ID, connections, seededSyncs } from './seed.js';
import {
  DISCOVER_MODES, FETCH_MODES, NORMALIZE_NAMES, RESYNC_MODES, SCHEDULE_FREQUENCIES, SYNC_MODES, TERMINAL_STATUSES,
  type ActivateSyncOutput, type ApiError, type BulkSyncDest, type BulkSyncExecution, type BulkSyncExecutionStatusItem,
  type BulkSyncInput, type BulkSyncResponse, type BulkSyncSchemaExecution, type BulkSyncSource, type BulkSyncStatusResponse, type CancelBulkSyncResponse,
  type SandboxConnection, type SchemaConfiguration, type StartBulkSyncRequest,
} from './types.js';

export class SandboxHttpError extends Error {
  constructor(readonly status: number, readonly body: ApiError) {
    super(body.message);
  }
}

export function apiError(status: number, message: string, key?: string, metadata?: Record<string, unknown>): SandboxHttpError {
  return new SandboxHttpError(status, { status, message, ...(key ? { key } : {}), ...(metadata ? { metadata } : {}) });
}

const badRequest = (message: string, field?: string) =>
  apiError(400, message, 'bad_request', field ? { field } : undefined);
const syncNotFound = () => apiError(404, 'bulk sync not found', 'not_found');

// ---------------------------------------------------------------------------
// Input validation

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const isStringArray = (v: unknown) => Array.isArray(v) && v.every(isString);
const isSchemaSelection = (v: unknown) =>
  Array.isArray(v) && v.every((s) => (isString(s) && s !== '') || (isObj(s) && isString(s.id) && s.id !== ''));

/** An absent body (no bytes sent) counts as `{}`, so the first missing field gets named. */
function requireObject(body: unknown): Obj {
  if (body === undefined) return {};
  if (!isObj(body)) throw badRequest('request body must be a JSON object');
  return body;
}

function required(b: Obj, field: string, check: (v: unknown) => boolean, expected: string, path = field): void {
  if (b[field] === undefined || b[field] === null) throw badRequest(`${path} is required`, path);
  if (!check(b[field])) throw badRequest(`${path} must be ${expected}`, path);
}

function optional(b: Obj, field: string, check: (v: unknown) => boolean, expected: string, path = field): void {
  if (b[field] !== undefined && !check(b[field])) throw badRequest(`${path} must be ${expected}`, path);
}

const oneOf = (values: readonly string[]) => (v: unknown) => isString(v) && values.includes(v);
const oneOfText = (values: readonly string[]) => `one of ${values.join(', ')}`;

/** Validates a CreateBulkSyncRequest / UpdateBulkSyncRequest body. */
export function parseSyncInput(body: unknown): BulkSyncInput {
  const b = requireObject(body);
  const nonEmpty = (v: unknown) => isString(v) && v.trim() !== '';
  required(b, 'name', nonEmpty, 'a non-empty string');
  required(b, 'source_connection_id', nonEmpty, 'a non-empty string');
  required(b, 'destination_connection_id', nonEmpty, 'a non-empty string');
  required(b, 'destination_configuration', isObj, 'an object');
  required(b, 'schedule', isObj, 'an object');
  const schedule = b.schedule as Obj;
  required(schedule, 'frequency', oneOf(SCHEDULE_FREQUENCIES), oneOfText(SCHEDULE_FREQUENCIES), 'schedule.frequency');
  for (const f of ['minute', 'hour', 'day_of_week', 'day_of_month', 'month']) {
    optional(schedule, f, isString, 'a string', `schedule.${f}`);
  }
  optional(schedule, 'multi', isObj, 'an object', 'schedule.multi');
  optional(b, 'active', isBool, 'a boolean');
  optional(b, 'mode', oneOf(SYNC_MODES), oneOfText(SYNC_MODES));
  optional(b, 'schemas', isSchemaSelection, 'an array of schema ids or {id} objects');
  optional(b, 'source_configuration', isObj, 'an object');
  optional(b, 'automatically_add_new_fields', oneOf(DISCOVER_MODES), oneOfText(DISCOVER_MODES));
  optional(b, 'automatically_add_new_objects', oneOf(DISCOVER_MODES), oneOfText(DISCOVER_MODES));
  optional(b, 'normalize_names', oneOf(NORMALIZE_NAMES), oneOfText(NORMALIZE_NAMES));
  optional(b, 'disable_record_timestamps', isBool, 'a boolean');
  optional(b, 'discover', isBool, 'a boolean');
  optional(b, 'data_cutoff_timestamp', (v) => isString(v) && !Number.isNaN(Date.parse(v)), 'an RFC 3339 date-time');
  optional(b, 'concurrency_limit', isCount, 'a non-negative integer');
  optional(b, 'resync_concurrency_limit', isCount, 'a non-negative integer');
  optional(b, 'organization_id', isString, 'a string');
  optional(b, 'policies', isStringArray, 'an array of strings');
  return structuredClone(b) as unknown as BulkSyncInput;
}

/** Validates a StartBulkSyncRequest body. */
export function parseStartInput(body: unknown): StartBulkSyncRequest {
  const b = requireObject(body);
  optional(b, 'test', isBool, 'a boolean');
  optional(b, 'resync', isBool, 'a boolean');
  optional(b, 'resync_mode', oneOf(RESYNC_MODES), oneOfText(RESYNC_MODES));
  optional(b, 'fetch_mode', oneOf(FETCH_MODES), oneOfText(FETCH_MODES));
  optional(b, 'schemas', isStringArray, 'an array of schema ids');
  if (b.test === true && (b.resync_mode !== undefined || b.resync === true)) {
    throw badRequest('test cannot be combined with resync or resync_mode', 'test');
  }
  return b as StartBulkSyncRequest;
}

// ---------------------------------------------------------------------------
// Execution helpers

/** Deterministic per-schema record total (FNV-1a of the schema id). */
function recordTotal(schema: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < schema.length; i++) h = Math.imul(h ^ schema.charCodeAt(i), 0x01000193) >>> 0;
  return 1000 + (h % 49_000);
}

/** Output (table) name with normalized names: `public.Orders` → `public_orders`. */
const outputName = (schema: string) => schema.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');

const patch = (s: BulkSyncSchemaExecution, changes: Partial<BulkSyncSchemaExecution>) => Object.assign(s, changes);

/** One lifecycle tick. Terminal executions do not change. */
function advance(e: BulkSyncExecution, ts: string): void {
  if (e.status === 'created') {
    e.status = 'running';
    e.started_at = ts;
    for (const s of e.schemas) {
      patch(s, { status: 'running', status_message: 'Fetching records', started_at: ts, updated_at: ts });
      s.record_count = Math.floor(recordTotal(s.schema) / 2);
    }
  } else if (e.status === 'running') {
    e.status = 'completed';
    e.completed_at = ts;
    for (const s of e.schemas) {
      patch(s, { status: 'completed', completed_at: ts, updated_at: ts, record_count: recordTotal(s.schema) });
      delete s.status_message;
    }
  } else if (e.status === 'canceling') {
    e.status = 'canceled';
    e.status_message = 'Canceled by user';
    e.completed_at = ts;
    for (const s of e.schemas) {
      if (s.status !== 'completed') patch(s, { status: 'canceled', status_message: '', completed_at: ts, updated_at: ts });
    }
  } else {
    return;
  }
  e.record_count = e.schemas.reduce((sum, s) => sum + s.record_count, 0);
  e.updated_at = ts;
}

// ---------------------------------------------------------------------------
// State

interface SyncRecord {
  sync: BulkSyncResponse;
  /** Schema selection from create/update; undefined = every schema of the source connection. */
  schemas?: (string | SchemaConfiguration)[];
  /** Most recent (possibly in-flight) execution. */
  current?: BulkSyncExecution;
  /** The previous execution, moved here when a new one starts. */
  last?: BulkSyncExecution;
}

export class PolytomicState {
  private readonly syncs = new Map<string, SyncRecord>();
  private readonly connections: ReadonlyMap<string, SandboxConnection> = new Map(connections().map((c) => [c.id, c]));

  constructor(private readonly seed: boolean, private readonly now: () => Date = () => new Date()) {
    this.reset();
  }

  /** Restore the initial state: seeded syncs (if enabled) and no other syncs. */
  reset(): void {
    this.syncs.clear();
    if (!this.seed) return;
    for (const { sync, history } of seededSyncs()) this.syncs.set(sync.id, { sync, ...(history ? { current: history } : {}) });
  }

  listSyncs(active?: boolean): BulkSyncResponse[] {
    return [...this.syncs.values()]
      .filter((r) => active === undefined || r.sync.active === active)
      .map((r) => structuredClone(r.sync));
  }

  createSync(body: unknown): BulkSyncResponse {
    const input = parseSyncInput(body);
    const id = randomUUID();
    const rec: SyncRecord = { sync: this.buildSync(id, input) };
    if (input.schemas) rec.schemas = input.schemas;
    this.syncs.set(id, rec);
    return structuredClone(rec.sync);
  }

  getSync(id: string): BulkSyncResponse {
    return structuredClone(this.record(id).sync);
  }

  /** PUT is a full replacement: omitted optional fields go back to their defaults. */
  updateSync(id: string, body: unknown): BulkSyncResponse {
    const rec = this.record(id);
    const input = parseSyncInput(body);
    rec.sync = this.buildSync(id, input, rec.sync);
    if (input.schemas) rec.schemas = input.schemas;
    else delete rec.schemas;
    return structuredClone(rec.sync);
  }

  /** Cancels any running execution, then forgets the sync with its history. */
  deleteSync(id: string): void {
    this.requestCancel(this.record(id));
    this.syncs.delete(id);
  }

  activate(id: string, body: unknown): ActivateSyncOutput {
    const rec = this.record(id);
    const b = requireObject(body);
    required(b, 'active', isBool, 'a boolean');
    const active = b.active as boolean;
    rec.sync.active = active;
    rec.sync.updated_at = this.timestamp();
    rec.sync.updated_by = { ...ACTOR };
    if (!active) this.requestCancel(rec);
    return { id, active };
  }

  /** Always answers the same message, whether or not something was running. */
  cancel(id: string): CancelBulkSyncResponse {
    this.requestCancel(this.record(id));
    return { message: 'Cancellation requested' };
  }

  start(id: string, body: unknown): BulkSyncExecution {
    const rec = this.record(id);
    const req = parseStartInput(body);
    if (rec.current && !TERMINAL_STATUSES.has(rec.current.status)) {
      throw apiError(409, 'sync is already running', 'conflict', { execution_id: rec.current.id });
    }
    const selected = this.selectedSchemas(rec);
    const partial = req.schemas !== undefined && req.schemas.length > 0;
    const schemas = partial ? [...new Set(req.schemas)] : selected;
    const unknown = schemas.find((s) => !selected.includes(s));
    if (unknown !== undefined) throw badRequest(`schema ${unknown} is not enabled on this sync`, 'schemas');

    const ts = this.timestamp();
    const resync = req.resync === true ? 'rebuild' : req.resync_mode;
    const execution: BulkSyncExecution = {
      id: randomUUID(),
      type: 'manual',
      status: 'created',
      fetch_mode: req.fetch_mode ?? 'none',
      is_test: req.test ?? false,
      is_resync: resync !== undefined,
      is_partial: partial,
      output_disposition: resync === 'rebuild' ? 'rebuild' : resync === 'resync' ? 'truncate' : 'retain',
      record_count: 0,
      error_count: 0,
      warning_count: 0,
      created_at: ts,
      updated_at: ts,
      schemas: schemas.map((schema) => ({
        schema, output_name: outputName(schema), status: 'created',
        record_count: 0, error_count: 0, warning_count: 0, created_at: ts, updated_at: ts,
      })),
    };
    if (rec.current) rec.last = rec.current;
    rec.current = execution;
    return structuredClone(execution);
  }

  /** Each call advances the current execution by one lifecycle step, then reports. */
  status(id: string): BulkSyncStatusResponse {
    const rec = this.record(id);
    if (rec.current) advance(rec.current, this.timestamp());
    return structuredClone({
      ...(rec.current ? { current_execution: rec.current } : {}),
      ...(rec.last ? { last_execution: rec.last } : {}),
    });
  }

  /** `GET /api/bulk/syncs/status`: current status of every sync that has run; does NOT advance. */
  listStatus(syncIds: string[]): BulkSyncExecutionStatusItem[] {
    const items: BulkSyncExecutionStatusItem[] = [];
    for (const [syncId, rec] of this.syncs) {
      if (rec.current && (syncIds.length === 0 || syncIds.includes(syncId))) items.push({ sync_id: syncId, status: rec.current.status });
    }
    return items;
  }

  source(connectionId: string, includeFields: boolean): BulkSyncSource {
    const { source } = this.connection(connectionId);
    if (!source) throw badRequest('connection does not support bulk sync as a source');
    const out = structuredClone(source);
    if (!includeFields) for (const s of out.schemas) delete s.fields;
    return out;
  }

  destination(connectionId: string): BulkSyncDest {
    const { target } = this.connection(connectionId);
    if (!target) throw badRequest('connection does not support bulk sync as a destination');
    return structuredClone(target);
  }

  // -------------------------------------------------------------------------

  private record(id: string): SyncRecord {
    const rec = this.syncs.get(id);
    if (!rec) throw syncNotFound();
    return rec;
  }

  private connection(id: string): SandboxConnection {
    const conn = this.connections.get(id);
    if (!conn) throw apiError(404, 'connection not found', 'not_found');
    return conn;
  }

  private timestamp(): string {
    return this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private requestCancel(rec: SyncRecord): void {
    const e = rec.current;
    if (!e || TERMINAL_STATUSES.has(e.status) || e.status === 'canceling') return;
    e.status = 'canceling';
    e.updated_at = this.timestamp();
  }

  /** Enabled schema ids: the sync's own selection, else every schema of its source connection. */
  private selectedSchemas(rec: SyncRecord): string[] {
    const ids = rec.schemas
      ? rec.schemas.filter((s) => typeof s === 'string' || s.enabled !== false).map((s) => (typeof s === 'string' ? s : s.id))
      : (this.connections.get(rec.sync.source_connection_id)?.source?.schemas ?? []).map((s) => s.id);
    return [...new Set(ids)];
  }

  private buildSync(id: string, input: BulkSyncInput, previous?: BulkSyncResponse): BulkSyncResponse {
    const ts = this.timestamp();
    const sync: BulkSyncResponse = {
      id,
      organization_id: input.organization_id ?? ORGANIZATION_ID,
      name: input.name,
      active: input.active ?? false,
      mode: input.mode ?? 'replicate',
      source_connection_id: input.source_connection_id,
      destination_connection_id: input.destination_connection_id,
      source_configuration: input.source_configuration ?? {},
      destination_configuration: input.destination_configuration,
      schedule: input.schedule,
      automatically_add_new_fields: input.automatically_add_new_fields ?? 'all',
      automatically_add_new_objects: input.automatically_add_new_objects ?? 'none',
      normalize_names: input.normalize_names ?? 'enabled',
      disable_record_timestamps: input.disable_record_timestamps ?? false,
      discover: input.discover ?? false,
      policies: input.policies ?? [],
      created_at: previous?.created_at ?? ts,
      created_by: previous?.created_by ?? { ...ACTOR },
      updated_at: ts,
      updated_by: { ...ACTOR },
    };
    if (input.data_cutoff_timestamp !== undefined) sync.data_cutoff_timestamp = input.data_cutoff_timestamp;
    if (input.concurrency_limit !== undefined) sync.concurrency_limit = input.concurrency_limit;
    if (input.resync_concurrency_limit !== undefined) sync.resync_concurrency_limit = input.resync_concurrency_limit;
    return sync;
  }
}
