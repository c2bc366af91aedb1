/**
 * Loads the files of one serve and checks them together and against the command line (the same at
 * start and on every reload): the same file twice, a namespace in two files, a --base-uri or --port
 * naming no namespace, two adapters on one port.
 */
import { loadCapability } from '../spec/load.js';
import { CapabilityLoadError } from '../spec/diagnostics.js';
import type { CapabilityModel, ExposedAdapter } from '../spec/model.js';
import { crossFileNamespaces, repeatedFile, repeatedMessage } from '../spec/cross-file.js';
import { RuntimeError } from '../runtime-error.js';
import type { Loaded } from './generation.js';

export interface LoadFilesOptions {
  readonly files: readonly string[];
  readonly strict?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly baseUris?: ReadonlyMap<string, string>;
  readonly ports?: ReadonlyMap<string, number>;
  /** `--control-port` moves (or adds) the control adapter */
  readonly controlPort?: number;
}

export function loadFiles(options: LoadFilesOptions): Loaded[] {
  const repeated = repeatedFile(options.files);
  if (repeated) throw new RuntimeError('NR_ERR_FILE_REPEATED', repeatedMessage(repeated));
  const loaded = options.files.map((file) => ({ file, ...loadCapability(file, { strict: options.strict ?? false, ...(options.env ? { env: options.env } : {}) }) }));
  const models = loaded.map((l) => l.model);
  const clashes = crossFileNamespaces(models);
  if (clashes.length) throw new CapabilityLoadError(clashes);
  checkOverrides(models, options);
  checkCrossFilePorts(models, options);
  return loaded;
}

function checkOverrides(models: readonly CapabilityModel[], options: LoadFilesOptions): void {
  const consumes = new Set(models.flatMap((m) => m.consumes.map((c) => c.namespace)));
  for (const [ns, url] of options.baseUris ?? []) {
    if (!consumes.has(ns)) throw new RuntimeError('NR_ERR_CLI_UNKNOWN_NAMESPACE', `--base-uri ${ns}=…: no consumes namespace "${ns}" (known: ${[...consumes].join(', ') || 'none'})`);
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `--base-uri ${ns}=${url}: not an absolute http(s) URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `--base-uri ${ns}=${url}: only http and https are supported`);
  }
  const exposes = new Set(models.flatMap((m) => m.exposes.map((e) => e.namespace)));
  for (const ns of options.ports?.keys() ?? []) {
    if (!exposes.has(ns)) throw new RuntimeError('NR_ERR_CLI_UNKNOWN_NAMESPACE', `--port ${ns}=…: no exposes namespace "${ns}" (known: ${[...exposes].join(', ') || 'none'})`);
  }
}

function checkCrossFilePorts(models: readonly CapabilityModel[], options: LoadFilesOptions): void {
  const seen = new Map<number, string>();
  const claim = (port: number | undefined, namespace: string) => {
    if (port === undefined || port === 0) return;
    const other = seen.get(port);
    if (other) throw new RuntimeError('NR_ERR_PORT_CONFLICT', `adapters "${other}" and "${namespace}" both want port ${port}; give one another port with --port ${namespace}=PORT`);
    seen.set(port, namespace);
  };
  let control = false;
  for (const m of models) {
    for (const a of m.exposes as readonly ExposedAdapter[]) {
      if (a.type === 'control') {
        control = true;
        claim(options.controlPort ?? options.ports?.get(a.namespace) ?? a.port, a.namespace);
        continue;
      }
      if (a.type === 'mcp' && a.transport !== 'http') continue;
      claim(options.ports?.get(a.namespace) ?? a.port, a.namespace);
    }
  }
  if (!control && options.controlPort !== undefined) claim(options.controlPort, 'control (--control-port)');
}
