/**
 * OTLP/HTTP export of the tracer's finished spans, with OpenTelemetry's own exporter and batch processor
 * (FEATURES §15 d): loaded only when an endpoint is configured, so serving without one costs nothing.
 * Our spans are handed over as the SDK's ReadableSpan shape; the exporter then applies the usual
 * OTEL_EXPORTER_OTLP_* settings (headers, timeout, compression) from the environment.
 */
import type { FinishedSpan, SpanKind as OurKind, Tracer } from './tracer.js';
import { VERSION } from '../version.js';

export interface OtlpExportOptions {
  /** the traces URL (…/v1/traces) */
  readonly tracesUrl: string;
  readonly serviceName: string;
  /** the most spans waiting for export; past it new spans are dropped (counted in `dropped`) */
  readonly maxQueueSize?: number;
  /** ms between batches */
  readonly scheduledDelayMs?: number;
  /** ms one export request may take */
  readonly exportTimeoutMs?: number;
}

export interface OtlpExport {
  readonly tracesUrl: string;
  /** sends what is queued, waiting at most `ms` */
  flush(ms?: number): Promise<void>;
  /** flushes and stops, waiting at most `ms` */
  close(ms?: number): Promise<void>;
}

/**
 * Where traces go: the capability's `exporters.otlp.endpoint` (a base URL, as OTEL_EXPORTER_OTLP_ENDPOINT),
 * else OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the full URL), else OTEL_EXPORTER_OTLP_ENDPOINT; undefined
 * when none is set or OTEL_SDK_DISABLED / OTEL_TRACES_EXPORTER=none says no.
 */
export function otlpTracesUrl(specEndpoint: string | undefined, env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  if (env.OTEL_TRACES_EXPORTER?.split(',').map((s) => s.trim()).includes('none')) return undefined;
  const base = (url: string) => `${url.replace(/\/+$/, '')}/v1/traces`;
  if (specEndpoint) return base(specEndpoint);
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return base(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  return undefined;
}

const KIND = { INTERNAL: 0, SERVER: 1, CLIENT: 2 } as const satisfies Record<OurKind, number>;
const STATUS = { UNSET: 0, OK: 1, ERROR: 2 } as const;
const SAMPLED = 1;

export async function startOtlpExport(tracer: Tracer, options: OtlpExportOptions): Promise<OtlpExport> {
  const [{ OTLPTraceExporter }, { BatchSpanProcessor }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http').then(commonJs),
    import('@opentelemetry/sdk-trace').then(commonJs),
    import('@opentelemetry/resources').then(commonJs),
  ]);
  const exporter = new OTLPTraceExporter({ url: options.tracesUrl, timeoutMillis: options.exportTimeoutMs ?? 10_000 });
  const processor = new BatchSpanProcessor({
    exporter,
    maxQueueSize: options.maxQueueSize ?? 2048,
    maxExportBatchSize: 512,
    scheduledDelayMillis: options.scheduledDelayMs ?? 2_000,
    exportTimeoutMillis: options.exportTimeoutMs ?? 10_000,
  });
  const resource = resourceFromAttributes({ 'service.name': options.serviceName, 'service.version': VERSION, 'telemetry.sdk.name': 'naftiko-run' });
  const scope = { name: 'naftiko-run', version: VERSION };
  let open = true;
  tracer.onFinished((span) => {
    if (open) processor.onEnd(readable(span, resource, scope) as never);
  });
  const bounded = (p: Promise<void>, ms: number) =>
    Promise.race([p.catch(() => {}), new Promise<void>((r) => setTimeout(r, ms).unref())]);
  return {
    tracesUrl: options.tracesUrl,
    flush: (ms = 2_000) => bounded(processor.forceFlush(), ms),
    close: async (ms = 2_000) => {
      if (!open) return;
      open = false;
      await bounded(processor.shutdown(), ms);
    },
  };
}

/** A finished span in the SDK's ReadableSpan shape (what the exporter's transformer reads). */
function readable(span: FinishedSpan, resource: unknown, instrumentationScope: { name: string; version: string }) {
  const startTime = hrTime(span.startTime);
  const duration = hrTime(span.durationMs);
  const endTime = hrTime(span.startTime + span.durationMs);
  const context = { traceId: span.traceId, spanId: span.spanId, traceFlags: SAMPLED };
  return {
    name: span.name,
    kind: KIND[span.kind],
    spanContext: () => context,
    ...(span.parentSpanId ? { parentSpanContext: { traceId: span.traceId, spanId: span.parentSpanId, traceFlags: SAMPLED, isRemote: span.root } } : {}),
    startTime, endTime, duration,
    status: { code: STATUS[span.status] },
    attributes: span.attributes,
    links: [], events: [],
    ended: true,
    resource,
    instrumentationScope,
    droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0,
  };
}

/** epoch (or duration) milliseconds → [seconds, nanoseconds] */
function hrTime(ms: number): [number, number] {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

/** The named exports of a CommonJS package, whether Node's loader or the bundle's shim imported it. */
function commonJs<T extends object>(mod: T & { default?: T }): T {
  return { ...mod.default, ...mod };
}
