/** `naftiko-run validate FILE… [--strict]`: every file's problems, and the clashes between files (exit 0 / 1). */
import { loadCapability } from '../../spec/load.js';
import { CapabilityLoadError, formatDiagnostic } from '../../spec/diagnostics.js';
import { crossFileNamespaces } from '../../spec/cross-file.js';
import type { Io } from '../io.js';

export function validate(files: readonly string[], strict: boolean, io: Io): number {
  const results = files.map((file) => {
    try {
      return { file, ...loadCapability(file, { strict }) };
    } catch (e) {
      return { file, error: e };
    }
  });
  // each file may be fine alone and still clash with another in one serve
  const clashes = crossFileNamespaces(results.flatMap((r) => ('model' in r && r.model ? [r.model] : [])));
  let failed = false;
  for (const r of results) {
    if ('error' in r) {
      failed = true;
      if (r.error instanceof CapabilityLoadError) io.err(r.error.message);
      else io.err(`${r.file}: ${(r.error as Error).message} [NR_ERR_INTERNAL]`);
      continue;
    }
    for (const w of r.warnings) io.err(formatDiagnostic(w));
    const own = clashes.filter((d) => d.file === r.model.file);
    for (const d of own) io.err(formatDiagnostic(d));
    if (own.length) failed = true;
    else io.out(`OK ${r.file}`);
  }
  return failed ? 1 : 0;
}
