/**
 * `exposes[]` with `type: control` → the ControlAdapter model (FEATURES §15): which management routes
 * are served, and the observability settings with their defaults.
 */
import type { BoundVariable, ControlAdapter, Observability } from './model.js';
import { compileTemplate, renderTemplate } from './template.js';
import type { BuildContext, Raw } from './context.js';

/** The namespace of a control adapter (the spec gives it none): `--port control=PORT` moves it. */
export const CONTROL_NAMESPACE = 'control';

export const DEFAULT_TRACE_BUFFER_SIZE = 100;

type Common = { namespace: string; address: string; pointer: string; description?: string };

export function buildControlAdapter(ctx: BuildContext, raw: Raw, common: Common, variables: ReadonlyMap<string, BoundVariable>): ControlAdapter {
  const pointer = common.pointer;
  const management = (raw.management ?? {}) as Raw;
  for (const field of ['validate', 'logs'] as const) {
    if (management[field] !== undefined && management[field] !== false) {
      ctx.warn('NR_WARN_CONTROL_UNSERVED', `${pointer}/management/${field}`, `management.${field} is not served by naftiko-run (nor by the reference engine); /status, /metrics, /traces and POST /reload are`);
    }
  }
  return {
    ...common,
    type: 'control',
    port: raw.port as number,
    management: { health: management.health !== false, info: management.info === true, reload: management.reload === true },
    observability: buildObservability(ctx, (raw.observability ?? {}) as Raw, `${pointer}/observability`, variables),
  };
}

function buildObservability(ctx: BuildContext, raw: Raw, pointer: string, variables: ReadonlyMap<string, BoundVariable>): Observability {
  if (raw.enabled === false) return { enabled: false, metrics: false };
  const metrics = ((raw.metrics as Raw | undefined)?.local as Raw | undefined)?.enabled !== false;
  const traces = (raw.traces ?? {}) as Raw;
  const local = (traces.local ?? {}) as Raw;
  const otlp = ((raw.exporters as Raw | undefined)?.otlp as Raw | undefined)?.endpoint;
  let otlpEndpoint: string | undefined;
  if (typeof otlp === 'string') {
    // unlike the reference engine, the endpoint's {{VAR}}s are rendered from binds (FEATURES §15 c)
    const r = renderTemplate(compileTemplate(otlp), (ref) => variables.get(ref)?.value);
    if (r.ok) otlpEndpoint = r.value;
    else ctx.warn('NR_WARN_OTLP_ENDPOINT_UNSET', `${pointer}/exporters/otlp/endpoint`, `the OTLP endpoint ${JSON.stringify(otlp)} uses an unset variable; traces are not exported until it is set`);
  }
  return {
    enabled: true,
    metrics,
    ...(local.enabled !== false
      ? { traces: { sampling: typeof traces.sampling === 'number' ? traces.sampling : 1, propagation: traces.propagation === 'b3' ? 'b3' : 'w3c', bufferSize: typeof local['buffer-size'] === 'number' ? local['buffer-size'] : DEFAULT_TRACE_BUFFER_SIZE } as const }
      : {}),
    ...(otlpEndpoint ? { otlpEndpoint } : {}),
  };
}
