/** `naftiko-run schema [editor]`: prints the capability JSON Schema (2020-12), or its draft-07 editor copy. */
import { readFileSync } from 'node:fs';
import { packagePath } from '../../package-root.js';
import { usageError, type Io } from '../io.js';

const SCHEMA_FILES: Readonly<Record<string, string>> = {
  '': 'naftiko-run.schema.json',
  editor: 'naftiko-run.editor.schema.json',
};

export function schema(args: readonly string[], io: Io): number {
  const [variant = '', ...extra] = args;
  const file = SCHEMA_FILES[variant];
  if (file === undefined || extra.length) return usageError(`schema takes no argument but "editor", got "${args.join(' ')}"`, io);
  io.out(readFileSync(packagePath('schema', file), 'utf8').trimEnd());
  return 0;
}
