/**
 * One resolver for every file location a capability names (FEATURES §1.1): binds files, imported
 * consumes, script files, skill folders, schema files. `file:///abs` is absolute; `file:///./p`,
 * `file://./p`, `file://p` and (where a plain path is allowed) `./p`, `../p`, `p` are relative.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Where a relative location is looked for first: binds follow the reference engine (the working
 * directory, then the capability's folder); everything else the capability's folder, then the
 * working directory.
 */
export type LocationBase = 'cwd-first' | 'capability-first';

export type ResolvedLocation =
  | { readonly ok: true; readonly path: string; readonly exists: boolean; readonly tried: readonly string[] }
  | { readonly ok: false; readonly reason: string };

export function resolveLocation(location: string, capabilityDir: string, options: { base: LocationBase; plainPaths: boolean; cwd?: string }): ResolvedLocation {
  const relative = relativePart(location, options.plainPaths);
  if ('reason' in relative) return { ok: false, reason: relative.reason };
  if (relative.absolute !== undefined) return { ok: true, path: relative.absolute, exists: existsSync(relative.absolute), tried: [relative.absolute] };
  const cwd = options.cwd ?? process.cwd();
  const bases = options.base === 'cwd-first' ? [cwd, capabilityDir] : [capabilityDir, cwd];
  const tried = [...new Set(bases.map((b) => path.resolve(b, relative.relative!)))];
  const found = tried.find((p) => existsSync(p));
  return { ok: true, path: found ?? tried[0]!, exists: found !== undefined, tried };
}

function relativePart(location: string, plainPaths: boolean): { absolute?: string; relative?: string } | { reason: string } {
  if (location.startsWith('file://')) {
    let rest = location.slice('file://'.length);
    try {
      rest = decodeURIComponent(rest);
    } catch {
      return { reason: `location ${JSON.stringify(location)} has a bad %-escape` };
    }
    // file:///./x and file:///../x are the tutorial's spelling of a relative path
    if (rest.startsWith('/./') || rest.startsWith('/../')) return { relative: rest.slice(1) };
    if (rest.startsWith('/')) return { absolute: path.normalize(rest) };
    if (rest === '') return { reason: 'location "file://" names no file' };
    return { relative: rest };
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(location);
  if (scheme && !/^[A-Za-z]:[\\/]/.test(location)) {
    const s = scheme[1]!.toLowerCase();
    if (s === 'http' || s === 'https') return { reason: `remote locations (${s}://) are not supported; download the file and use a relative path` };
    return { reason: `location scheme "${s}:" is not supported (use file:// or a relative path)` };
  }
  if (!plainPaths) return { reason: `location ${JSON.stringify(location)} must be a file:// URI` };
  if (location === '') return { reason: 'location is empty' };
  return path.isAbsolute(location) ? { absolute: path.normalize(location) } : { relative: location };
}
