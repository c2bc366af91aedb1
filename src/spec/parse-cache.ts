/**
 * Where the YAML reader (yaml-source.ts) may keep what it parsed, by the text it came from: a start
 * of the same capability then reads the value instead of parsing it again (~20–30 ms of a cold start
 * for capabilities/bulksync.yaml). Only the quick parse's values are kept (a file without anchors,
 * aliases, tags or directives); positions are always computed from the text when a problem needs them.
 * The library installs none; the CLI installs one in its cache folder (src/cli/parse-cache-file.ts).
 */
import jsYamlPackage from 'js-yaml/package.json' with { type: 'json' };

export interface ParseCache {
  /** the value parsed from `text` with the reader named by `reader`, or undefined */
  get(text: string, reader: string): { readonly value: unknown } | undefined;
  /** keeps `value`, parsed from `text` (a copy is kept: the caller may change the value afterwards) */
  set(text: string, reader: string, value: unknown): void;
}

/** The reader whose values a cache keeps: another js-yaml version, or other options (the last part), is another key. */
export const QUICK_READER = `js-yaml@${(jsYamlPackage as { version: string }).version}/core/1`;

let installed: ParseCache | undefined;

/** Installs the cache the YAML reader uses from now on (undefined: none). */
export function useParseCache(cache: ParseCache | undefined): void {
  installed = cache;
}

export function currentParseCache(): ParseCache | undefined {
  return installed;
}
