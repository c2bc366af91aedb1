/**
 * The files of a skill's `location`: a safe resolver for request paths, a sorted recursive walk, and
 * media types by extension. One rule (SAFE_SEGMENT, not hidden, contained after symlinks) decides what
 * is listed, served and zipped, so every listed file can be fetched and nothing else can.
 */
import { open, readdir, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { SAFE_SEGMENT, isServedSegment } from '../../spec/build-skill.js';

export interface SkillFile {
  /** relative, `/`-separated (the path under `/contents/`) */
  readonly path: string;
  /** the real path on disk (symlinks resolved, inside the location) */
  readonly abs: string;
  readonly size: number;
  readonly mtime: Date;
  readonly mode: number;
}

/** A walk stops (with SkillFilesError) beyond these: a skill is a handful of documents. */
export const MAX_FILES = 10_000;
export const MAX_DEPTH = 32;

export class SkillFilesError extends Error {}

function contained(realRoot: string, real: string): boolean {
  return real === realRoot || real.startsWith(realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep);
}

/** Every served regular file under `root`, sorted by path (code-unit order). undefined when `root` is gone. */
export async function listSkillFiles(root: string): Promise<SkillFile[] | undefined> {
  let realRoot: string;
  try {
    realRoot = await realpath(root);
    if (!(await stat(realRoot)).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  const files: SkillFile[] = [];
  const visited = new Set<string>([realRoot]);
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) throw new SkillFilesError(`the skill location is nested deeper than ${MAX_DEPTH} directories`);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // unreadable or vanished mid-walk: nothing to serve from it
    }
    for (const entry of entries) {
      if (!isServedSegment(entry.name)) continue;
      const full = path.join(dir, entry.name);
      const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
      let real = full;
      if (entry.isSymbolicLink()) {
        try {
          real = await realpath(full);
        } catch {
          continue; // dangling link
        }
        if (!contained(realRoot, real)) continue; // a link out of the location is never served
      } else if (!entry.isFile() && !entry.isDirectory()) {
        continue;
      }
      let st;
      try {
        st = await stat(real);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        if (visited.has(real)) continue; // a link loop, or a second link to the same folder
        visited.add(real);
        await walk(real, relPath, depth + 1);
      } else if (st.isFile()) {
        if (files.length >= MAX_FILES) throw new SkillFilesError(`the skill location holds more than ${MAX_FILES} files`);
        files.push({ path: relPath, abs: real, size: st.size, mtime: st.mtime, mode: st.mode });
      }
    }
  };
  await walk(realRoot, '', 0);
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export type ResolvedPath =
  | { readonly kind: 'bad'; readonly detail: string }
  | { readonly kind: 'missing'; readonly detail: string }
  | { readonly kind: 'file'; readonly path: string; readonly handle: FileHandle; readonly size: number; readonly mtime: Date };

/**
 * Raw (still percent-encoded) request segments → decoded relative segments, or why they are refused.
 * Each decoded segment must match SAFE_SEGMENT and not be `.` or `..`: an encoded `/` or `\` fails.
 */
export function decodeSegments(raw: readonly string[]): { ok: true; segments: string[] } | { ok: false; detail: string } {
  const segments: string[] = [];
  for (const r of raw) {
    let s: string;
    try {
      s = decodeURIComponent(r);
    } catch {
      return { ok: false, detail: `path segment "${r}" has a malformed percent escape` };
    }
    if (s === '') return { ok: false, detail: 'empty path segment ("//")' };
    if (s === '.' || s === '..') return { ok: false, detail: `"${s}" path segments are not allowed` };
    if (!SAFE_SEGMENT.test(s)) return { ok: false, detail: `path segment ${JSON.stringify(s)} has a character outside [a-zA-Z0-9._-]` };
    segments.push(s);
  }
  return { ok: true, segments };
}

/**
 * Opens `root/segments…` when it is a served regular file inside `root` once every symlink is resolved.
 * The caller closes the handle (or hands it to a stream that does).
 */
export async function openSkillFile(root: string, segments: readonly string[]): Promise<ResolvedPath> {
  const rel = segments.join('/');
  if (segments.some((s) => s.startsWith('.'))) return { kind: 'missing', detail: `${rel}: hidden files are not served` };
  let realRoot: string;
  let real: string;
  try {
    realRoot = await realpath(root);
  } catch {
    return { kind: 'missing', detail: 'the skill location no longer exists' };
  }
  try {
    real = await realpath(path.join(root, ...segments));
  } catch {
    return { kind: 'missing', detail: `no file ${rel} in the skill` };
  }
  if (!contained(realRoot, real)) return { kind: 'bad', detail: `${rel} resolves outside the skill location` };
  let handle: FileHandle;
  try {
    handle = await open(real, 'r');
  } catch {
    return { kind: 'missing', detail: `no file ${rel} in the skill` };
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      await handle.close();
      return { kind: 'missing', detail: st.isDirectory() ? `${rel} is a directory; GET /contents lists the files` : `${rel} is not a regular file` };
    }
    return { kind: 'file', path: rel, handle, size: st.size, mtime: st.mtime };
  } catch {
    await handle.close().catch(() => {});
    return { kind: 'missing', detail: `no file ${rel} in the skill` };
  }
}

const MEDIA_TYPES: Readonly<Record<string, string>> = {
  md: 'text/markdown', markdown: 'text/markdown', txt: 'text/plain', text: 'text/plain', log: 'text/plain',
  html: 'text/html', htm: 'text/html', css: 'text/css', csv: 'text/csv', tsv: 'text/tab-separated-values',
  js: 'text/javascript', mjs: 'text/javascript', cjs: 'text/javascript', ts: 'text/plain',
  py: 'text/x-python', sh: 'application/x-sh', rb: 'text/plain', java: 'text/plain', go: 'text/plain', rs: 'text/plain',
  json: 'application/json', yaml: 'application/yaml', yml: 'application/yaml', xml: 'application/xml', toml: 'application/toml',
  pdf: 'application/pdf', zip: 'application/zip', gz: 'application/gzip', tgz: 'application/gzip', tar: 'application/x-tar',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', svg: 'image/svg+xml', ico: 'image/vnd.microsoft.icon',
  wasm: 'application/wasm', woff: 'font/woff', woff2: 'font/woff2', mp3: 'audio/mpeg', mp4: 'video/mp4',
};

/** Media type by extension (lower-cased); application/octet-stream when unknown. */
export function mediaTypeOf(file: string): string {
  const dot = file.lastIndexOf('.');
  const slash = file.lastIndexOf('/');
  if (dot <= slash + 1) return 'application/octet-stream';
  return MEDIA_TYPES[file.slice(dot + 1).toLowerCase()] ?? 'application/octet-stream';
}

const TEXTUAL = /^(text\/|application\/(json|yaml|xml|toml|x-sh)$|image\/svg\+xml$)/;

/** The Content-Type header for a media type: text gets `; charset=utf-8`. */
export function contentTypeHeader(mediaType: string): string {
  return TEXTUAL.test(mediaType) ? `${mediaType}; charset=utf-8` : mediaType;
}

/** Types already compressed: zipped with deflate level 0 (stored blocks), not recompressed. */
export function isCompressed(mediaType: string): boolean {
  return /^(image\/(png|jpeg|gif|webp)|application\/(zip|gzip|pdf|wasm)|font\/woff2?|audio\/|video\/)/.test(mediaType);
}
