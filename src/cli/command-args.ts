/** The flags of the generating commands (`import openapi`, `init`): their own small parser, apart from serve's. */
import { parseArgs } from 'node:util';
import { RuntimeError } from '../runtime-error.js';
import { usageMessage } from './args.js';
import { usageError, type Io } from './io.js';
import { kebab } from '../importers/openapi/names.js';

export interface GenerateArgs {
  readonly positionals: readonly string[];
  readonly output?: string;
  readonly force: boolean;
  /** `--name`, kebab-cased: the consumes namespace */
  readonly name?: string;
}

export function parseGenerateArgs(argv: readonly string[]): GenerateArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: { output: { type: 'string', short: 'o' }, force: { type: 'boolean' }, name: { type: 'string' } },
    });
  } catch (e) {
    throw new RuntimeError('NR_ERR_CLI_USAGE', usageMessage((e as Error).message));
  }
  const { values, positionals } = parsed;
  let name: string | undefined;
  if (values.name !== undefined) {
    name = kebab(values.name);
    if (!name) throw new RuntimeError('NR_ERR_CLI_BAD_VALUE', `--name ${JSON.stringify(values.name)}: expected a name with letters or digits (it becomes the namespace, e.g. "my-api")`);
  }
  return { positionals, force: values.force ?? false, ...(values.output !== undefined ? { output: values.output } : {}), ...(name ? { name } : {}) };
}

/** A generating command's failure: a usage mistake is exit 2, any other coded error one line and exit 1. */
export function commandFailure(e: unknown, io: Io): number {
  if (e instanceof RuntimeError) {
    if (e.code === 'NR_ERR_CLI_USAGE') return usageError(e.message, io);
    io.err(`naftiko-run: ${e.message} [${e.code}]`);
    return 1;
  }
  io.err(`naftiko-run: unexpected error: ${(e as Error)?.stack ?? String(e)} [NR_ERR_INTERNAL]`);
  return 1;
}
