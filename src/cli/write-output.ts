/** Writes a file a command generates; an existing file is kept unless --force (the check and the create are one step). */
import { writeFileSync } from 'node:fs';
import { RuntimeError } from '../runtime-error.js';

export function writeOutput(file: string, text: string, force: boolean): void {
  try {
    writeFileSync(file, text, { flag: force ? 'w' : 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new RuntimeError('NR_ERR_OUTPUT_EXISTS', `${file} already exists; nothing was written. Choose another file with -o, or add --force to overwrite it`);
    throw new RuntimeError('NR_ERR_OUTPUT_UNWRITABLE', `${file}: cannot write (${code ?? (e as Error).message})`);
  }
}
