/**
 * `import openapi`: an OpenAPI 2.0 / 3.0 / 3.1 file → capability YAML that validates and serves as it
 * is, plus the warnings for what could not be mapped. The result is loaded with the real loader before
 * it is handed back, so an import never writes a file that `validate` would refuse.
 */
import path from 'node:path';
import { loadCapabilityText } from '../../spec/load.js';
import { CapabilityLoadError, type Diagnostic } from '../../spec/diagnostics.js';
import { RuntimeError } from '../../runtime-error.js';
import { VERSION } from '../../version.js';
import { readOpenApi } from './read.js';
import { buildCapability, MCP_PORT, REST_PORT } from './build.js';
import { capabilityYaml } from './write-yaml.js';
import { ImportWarnings } from './warnings.js';
import type { BindVariable } from './security.js';

export interface ImportOptions {
  /** the consumes namespace (default: the kebab-cased `info.title`) */
  readonly namespace?: string;
  /** the file the capability will be written to, named in the header's commands (default: FILE) */
  readonly output?: string;
}

export interface ImportResult {
  readonly yaml: string;
  readonly warnings: readonly Diagnostic[];
  readonly namespace: string;
  readonly operations: number;
  readonly variables: readonly BindVariable[];
}

export async function importOpenApi(file: string, options: ImportOptions = {}): Promise<ImportResult> {
  const warnings = new ImportWarnings(file);
  const spec = await readOpenApi(file, warnings);
  const built = buildCapability(spec, options.namespace !== undefined ? { namespace: options.namespace } : {}, warnings);
  if (built.operations === 0) throw new RuntimeError('NR_ERR_OPENAPI_NO_OPERATIONS', `${file}: no operation to import (no GET, POST, PUT, PATCH or DELETE under "paths"); a capability needs at least one`);
  const out = options.output ?? 'FILE';
  const header = [
    `Naftiko capability imported from ${path.basename(file)} (${spec.version === '2.0' ? 'Swagger' : 'OpenAPI'} ${spec.versionText}) by naftiko-run ${VERSION} import openapi.`,
    `Check it: naftiko-run validate ${out}`,
    `Serve it: naftiko-run ${out}   (REST on :${REST_PORT}, MCP on :${MCP_PORT}/mcp; --port NAMESPACE=PORT, --base-uri ${built.namespace}=URL)`,
    ...(built.variables.length ? [`Set first: ${built.variables.map((v) => v.name).join(', ')} (environment variables, see binds)`] : []),
  ];
  const yaml = capabilityYaml(built.capability, built.comments, header);
  try {
    // the environment is not consulted: an import's result must not depend on what happens to be set
    const loaded = loadCapabilityText(out, yaml, { env: {} });
    warnings.list.push(...loaded.warnings);
  } catch (e) {
    const detail = e instanceof CapabilityLoadError ? e.message : (e as Error).message;
    throw new RuntimeError('NR_ERR_OPENAPI_RESULT_INVALID', `${file}: the imported capability does not validate (a naftiko-run bug; please report it with the description):\n${detail}`);
  }
  return { yaml, warnings: warnings.list, namespace: built.namespace, operations: built.operations, variables: built.variables };
}
