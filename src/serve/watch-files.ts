/**
 * `--watch`: calls `changed` once a burst of edits to any of the files is over. Editors often save by
 * writing a new file and renaming it over the old one, which ends a watch on the file itself, so the
 * folders are watched and events are filtered by name. A file may also change without an event of its
 * own name: a Kubernetes ConfigMap or Secret volume holds `NAME -> ..data/NAME` and updates by swapping
 * the `..data` symlink, so an event on any other name counts when it moved a file's resolved target.
 */
import { realpathSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

/** Saves arrive as several events (truncate, write, rename): they are one change after this quiet time. */
const SETTLE_MS = 250;

export function watchFiles(files: readonly string[], changed: () => void, failed: (e: Error) => void): () => void {
  const byFolder = new Map<string, Set<string>>();
  for (const f of files) {
    const abs = path.resolve(f);
    const dir = path.dirname(abs);
    byFolder.set(dir, (byFolder.get(dir) ?? new Set()).add(path.basename(abs)));
  }
  let timer: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [];
  for (const [dir, names] of byFolder) {
    const targets = new Map([...names].map((n) => [n, resolvedTarget(path.join(dir, n))]));
    const retargeted = (): boolean => {
      let moved = false;
      for (const [n, before] of targets) {
        const now = resolvedTarget(path.join(dir, n));
        if (now !== before) {
          targets.set(n, now);
          moved = true;
        }
      }
      return moved;
    };
    try {
      const w = watch(dir, { persistent: false }, (_event, name) => {
        const moved = retargeted();
        if (!moved && name !== null && !names.has(path.basename(String(name)))) return;
        clearTimeout(timer);
        timer = setTimeout(changed, SETTLE_MS);
      });
      w.on('error', failed);
      watchers.push(w);
    } catch (e) {
      failed(e as Error);
    }
  }
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}

/** The file a path ends at after its symlinks; undefined while it does not exist (mid-swap). */
function resolvedTarget(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}
