/**
 * Loads the CLI bundle (dist/cli-bundle.cjs, one CommonJS file) through V8's code cache, so a start
 * deserializes the bytecode an earlier start compiled instead of parsing and compiling ~5 MB of
 * JavaScript again. Node 20 has no module compile cache of its own; on every version this cache also
 * holds the functions compiled while starting, not only the top level.
 *
 * - The cache file is named by the SHA-256 of the bundle's bytes, the Node version, the architecture and
 *   the V8 flags given to node: a different bundle (an upgrade, a rebuild) never meets the old file, and
 *   V8 itself refuses data made by another V8 or with other flags (`cachedDataRejected`; then the file is
 *   written again).
 * - Where: NAFTIKO_RUN_CODE_CACHE=DIR, else `naftiko-run-code-cache-UID` in the OS temporary folder
 *   (where Node keeps its own compile cache). `NAFTIKO_RUN_CODE_CACHE=off` turns it off. The folder is
 *   made 0700 and used only when it is this user's and not writable by others (another user must not be
 *   able to plant bytecode; a symbolic link in its place is not followed); files are written 0600 to a temporary name, then renamed.
 * - The KEPT_FILES most recently written files are kept (each rebuild or upgrade writes a new one).
 * - Written once per bundle, when the servers listen (`whenServing`): then it also holds what a start
 *   compiles, and it is made before the CLI changes V8's heap flags (data made after would be refused).
 * - Everything is best effort: a missing, unreadable, refused or unwritable cache means an ordinary
 *   compile, never an error. NODE_DEBUG=naftiko-run prints what happened.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { codeCacheDir, debug, readOwnFile, usableDir, writeCacheFile } from './cache-files.js';

export { codeCacheDir } from './cache-files.js';

/** Files kept in the folder: every rebuild or upgrade writes a new one (~1.5 MB), the oldest go. */
export const KEPT_FILES = 8;

export interface BundleExports {
  runAsProcess(): void;
  whenServing(fn: () => void): void;
}

export function cacheFileName(bundle: Buffer): string {
  const flags = createHash('sha256').update([...process.execArgv, process.env.NODE_OPTIONS ?? ''].join('\0')).digest('hex').slice(0, 8);
  const content = createHash('sha256').update(bundle).digest('hex').slice(0, 32);
  return `${content}-${process.version}-${process.arch}-${flags}.bin`;
}

/**
 * Compiles and runs the CommonJS bundle at `bundlePath` (with the cache when one is usable) and returns
 * its exports. Throws only what reading or running the bundle itself throws.
 */
export function loadBundle(bundlePath: string, env: Readonly<Record<string, string | undefined>> = process.env): BundleExports {
  const bytes = readFileSync(bundlePath);
  const dir = codeCacheDir(env);
  const usable = dir === undefined ? undefined : usableDir(dir);
  const cacheFile = usable === undefined ? undefined : path.join(usable, cacheFileName(bytes));
  const cachedData = cacheFile === undefined ? undefined : readOwnFile(cacheFile);
  // esbuild writes ASCII only (non-ASCII characters escaped), so latin1 decodes it exactly, quicker, and
  // (above 1 MB) as a string outside V8's heap; the file is its own CommonJS wrapper (scripts/bundle.mjs),
  // so that string is compiled as it is, never copied
  const script = new vm.Script(bytes.toString('latin1'), {
    filename: bundlePath,
    ...(cachedData ? { cachedData } : {}),
  });
  const hit = cachedData !== undefined && !script.cachedDataRejected;
  if (dir === undefined) debug('code cache: off');
  else if (cacheFile !== undefined) debug('code cache: %s %s', hit ? 'hit' : cachedData ? 'rejected' : 'miss', cacheFile);
  const wrapper = script.runInThisContext() as unknown;
  if (typeof wrapper !== 'function') throw new Error(`naftiko-run: ${bundlePath} is not the CLI bundle the build writes (reinstall, or npm run build) [NR_ERR_INTERNAL]`);
  const mod = { exports: {} as BundleExports, filename: bundlePath, id: bundlePath, loaded: false };
  wrapper.call(mod.exports, mod.exports, createRequire(bundlePath), mod, bundlePath, path.dirname(bundlePath));
  mod.loaded = true;
  const exports = mod.exports;
  if (cacheFile !== undefined && !hit) exports.whenServing(() => writeCacheFile(cacheFile, script.createCachedData(), '.bin', KEPT_FILES));
  return exports;
}
