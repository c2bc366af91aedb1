/** What the control adapter reads from the running process, and the `/status` document made of it. */
import type { Telemetry } from '../../observe/telemetry.js';
import type { UpstreamState } from '../../consume/pools.js';
import { VERSION } from '../../version.js';

export interface AdapterReport {
  readonly type: 'rest' | 'mcp' | 'skill' | 'control';
  readonly namespace: string;
  readonly port?: number;
  readonly url: string;
  readonly state: 'started' | 'stopped';
}

export interface CapabilityReport {
  readonly label: string;
  readonly specVersion: string;
  readonly file: string;
}

export interface ReloadReport {
  readonly count: number;
  readonly lastAt?: string;
  /** the last reload that was refused, kept until one succeeds */
  readonly lastError?: { readonly at: string; readonly code: string; readonly detail: string };
  readonly inProgress: boolean;
}

export type ReloadOutcome =
  | { readonly ok: true; readonly reloads: number; readonly files: readonly string[] }
  | { readonly ok: false; readonly status: number; readonly code: string; readonly detail: string };

export interface ControlSource {
  adapters(): readonly AdapterReport[];
  capabilities(): readonly CapabilityReport[];
  /** every adapter listens and no reload is half-done */
  ready(): boolean;
  reloads(): ReloadReport;
  /** every upstream origin's breaker, limit and sockets */
  upstreams(): readonly UpstreamState[];
  /** absent when the process cannot reload (stdio, tests without files) */
  readonly reload?: (trigger: 'control' | 'signal' | 'watch') => Promise<ReloadOutcome>;
  /** the exposition /metrics answers, when it is more than this process's registry (--workers) */
  readonly metrics?: () => Promise<string>;
}

const startedAt = Date.now();

export function reportStatus(source: ControlSource, telemetry: Telemetry | undefined) {
  const capabilities = source.capabilities();
  return {
    // the reference engine reports one capability; with several files the first, and all of them below
    capability: capabilities[0] ? { label: capabilities[0].label, specVersion: capabilities[0].specVersion } : null,
    capabilities,
    engine: { name: 'naftiko-run', version: VERSION, runtime: `node ${process.versions.node}`, native: false },
    uptime: isoDuration(Date.now() - startedAt),
    otel: { status: telemetry?.tracer ? 'active' : 'inactive' },
    adapters: source.adapters(),
    upstreams: source.upstreams(),
    reload: source.reloads(),
  };
}

/** ms → ISO 8601 duration, as the reference engine writes uptime (`PT1H2M3.4S`). */
export function isoDuration(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s.toFixed(3).replace(/\.?0+$/, '')}S`;
}
