/**
 * `binds[]`: where each `{{VAR}}` gets its value. No `location` → the process environment; a `file://`
 * location → a key in a JSON, YAML or .env file. Unset is never fatal here (SEMANTICS §2).
 */
import { readFileSync } from 'node:fs';
import { resolveLocation } from './locations.js';
import { yamlLib } from './yaml-lib.js';
import type { BoundVariable } from './model.js';

export interface BindDeclaration {
  readonly namespace: string;
  readonly location?: string;
  readonly keys: Readonly<Record<string, string>>;
  readonly pointer: string;
}

export interface BindProblem {
  readonly severity: 'error' | 'warning';
  readonly code: string;
  readonly pointer: string;
  readonly message: string;
}

export interface ResolvedBinds {
  readonly variables: ReadonlyMap<string, BoundVariable>;
  readonly problems: readonly BindProblem[];
}

/** Where a user sets a variable: "environment variable X" or "key X in file://…". */
export function variableSource(v: BoundVariable): string {
  if (!v.location) return `environment variable ${v.source}`;
  return `key ${v.source} in ${v.location}${v.file ? ` (${v.file})` : ''}`;
}

export function resolveBinds(
  binds: readonly BindDeclaration[],
  capabilityDir: string,
  env: Readonly<Record<string, string | undefined>>,
): ResolvedBinds {
  const variables = new Map<string, BoundVariable>();
  const problems: BindProblem[] = [];
  for (const bind of binds) {
    let source: Readonly<Record<string, unknown>> | undefined = env;
    let file: string | undefined;
    if (bind.location !== undefined) {
      source = undefined;
      const where = bind.location.startsWith('file://') ? resolveLocation(bind.location, capabilityDir, { base: 'cwd-first', plainPaths: false }) : undefined;
      if (where?.ok) {
        file = where.path;
        const loaded = where.exists ? readBindFile(file) : { missing: true, reason: `bind file ${where.tried[0]} does not exist${where.tried.length > 1 ? ` (nor does ${where.tried.slice(1).join(', ')})` : ''}` };
        if ('values' in loaded) source = loaded.values;
        else
          problems.push({
            severity: loaded.missing ? 'warning' : 'error',
            code: loaded.missing ? 'NR_WARN_BIND_FILE_MISSING' : 'NR_ERR_BIND_FILE',
            pointer: bind.pointer + '/location',
            message: loaded.reason + '; its variables are unset',
          });
      } else {
        problems.push({
          severity: 'warning',
          code: 'NR_WARN_BIND_LOCATION_UNSUPPORTED',
          pointer: bind.pointer + '/location',
          message: `location scheme "${bind.location.split(':')[0]}" is not supported (only file:// and the environment); its variables are unset`,
        });
      }
    }
    for (const [name, key] of Object.entries(bind.keys)) {
      const raw = source?.[key];
      const value = raw === undefined || raw === null || raw === '' ? undefined : String(raw);
      const variable: BoundVariable = {
        name,
        namespace: bind.namespace,
        source: key,
        ...(bind.location !== undefined ? { location: bind.location } : {}),
        ...(file !== undefined ? { file } : {}),
        value,
      };
      variables.set(`${bind.namespace}.${name}`, variable);
      if (variables.has(name) && variables.get(name)!.namespace !== bind.namespace) {
        problems.push({
          severity: 'warning',
          code: 'NR_WARN_BIND_AMBIGUOUS',
          pointer: `${bind.pointer}/keys/${name}`,
          message: `variable ${name} is declared in binds "${variables.get(name)!.namespace}" and "${bind.namespace}"; {{${name}}} means the first, use {{namespace.${name}}}`,
        });
      } else {
        variables.set(name, variable);
      }
    }
  }
  return { variables, problems };
}

type BindFile = { values: Record<string, unknown> } | { missing: boolean; reason: string };

function readBindFile(file: string): BindFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    return { missing, reason: `bind file ${file} ${missing ? 'does not exist' : 'cannot be read'}` };
  }
  try {
    if (file.endsWith('.json')) return { values: asRecord(JSON.parse(text)) };
    if (file.endsWith('.yaml') || file.endsWith('.yml')) return { values: asRecord(yamlLib().parse(text)) };
    return { values: parseDotEnv(text) };
  } catch (e) {
    return { missing: false, reason: `bind file ${file} is not valid: ${(e as Error).message.split('\n')[0]}` };
  }
}

function asRecord(v: unknown): Record<string, unknown> {
  if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  throw new Error('expected a mapping of keys to values');
}

/** KEY=value lines; `#` comments, optional `export `, single or double quotes. */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new Error(`not a KEY=value line: ${line.slice(0, 40)}`);
    let value = m[2] ?? '';
    const q = value[0];
    if ((q === '"' || q === "'") && value.endsWith(q) && value.length >= 2) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, '');
    out[m[1]!] = value;
  }
  return out;
}
