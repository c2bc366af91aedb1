/**
 * The `yaml` package, loaded on first use: most starts never need it (well-formed capability files are
 * read with js-yaml), so it stays out of the start-up path.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let lib: typeof Yaml | undefined;

export function yamlLib(): typeof Yaml {
  return (lib ??= createRequire(import.meta.url)('yaml') as typeof Yaml);
}
