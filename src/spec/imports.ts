/**
 * Imported consumes (FEATURES §2): `{import, location | from, as?}` entries are replaced by the named
 * inline entry of the source file, renamed to `as`, so everything downstream treats them as inline.
 * Problems inside a source file are reported at that file's line and column, naming the importing entry.
 */
import path from 'node:path';
import { BuildContext, list, str, type Raw } from './context.js';
import { CapabilityLoadError, type Diagnostic } from './diagnostics.js';
import { parseYaml, type SourcePositions } from './yaml-source.js';
import { checkSchema } from './schema-check.js';
import { readCapabilityFile } from './read-file.js';
import { resolveLocation } from './locations.js';

/** One consumes entry ready to build: inline in the capability, or taken from an imported file. */
export interface ConsumesSource {
  readonly raw: Raw;
  /** where problems of this entry are reported (the source file for imports) */
  readonly ctx: BuildContext;
  /** pointer of the entry in the file `ctx` reports into */
  readonly pointer: string;
  /** the importing entry, for imports */
  readonly importedAt?: { readonly pointer: string; readonly line: number; readonly column: number };
}

interface SourceFile {
  readonly ctx: BuildContext;
  /** the consumes entries and the pointer each one has in the file */
  readonly entries: readonly { raw: Raw; pointer: string }[];
}

/** Resolves every import of `entries`; problems go to `ctx`, or to the imported file's own context. */
export function resolveConsumes(ctx: BuildContext, entries: Raw[], basePointer: string): ConsumesSource[] {
  const files = new Map<string, SourceFile | undefined>();
  const out: ConsumesSource[] = [];
  entries.forEach((raw, i) => {
    const pointer = `${basePointer}/${i}`;
    const location = str(raw.location) ?? str(raw.from);
    if (location === undefined) {
      if (typeof raw.import === 'string' && raw.namespace !== undefined && /\.ya?ml$/i.test(raw.import)) {
        ctx.error('NR_ERR_IMPORT', `${pointer}/import`, `"import" names the namespace to take from a file, not the file: did you mean "import: ${String(raw.namespace)}" + "location: ${raw.import}"?`);
      }
      out.push({ raw, ctx, pointer });
      return;
    }
    if (raw.location !== undefined && raw.from !== undefined && raw.location !== raw.from) {
      ctx.error('NR_ERR_IMPORT', `${pointer}/from`, `"location" and "from" are the same field (alpha3 and Ikanos spellings) and differ: ${JSON.stringify(raw.location)} vs ${JSON.stringify(raw.from)}; keep one`);
      return;
    }
    const field = raw.location !== undefined ? 'location' : 'from';
    const wanted = String(raw.import);
    // until the import succeeds, calls into its namespace are consequences, not causes
    ctx.unresolvedNamespaces.add(str(raw.as) ?? wanted);
    const where = resolveLocation(location, ctx.dir, { base: 'capability-first', plainPaths: true });
    if (!where.ok) {
      ctx.error('NR_ERR_IMPORT', `${pointer}/${field}`, where.reason);
      return;
    }
    if (!where.exists) {
      ctx.error('NR_ERR_IMPORT_NOT_FOUND', `${pointer}/${field}`, `imported file ${where.tried[0]} does not exist${where.tried.length > 1 ? ` (nor does ${where.tried.slice(1).join(', ')})` : ''}; paths are relative to the capability's folder`);
      return;
    }
    if (!files.has(where.path)) files.set(where.path, readSource(ctx, where.path, `${pointer}/${field}`));
    const source = files.get(where.path);
    if (!source) return;
    const at = ctx.positions.valueAt(`${pointer}/import`);
    const importedAt = { pointer, line: at.line, column: at.column };
    const match = source.entries.find((e) => e.raw.namespace === wanted || (e.raw.namespace === undefined && e.raw.import !== undefined && (e.raw.as ?? e.raw.import) === wanted));
    if (!match) {
      const known = source.entries.map((e) => String(e.raw.namespace ?? e.raw.as ?? e.raw.import));
      ctx.error('NR_ERR_IMPORT_UNKNOWN_NAMESPACE', `${pointer}/import`, `${where.path} has no consumes namespace "${wanted}"${known.length ? ` (it has: ${known.join(', ')})` : ' (it declares no consumes)'}`);
      return;
    }
    if (match.raw.namespace === undefined) {
      ctx.error('NR_ERR_IMPORT', `${pointer}/import`, `"${wanted}" in ${where.path} is itself an import; transitive imports are not supported: import it from the file that declares it`);
      return;
    }
    const copy = structuredClone(match.raw);
    copy.namespace = str(raw.as) ?? wanted;
    if (raw.description !== undefined) copy.description = raw.description;
    ctx.unresolvedNamespaces.delete(copy.namespace as string);
    out.push({ raw: copy, ctx: source.ctx, pointer: match.pointer, importedAt });
  });
  return out;
}

/** Reads, parses and schema-checks an imported file once per load; undefined when it is unusable. */
function readSource(ctx: BuildContext, file: string, importPointer: string): SourceFile | undefined {
  const relative = path.relative(process.cwd(), file);
  const shown = relative === '' || relative.startsWith('..') ? file : relative;
  let text: string;
  let parsed: ReturnType<typeof parseYaml>;
  try {
    text = readCapabilityFile(shown);
    parsed = parseYaml(shown, text);
  } catch (e) {
    if (!(e instanceof CapabilityLoadError)) throw e;
    for (const d of e.diagnostics) ctx.error('NR_ERR_IMPORT', importPointer, `${shown}: ${d.message}`);
    return undefined;
  }
  const child = new BuildContext(shown, path.dirname(file), parsed.positions);
  const fail = (d: Diagnostic) => child.diagnostics.push(d);
  parsed.diagnostics.forEach(fail);
  if (parsed.diagnostics.some((d) => d.severity === 'error')) return report(ctx, child, importPointer);
  const root = parsed.value as Raw;
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    ctx.error('NR_ERR_IMPORT', importPointer, `${shown} is not a consumes document: expected a mapping with "naftiko" and "consumes"`);
    return undefined;
  }
  // A standalone consumes document (alpha3), or a capability whose consumes are taken (Ikanos)
  let entries: { raw: Raw; pointer: string }[];
  if (Array.isArray(root.consumes)) {
    checkSchema(shown, root, parsed.positions).forEach(fail);
    entries = list(root.consumes).map((raw, i) => ({ raw, pointer: `/consumes/${i}` }));
  } else if (root.capability && typeof root.capability === 'object' && Array.isArray((root.capability as Raw).consumes)) {
    const consumes = (root.capability as Raw).consumes;
    checkSchema(shown, { naftiko: root.naftiko, consumes }, prefixed(parsed.positions, '/consumes', '/capability/consumes')).forEach((d) =>
      fail({ ...d, pointer: d.pointer.replace(/^\/consumes/, '/capability/consumes') }),
    );
    entries = list(consumes).map((raw, i) => ({ raw, pointer: `/capability/consumes/${i}` }));
  } else {
    ctx.error('NR_ERR_IMPORT', importPointer, `${shown} has no "consumes" list: an imported file is a consumes document ("naftiko" + "consumes")`);
    return undefined;
  }
  if (child.diagnostics.some((d) => d.severity === 'error')) return report(ctx, child, importPointer);
  report(ctx, child, importPointer);
  return { ctx: child, entries };
}

/** Moves the source file's own problems into the capability's list, naming the import. */
function report(ctx: BuildContext, child: BuildContext, importPointer: string): undefined {
  const at = ctx.positions.valueAt(importPointer);
  for (const d of child.diagnostics.splice(0)) ctx.diagnostics.push({ ...d, message: `${d.message} (imported at ${ctx.file}:${at.line}:${at.column})` });
  return undefined;
}

/** Positions of `/from…` pointers looked up as `/to…` (a checked sub-document keeps the file's positions). */
function prefixed(positions: SourcePositions, from: string, to: string): SourcePositions {
  const map = (p: string) => (p.startsWith(from) ? to + p.slice(from.length) : p);
  return { valueAt: (p) => positions.valueAt(map(p)), keyAt: (p) => positions.keyAt(map(p)) };
}

/** Problems found while building an imported entry also name the import. */
export function flushImported(ctx: BuildContext, sources: readonly ConsumesSource[]): void {
  const seen = new Set<BuildContext>();
  for (const s of sources) {
    if (s.ctx === ctx || seen.has(s.ctx)) continue;
    seen.add(s.ctx);
    const at = s.importedAt!;
    for (const d of s.ctx.diagnostics.splice(0)) ctx.diagnostics.push({ ...d, message: `${d.message} (imported at ${ctx.file}:${at.line}:${at.column})` });
  }
}
