/**
 * Wire types of the Polytomic Bulk Sync API (version 2024-02-08), mirroring the
 * `polytomic` npm SDK 1.18.1 type definitions (see /work/shared/polytomic/API.md §2.2),
 * plus the sandbox's own public types.
 *
 * Unlike the SDK, properties the sandbox always fills are not optional here.
 */

export const EXECUTION_STATUSES = [
  'created', 'scheduled', 'running', 'exporting', 'canceling', 'canceled',
  'completed', 'failed', 'processing', 'errors', 'interrupted',
] as const;
export type BulkExecutionStatus = (typeof EXECUTION_STATUSES)[number];
/** Per-schema statuses: no `canceling`, no `errors`. */
export type BulkSchemaExecutionStatus = Exclude<BulkExecutionStatus, 'canceling' | 'errors'>;
/** Terminal per the docs (`completed`, `canceled`, `failed`) plus `errors` and `interrupted` [INF]. */
export const TERMINAL_STATUSES: ReadonlySet<BulkExecutionStatus> = new Set([
  'completed', 'canceled', 'failed', 'errors', 'interrupted',
]);

export const SYNC_MODES = ['snapshot', 'replicate'] as const;
export type BulkSyncMode = (typeof SYNC_MODES)[number];
export const DISCOVER_MODES = ['all', 'onlyIncremental', 'onlyNonIncremental', 'none'] as const;
export type BulkDiscover = (typeof DISCOVER_MODES)[number];
export const NORMALIZE_NAMES = ['enabled', 'disabled', 'legacy'] as const;
export type BulkNormalizeNames = (typeof NORMALIZE_NAMES)[number];
export const RESYNC_MODES = ['refetch', 'resync', 'rebuild'] as const;
export type BulkResyncMode = (typeof RESYNC_MODES)[number];
export const FETCH_MODES = ['none', 'incremental', 'full'] as const;
export type BulkFetchMode = (typeof FETCH_MODES)[number];
export type BulkOutputDisposition = 'retain' | 'truncate' | 'rebuild';
export const SCHEDULE_FREQUENCIES = [
  'manual', 'continuous', 'hourly', 'daily', 'weekly', 'custom', 'builder', 'runafter', 'multi', 'dbtcloud',
] as const;
export type ScheduleFrequency = (typeof SCHEDULE_FREQUENCIES)[number];

export interface BulkSchedule {
  frequency: ScheduleFrequency;
  minute?: string;
  hour?: string;
  day_of_week?: string;
  day_of_month?: string;
  month?: string;
  multi?: {
    type?: string;
    schedules?: { item: 'none' | 'incrementalFields' | 'nonincrementalFields'; schedule: BulkSchedule }[];
  };
}

export interface OutputActor {
  id?: string;
  name?: string;
  type?: string;
}

/** `SchemaConfiguration` (only `id` and `enabled` matter to the sandbox). */
export interface SchemaConfiguration {
  id: string;
  enabled?: boolean;
  [key: string]: unknown;
}

/** Body of create (POST) and update (PUT): `CreateBulkSyncRequest` = `UpdateBulkSyncRequest`. */
export interface BulkSyncInput {
  name: string;
  source_connection_id: string;
  destination_connection_id: string;
  destination_configuration: Record<string, unknown>;
  schedule: BulkSchedule;
  active?: boolean;
  mode?: BulkSyncMode;
  schemas?: (string | SchemaConfiguration)[];
  source_configuration?: Record<string, unknown>;
  automatically_add_new_fields?: BulkDiscover;
  automatically_add_new_objects?: BulkDiscover;
  normalize_names?: BulkNormalizeNames;
  disable_record_timestamps?: boolean;
  discover?: boolean;
  data_cutoff_timestamp?: string;
  concurrency_limit?: number;
  resync_concurrency_limit?: number;
  organization_id?: string;
  policies?: string[];
}

export interface BulkSyncResponse {
  id: string;
  organization_id: string;
  name: string;
  active: boolean;
  mode: BulkSyncMode;
  source_connection_id: string;
  destination_connection_id: string;
  source_configuration: Record<string, unknown>;
  destination_configuration: Record<string, unknown>;
  schedule: BulkSchedule;
  automatically_add_new_fields: BulkDiscover;
  automatically_add_new_objects: BulkDiscover;
  normalize_names: BulkNormalizeNames;
  disable_record_timestamps: boolean;
  discover: boolean;
  data_cutoff_timestamp?: string;
  concurrency_limit?: number;
  resync_concurrency_limit?: number;
  policies: string[];
  created_at: string;
  created_by: OutputActor;
  updated_at: string;
  updated_by: OutputActor;
}

/** `StartBulkSyncRequest`: every field optional. */
export interface StartBulkSyncRequest {
  test?: boolean;
  resync_mode?: BulkResyncMode;
  resync?: boolean;
  fetch_mode?: BulkFetchMode;
  schemas?: string[];
}

export interface BulkSyncSchemaExecution {
  schema: string;
  output_name: string;
  status: BulkSchemaExecutionStatus;
  status_message?: string;
  record_count: number;
  error_count: number;
  warning_count: number;
  created_at: string;
  started_at?: string;
  completed_at?: string;
  updated_at: string;
}

export interface BulkSyncExecution {
  id: string;
  type: string;
  status: BulkExecutionStatus;
  status_message?: string;
  fetch_mode: BulkFetchMode;
  is_test: boolean;
  is_resync: boolean;
  is_partial: boolean;
  output_disposition: BulkOutputDisposition;
  record_count: number;
  error_count: number;
  warning_count: number;
  created_at: string;
  started_at?: string;
  completed_at?: string;
  updated_at: string;
  schemas: BulkSyncSchemaExecution[];
}

export interface BulkSyncStatusResponse {
  current_execution?: BulkSyncExecution;
  last_execution?: BulkSyncExecution;
  next_execution_time?: string;
}

/** Item of `GET /api/bulk/syncs/status` (`executions.listStatus`, SDK `BulkSyncExecutionStatus`). */
export interface BulkSyncExecutionStatusItem {
  sync_id: string;
  status: BulkExecutionStatus;
}

export interface ActivateSyncOutput {
  id: string;
  active: boolean;
}

export interface CancelBulkSyncResponse {
  message: string;
}

export type UtilFieldType = 'unknown' | 'string' | 'number' | 'boolean' | 'datetime' | 'array' | 'object' | 'binary';

export interface SchemaField {
  id: string;
  name: string;
  type: UtilFieldType;
  remote_type: string;
  is_primary_key: boolean;
  association?: { id?: string; name?: string; reference_to?: string[]; referenced_field?: string };
  values?: { label?: string; value?: string }[];
}

export interface SourceSchema {
  id: string;
  name: string;
  fields?: SchemaField[];
}

export interface BulkSyncSource {
  capabilities?: { supports_tracking_fields?: boolean };
  configuration?: unknown;
  schemas: SourceSchema[];
}

export interface SupportedBulkMode {
  id: BulkSyncMode;
  label: string;
  description: string;
  requires_identity: boolean;
  supports_field_sync_mode: boolean;
  supports_target_filters: boolean;
}

export interface BulkSyncDest {
  configuration: Record<string, unknown>;
  modes: SupportedBulkMode[];
  supported_resync_modes: BulkResyncMode[];
}

/** Error body of every non-401 error. */
export interface ApiError {
  status: number;
  message: string;
  key?: string;
  metadata?: Record<string, unknown>;
}

/** Error body of 401. */
export interface RestErrResponse {
  code: number;
  status: string;
  error: string;
}

/** A connection the sandbox knows; it may serve as bulk-sync source, destination, or both. */
export interface SandboxConnection {
  id: string;
  name: string;
  source?: BulkSyncSource;
  target?: BulkSyncDest;
}

// ---------------------------------------------------------------------------
// Sandbox public types

export interface PolytomicSandboxOptions {
  /** Interface to bind. Default `127.0.0.1`. */
  host?: string;
  /** Port to bind. Default `0` (ephemeral). */
  port?: number;
  /** If set, only `Authorization: Bearer <token>` is accepted; otherwise any non-empty bearer token. */
  token?: string;
  /** Preload realistic syncs (values from samples.json). Default `true`. */
  seed?: boolean;
  /** Clock for timestamps. Default `() => new Date()`. */
  now?: () => Date;
}

export interface RecordedRequest {
  method: string;
  /** Raw request target as received: undecoded, query string included. */
  path: string;
  /** Node's lower-cased incoming headers. */
  headers: Record<string, string | string[] | undefined>;
  /** Request body as UTF-8 text ('' when none, or when rejected with 413). */
  body: string;
}

export interface PolytomicSandbox {
  /** Base URL without trailing slash, e.g. `http://127.0.0.1:PORT`: pass it as the SDK `environment`. */
  url: string;
  port: number;
  close(): Promise<void>;
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  /** Clear `requests` (in place) and restore the initial state (seeded or empty). */
  reset(): void;
}
