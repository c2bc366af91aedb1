/**
 * Fixture data for the sandbox. Values come from /work/shared/polytomic/samples.json
 * (themselves invented); the Postgres and S3 catalogs extend them in the same style.
 */
import type { BulkSyncExecution, BulkSyncResponse, OutputActor, SandboxConnection, SupportedBulkMode } from './types.js';

export const ORGANIZATION_ID = '8f9b2c1e-3d4a-4b5c-9e8f-7a6b5c4d3e2f';
export const ACTOR: OutputActor = { id: '2b7c9e41-5a3d-4f8e-b1c2-9d0e7f6a5b4c', name: 'Dana Whitfield', type: 'user' };

export const CONNECTION_IDS = {
  salesforce: '0e6a5f0c-8a51-4f2b-9a8e-3c1d2b4a5e6f',
  snowflake: '5b1d9c7a-2e4f-4a3b-8c6d-1f0e9a8b7c6d',
  postgres: '7d3f1a2b-6c5e-4d8f-9b0a-1e2c3d4f5a6b',
  s3: 'e8a1b2c3-d4e5-4f6a-8b9c-0d1e2f3a4b5c',
} as const;

export const SEEDED_SYNC_IDS = {
  salesforceToSnowflake: '6f1c2a9e-4b7d-4e3a-9c8b-2d5f7a1e0b3c',
  postgresToS3: 'c2d8e4f1-9a3b-4c5d-8e7f-6a1b2c3d4e5f',
  postgresToSnowflake: '4a9e2c7b-1d3f-4b6a-8e5c-7f0d2b9a1c3e',
} as const;

const REPLICATE: SupportedBulkMode = {
  id: 'replicate', label: 'Replicate', description: 'Insert new rows and update changed rows in place',
  requires_identity: false, supports_field_sync_mode: false, supports_target_filters: false,
};
const SNAPSHOT: SupportedBulkMode = {
  id: 'snapshot', label: 'Snapshot', description: 'Replace all records on every run',
  requires_identity: false, supports_field_sync_mode: false, supports_target_filters: false,
};

/** Connections are static fixtures (no API creates them), present whether or not syncs are seeded. */
export function connections(): SandboxConnection[] {
  return [
    {
      id: CONNECTION_IDS.salesforce,
      name: 'Salesforce (production)',
      source: {
        capabilities: { supports_tracking_fields: true },
        schemas: [
          {
            id: 'Account', name: 'Account', fields: [
              { id: 'Id', name: 'Account ID', type: 'string', remote_type: 'id', is_primary_key: true },
              { id: 'Name', name: 'Account Name', type: 'string', remote_type: 'string', is_primary_key: false },
              {
                id: 'Industry', name: 'Industry', type: 'string', remote_type: 'picklist', is_primary_key: false,
                values: [{ label: 'Banking', value: 'Banking' }, { label: 'Retail', value: 'Retail' }],
              },
              { id: 'SystemModstamp', name: 'System Modstamp', type: 'datetime', remote_type: 'datetime', is_primary_key: false },
            ],
          },
          {
            id: 'Contact', name: 'Contact', fields: [
              { id: 'Id', name: 'Contact ID', type: 'string', remote_type: 'id', is_primary_key: true },
              { id: 'Email', name: 'Email', type: 'string', remote_type: 'email', is_primary_key: false },
              {
                id: 'AccountId', name: 'Account ID', type: 'string', remote_type: 'reference', is_primary_key: false,
                association: { id: 'AccountId', name: 'Account', reference_to: ['Account'], referenced_field: 'Id' },
              },
            ],
          },
        ],
      },
    },
    {
      id: CONNECTION_IDS.snowflake,
      name: 'Snowflake (analytics)',
      target: {
        configuration: {
          schema: { default: '', items: null, required: true },
          mirror_schemas: { default: '', items: null, required: false },
          advanced: { items: { truncate_existing: { default: '', items: null, required: false } } },
        },
        modes: [REPLICATE, SNAPSHOT],
        supported_resync_modes: ['refetch', 'resync', 'rebuild'],
      },
    },
    {
      id: CONNECTION_IDS.postgres,
      name: 'Postgres (prod)',
      source: {
        capabilities: { supports_tracking_fields: false },
        schemas: [
          {
            id: 'public.users', name: 'public.users', fields: [
              { id: 'id', name: 'id', type: 'number', remote_type: 'bigint', is_primary_key: true },
              { id: 'email', name: 'email', type: 'string', remote_type: 'text', is_primary_key: false },
              { id: 'created_at', name: 'created_at', type: 'datetime', remote_type: 'timestamptz', is_primary_key: false },
            ],
          },
          {
            id: 'public.orders', name: 'public.orders', fields: [
              { id: 'id', name: 'id', type: 'number', remote_type: 'bigint', is_primary_key: true },
              { id: 'user_id', name: 'user_id', type: 'number', remote_type: 'bigint', is_primary_key: false },
              { id: 'total', name: 'total', type: 'number', remote_type: 'numeric', is_primary_key: false },
              { id: 'updated_at', name: 'updated_at', type: 'datetime', remote_type: 'timestamptz', is_primary_key: false },
            ],
          },
        ],
      },
    },
    {
      id: CONNECTION_IDS.s3,
      name: 'S3 data lake',
      target: {
        configuration: {
          format: { default: 'parquet', items: null, required: true },
          prefix: { default: '', items: null, required: false },
        },
        modes: [SNAPSHOT],
        supported_resync_modes: ['rebuild'],
      },
    },
  ];
}

const SEED_TIME = '2025-03-04T16:20:11Z';

function seededSync(fields: Omit<BulkSyncResponse, 'organization_id' | 'automatically_add_new_fields' | 'automatically_add_new_objects'
  | 'normalize_names' | 'disable_record_timestamps' | 'discover' | 'policies' | 'created_at' | 'created_by' | 'updated_at' | 'updated_by'>): BulkSyncResponse {
  const { id, ...rest } = fields;
  return {
    id,
    organization_id: ORGANIZATION_ID,
    ...rest,
    automatically_add_new_fields: 'all',
    automatically_add_new_objects: 'none',
    normalize_names: 'enabled',
    disable_record_timestamps: false,
    discover: false,
    policies: [],
    created_at: SEED_TIME,
    created_by: { ...ACTOR },
    updated_at: SEED_TIME,
    updated_by: { ...ACTOR },
  };
}

export interface SeededSync {
  sync: BulkSyncResponse;
  /** A finished execution already in history (becomes `current_execution`). */
  history?: BulkSyncExecution;
}

export function seededSyncs(): SeededSync[] {
  return [
    {
      sync: seededSync({
        id: SEEDED_SYNC_IDS.salesforceToSnowflake,
        name: 'Salesforce → Snowflake (raw)',
        active: true,
        mode: 'replicate',
        source_connection_id: CONNECTION_IDS.salesforce,
        destination_connection_id: CONNECTION_IDS.snowflake,
        source_configuration: {},
        destination_configuration: { schema: 'salesforce_raw' },
        schedule: { frequency: 'daily', hour: '5', minute: '30' },
        concurrency_limit: 5,
        resync_concurrency_limit: 2,
      }),
      history: {
        id: '1d7a3c5e-0b2f-4e68-9a14-c5e7f9b3d201',
        type: 'scheduled',
        status: 'completed',
        fetch_mode: 'none',
        is_test: false,
        is_resync: false,
        is_partial: false,
        output_disposition: 'retain',
        record_count: 48112,
        error_count: 0,
        warning_count: 3,
        created_at: '2025-03-04T05:30:00Z',
        started_at: '2025-03-04T05:30:03Z',
        completed_at: '2025-03-04T05:41:57Z',
        updated_at: '2025-03-04T05:41:57Z',
        schemas: [
          {
            schema: 'Account', output_name: 'account', status: 'completed',
            record_count: 12831, error_count: 0, warning_count: 0,
            created_at: '2025-03-04T05:30:00Z', started_at: '2025-03-04T05:30:03Z',
            completed_at: '2025-03-04T05:33:40Z', updated_at: '2025-03-04T05:33:40Z',
          },
          {
            schema: 'Contact', output_name: 'contact', status: 'completed', status_message: '3 records had values truncated',
            record_count: 35281, error_count: 0, warning_count: 3,
            created_at: '2025-03-04T05:30:00Z', started_at: '2025-03-04T05:30:03Z',
            completed_at: '2025-03-04T05:41:57Z', updated_at: '2025-03-04T05:41:57Z',
          },
        ],
      },
    },
    {
      sync: seededSync({
        id: SEEDED_SYNC_IDS.postgresToS3,
        name: 'Postgres (prod) → S3 parquet',
        active: false,
        mode: 'snapshot',
        source_connection_id: CONNECTION_IDS.postgres,
        destination_connection_id: CONNECTION_IDS.s3,
        source_configuration: { replication_slot: 'polytomic_slot' },
        destination_configuration: { format: 'parquet', prefix: 'exports/pg' },
        schedule: {
          frequency: 'multi',
          multi: {
            type: 'multi',
            schedules: [
              { item: 'incrementalFields', schedule: { frequency: 'continuous' } },
              { item: 'nonincrementalFields', schedule: { frequency: 'weekly', day_of_week: 'sunday', hour: '2', minute: '0' } },
            ],
          },
        },
      }),
    },
    {
      sync: seededSync({
        id: SEEDED_SYNC_IDS.postgresToSnowflake,
        name: 'Postgres (prod) → Snowflake (manual)',
        active: true,
        mode: 'replicate',
        source_connection_id: CONNECTION_IDS.postgres,
        destination_connection_id: CONNECTION_IDS.snowflake,
        source_configuration: {},
        destination_configuration: { schema: 'postgres_prod' },
        schedule: { frequency: 'manual' },
      }),
    },
  ];
}
