/**
 * Checks across the files given to one `serve` or `validate`: the same file twice, and a namespace
 * (exposes or consumes) declared in two files, which would make --port / --base-uri ambiguous.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { CapabilityModel } from './model.js';
import type { Diagnostic } from './diagnostics.js';
import { readCapabilityFile } from './read-file.js';
import { parseYaml, type Position } from './yaml-source.js';

/** The first file given twice (same real path), as [first, second], or undefined. */
export function repeatedFile(files: readonly string[]): [string, string] | undefined {
  const seen = new Map<string, string>();
  for (const f of files) {
    let real: string;
    try {
      real = realpathSync(f);
    } catch {
      real = path.resolve(f);  // unreadable: the loader reports it
    }
    const first = seen.get(real);
    if (first !== undefined) return [first, f];
    seen.set(real, f);
  }
  return undefined;
}

export function repeatedMessage([first, second]: [string, string]): string {
  return first === second ? `${first} is given twice; give each file once` : `${first} and ${second} are the same file; give each file once`;
}

/** NR_ERR_DUPLICATE_NAMESPACE for each namespace declared in an earlier file too, at its later place. */
export function crossFileNamespaces(models: readonly CapabilityModel[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const kind of ['exposes', 'consumes'] as const) {
    const first = new Map<string, { file: string; pointer: string }>();
    for (const m of models) {
      for (const item of kind === 'exposes' ? m.exposes : m.consumes) {
        const control = 'type' in item && item.type === 'control';
        const here = { file: m.file, pointer: `${item.pointer}/${control ? 'type' : 'namespace'}` };
        const earlier = first.get(item.namespace);
        if (!earlier) {
          first.set(item.namespace, here);
          continue;
        }
        if (earlier.file === m.file) continue;  // the file's own check reports it
        const at = position(here.file, here.pointer);
        const was = position(earlier.file, earlier.pointer);
        out.push(control
          ? {
              severity: 'error', code: 'NR_ERR_SECOND_CONTROL', file: here.file, ...at, pointer: here.pointer,
              message: `a control adapter is already declared in ${earlier.file}:${was.line}:${was.column}; one process serves one control adapter (remove one)`,
            }
          : {
              severity: 'error', code: 'NR_ERR_DUPLICATE_NAMESPACE', file: here.file, ...at, pointer: here.pointer,
              message: `${kind} namespace "${item.namespace}" is already declared in ${earlier.file}:${was.line}:${was.column}; one serve needs each namespace once (rename one)`,
            });
      }
    }
  }
  return out;
}

function position(file: string, pointer: string): Position {
  try {
    return parseYaml(file, readCapabilityFile(file)).positions.valueAt(pointer);
  } catch {
    return { line: 0, column: 0 };
  }
}
