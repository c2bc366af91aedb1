/** Reads a capability or imported YAML file: size, binary and existence problems as one positioned line each. */
import { readFileSync, statSync } from 'node:fs';
import { CapabilityLoadError } from './diagnostics.js';
import { MAX_FILE_BYTES } from './yaml-source.js';

export function readCapabilityFile(file: string): string {
  const fail = (code: string, message: string): never => {
    throw new CapabilityLoadError([{ severity: 'error', code, file, line: 0, column: 0, pointer: '', message }]);
  };
  let size: number;
  try {
    const st = statSync(file);
    if (st.isDirectory()) fail('NR_ERR_FILE_UNREADABLE', 'is a directory, expected a capability YAML file');
    size = st.size;
  } catch (e) {
    if (e instanceof CapabilityLoadError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? 'NR_ERR_FILE_NOT_FOUND' : 'NR_ERR_FILE_UNREADABLE', code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? 'unknown error'})`);
  }
  if (size > MAX_FILE_BYTES) fail('NR_ERR_FILE_TOO_LARGE', `file is ${(size / 1024 / 1024).toFixed(1)} MiB, larger than the ${MAX_FILE_BYTES / 1024 / 1024} MiB limit; a capability is a small YAML document`);
  try {
    const buf = readFileSync(file);
    if (buf.includes(0)) fail('NR_ERR_NOT_YAML', 'file is binary (contains NUL bytes), expected YAML text');
    return buf.toString('utf8');
  } catch (e) {
    if (e instanceof CapabilityLoadError) throw e;
    return fail('NR_ERR_FILE_UNREADABLE', `cannot read file (${(e as NodeJS.ErrnoException).code ?? 'unknown error'})`);
  }
}
