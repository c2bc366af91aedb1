/** `naftiko-run import openapi SPEC [-o FILE] [--force] [--name NAME]`: a capability from an OpenAPI description. */
import { importOpenApi } from '../../importers/openapi/import.js';
import { formatDiagnostic, sortDiagnostics } from '../../spec/diagnostics.js';
import { commandFailure as fail, parseGenerateArgs } from '../command-args.js';
import { writeOutput } from '../write-output.js';
import { usageError, type Io } from '../io.js';

export async function importCommand(argv: readonly string[], io: Io): Promise<number> {
  let args;
  try {
    args = parseGenerateArgs(argv);
  } catch (e) {
    return fail(e, io);
  }
  const [format, spec, ...extra] = args.positionals;
  if (format !== 'openapi') return usageError(format === undefined ? 'import needs a format: naftiko-run import openapi SPEC [-o FILE]' : `import ${format}: only "import openapi SPEC" is supported`, io);
  if (spec === undefined) return usageError('import openapi needs the OpenAPI file: naftiko-run import openapi SPEC [-o FILE]', io);
  if (extra.length) return usageError(`import openapi takes one file, got also ${extra.join(' ')}`, io);
  try {
    const result = await importOpenApi(spec, { ...(args.name ? { namespace: args.name } : {}), ...(args.output ? { output: args.output } : {}) });
    for (const w of sortDiagnostics(result.warnings)) io.err(formatDiagnostic(w));
    if (args.output === undefined) {
      io.out(result.yaml.trimEnd());
      return 0;
    }
    writeOutput(args.output, result.yaml, args.force);
    const vars = result.variables.length ? `; set ${result.variables.map((v) => v.name).join(', ')} first` : '';
    io.err(`wrote ${args.output}: ${result.operations} operation${result.operations === 1 ? '' : 's'} as REST routes and MCP tools${result.warnings.length ? `, ${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'} above` : ''}. Serve it: naftiko-run ${args.output}${vars}`);
    return 0;
  } catch (e) {
    return fail(e, io);
  }
}
