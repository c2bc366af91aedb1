/**
 * The parse cache (src/spec/parse-cache.ts) as files in the CLI's cache folder (cache-files.ts): one
 * file per text, named by the SHA-256 of the reader and the text, holding the value in V8's
 * serialization (plain data: reading it runs no code). A value that cannot be serialized, a file that
 * cannot be read or decoded: no cache, the text is parsed as always.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import v8 from 'node:v8';
import type { ParseCache } from '../spec/parse-cache.js';
import { codeCacheDir, debug, readOwnFile, usableDir, writeCacheFile } from './cache-files.js';

const SUFFIX = '.yaml.v8';
/** files kept: one per capability text a start has read (an edit writes a new one) */
export const KEPT_PARSES = 32;

/** The cache in `env`'s cache folder; undefined when the folder is off or unsafe. */
export function fileParseCache(env: Readonly<Record<string, string | undefined>> = process.env): ParseCache | undefined {
  const chosen = codeCacheDir(env);
  const dir = chosen === undefined ? undefined : usableDir(chosen);
  if (dir === undefined) return undefined;
  const fileOf = (text: string, reader: string) => path.join(dir, `${createHash('sha256').update(reader).update('\0').update(text).digest('hex').slice(0, 40)}${SUFFIX}`);
  return {
    get(text, reader) {
      const file = fileOf(text, reader);
      const bytes = readOwnFile(file);
      if (bytes === undefined) return undefined;
      try {
        const value = v8.deserialize(bytes) as unknown;
        debug('parse cache: hit %s', file);
        return { value };
      } catch (e) {
        debug('parse cache: %s unreadable (%s)', file, (e as Error).message);
        return undefined;
      }
    },
    set(text, reader, value) {
      let bytes: Buffer;
      try {
        bytes = v8.serialize(value);
      } catch {
        return;
      }
      writeCacheFile(fileOf(text, reader), bytes, SUFFIX, KEPT_PARSES);
    },
  };
}
