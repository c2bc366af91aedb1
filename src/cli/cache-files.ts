/**
 * The CLI's cache folder and its files, shared by the code cache (code-cache.ts) and the parse cache
 * (parse-cache-file.ts). Where: NAFTIKO_RUN_CODE_CACHE=DIR, else `naftiko-run-code-cache-UID` in the OS
 * temporary folder; `off` turns both caches off. The folder is made 0700 and used only when it is this
 * user's and not writable by others (another user must not be able to plant what a start reads; a
 * symbolic link in its place is not followed). Files are written 0600 to a temporary name, then renamed.
 * Everything is best effort: a failure means no cache, never an error. NODE_DEBUG=naftiko-run says what happened.
 */
import { closeSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { debuglog } from 'node:util';

export const debug = debuglog('naftiko-run');

/** The folder for cache files, or undefined when turned off. */
export function codeCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const chosen = env.NAFTIKO_RUN_CODE_CACHE;
  if (chosen !== undefined && /^(off|0|false|no)$/i.test(chosen.trim())) return undefined;
  if (chosen) return path.resolve(chosen);
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  return path.join(os.tmpdir(), `naftiko-run-code-cache-${uid}`);
}

/** The folder, created 0700 when absent; undefined when it is not safe to read from. */
export function usableDir(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // lstat: a symbolic link put in the shared temporary folder in place of the folder is not followed
    const st = lstatSync(dir);
    if (!st.isDirectory()) return void debug('code cache: %s is not a folder; not used', dir);
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return void debug('code cache: %s is not owned by this user; not used', dir);
    // (Windows reports no such bits: there the folder is the user's own temporary folder)
    if (process.platform !== 'win32' && (st.mode & 0o022) !== 0) return void debug('code cache: %s is writable by others; not used', dir);
    return dir;
  } catch (e) {
    return void debug('code cache: %s unusable (%s)', dir, (e as Error).message);
  }
}

/** A file of the folder when it is this user's; undefined when absent or not readable. */
export function readOwnFile(file: string): Buffer | undefined {
  try {
    const fd = openSync(file, 'r');
    try {
      const st = fstatSync(fd);
      if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return undefined;
      return readFileSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/**
 * Keeps the `count` most recently written files ending in `suffix` (`keep` among them), and removes
 * temporary files left by a crash.
 */
function prune(dir: string, keep: string, suffix: string, count: number): void {
  try {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(suffix) || f.endsWith('.tmp'))
      .map((f) => ({ f, mtime: statSync(path.join(dir, f)).mtimeMs }));
    const stale = files.filter((x) => x.f.endsWith('.tmp') && Date.now() - x.mtime > 600_000);
    const kept = files.filter((x) => x.f.endsWith(suffix) && x.f !== keep).sort((a, b) => b.mtime - a.mtime);
    for (const { f } of [...stale, ...kept.slice(count - 1)]) unlinkSync(path.join(dir, f));
  } catch {
    // another process pruned first, or the folder went away: nothing to do
  }
}

/** Writes `data` to `file` (0600, through a temporary name), then keeps the `keep` newest files of its kind (`suffix`). */
export function writeCacheFile(file: string, data: Buffer | Uint8Array, suffix: string, keep: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, data);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    debug('code cache: wrote %s (%d bytes)', file, data.length);
    prune(path.dirname(file), path.basename(file), suffix, keep);
  } catch (e) {
    debug('code cache: %s not written (%s)', file, (e as Error).message);
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
  }
}
