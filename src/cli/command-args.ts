/** The flags of the generating commands (`import openapi`, `init`): their own small parser, apart from serve's. */
import { parseArgs } from 'node:util';
import { RuntimeError } from '../runtime-error.js';
import { usageMessage } from './args.js';
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
