/** `naftiko-run export openapi FILE [-o out.json|out.yaml] [--adapter NAMESPACE]`: a REST adapter's OpenAPI 3.1 document. */
import { writeFileSync } from 'node:fs';
import { dump } from 'js-yaml';
import { loadCapability } from '../../spec/load.js';
import { CapabilityLoadError, formatDiagnostic } from '../../spec/diagnostics.js';
import type { RestAdapter } from '../../spec/model.js';
import { openApiDocument } from '../../expose/rest/openapi/document.js';
import type { CliArgs } from '../args.js';
import type { Io } from '../io.js';

export function exportOpenApi(file: string, values: CliArgs['values'], io: Io): number {
  const output = values.output;
  const format = output === undefined ? 'json' : /\.ya?ml$/i.test(output) ? 'yaml' : /\.json$/i.test(output) ? 'json' : undefined;
  if (format === undefined) {
    io.err(`naftiko-run: -o ${output}: the file name must end in .json, .yaml or .yml (it chooses the format) [NR_ERR_CLI_BAD_VALUE]`);
    return 1;
  }
  let loaded;
  try {
    loaded = loadCapability(file, { strict: values.strict ?? false });
  } catch (e) {
    io.err(e instanceof CapabilityLoadError ? e.message : `${file}: ${(e as Error).message} [NR_ERR_INTERNAL]`);
    return 1;
  }
  for (const w of loaded.warnings) io.err(formatDiagnostic(w));
  const { model } = loaded;
  const rest = model.exposes.filter((a): a is RestAdapter => a.type === 'rest');
  const others = model.exposes.filter((a) => a.type !== 'rest').map((a) => `${a.type} ${a.namespace}`);
  if (rest.length === 0) {
    io.err(`naftiko-run: ${file} exposes no REST adapter${others.length ? ` (it has: ${others.join(', ')})` : ''}; an OpenAPI document describes a REST adapter's routes [NR_ERR_EXPORT_NO_REST]`);
    return 1;
  }
  const wanted = values.adapter;
  const adapter = wanted !== undefined ? rest.find((a) => a.namespace === wanted) : rest.length === 1 ? rest[0] : undefined;
  if (!adapter) {
    const names = rest.map((a) => a.namespace).join(', ');
    io.err(wanted !== undefined
      ? `naftiko-run: --adapter ${wanted}: ${file} has no REST adapter of that namespace (REST adapters: ${names}) [NR_ERR_EXPORT_UNKNOWN_ADAPTER]`
      : `naftiko-run: ${file} has ${rest.length} REST adapters: choose one with --adapter NAMESPACE (${names}) [NR_ERR_EXPORT_UNKNOWN_ADAPTER]`);
    return 1;
  }
  const doc = openApiDocument(model.info, adapter);
  const text = format === 'yaml' ? yamlText(doc) : `${JSON.stringify(doc, null, 2)}\n`;
  if (output === undefined) {
    io.out(text.trimEnd());
    return 0;
  }
  try {
    writeFileSync(output, text);
  } catch (e) {
    io.err(`naftiko-run: cannot write ${output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} [NR_ERR_EXPORT_WRITE]`);
    return 1;
  }
  io.err(`wrote ${output} (OpenAPI 3.1, REST adapter ${adapter.namespace})`);
  return 0;
}

function yamlText(doc: unknown): string {
  return dump(doc, { noRefs: true, lineWidth: -1 });
}
