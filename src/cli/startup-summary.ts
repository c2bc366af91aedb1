/** The short table printed at start: adapters, addresses, routes, tools, unset variables, warnings. */
import type { Runtime } from '../runtime.js';
import { formatDiagnostic } from '../spec/diagnostics.js';
import { variableSource } from '../spec/binds.js';

export function startupSummary(runtime: Runtime): string {
  const lines: string[] = [];
  for (const a of runtime.adapters) {
    lines.push(`${a.type.toUpperCase().padEnd(4)} ${a.namespace}  ${a.url}`);
    for (const r of a.routes) lines.push(`       ${r}`);
    if (a.tools.length) lines.push(`       tools: ${a.tools.join(', ')}`);
    if (a.docs !== undefined) lines.push(`       docs: ${a.docs}/docs  (OpenAPI: ${a.docs}/openapi.json, ${a.docs}/openapi.yaml)`);
  }
  const files = new Map<string, Set<string>>();
  for (const m of runtime.models) {
    for (const [key, v] of m.variables) {
      if (v.file && key.includes('.')) files.set(v.file, (files.get(v.file) ?? new Set()).add(v.name));
    }
  }
  if (files.size) {
    lines.push('Bind files:');
    for (const [file, names] of files) lines.push(`       ${file}: ${[...names].join(', ')}`);
  }
  const unset = new Map<string, string>();
  for (const m of runtime.models) {
    for (const v of m.variables.values()) {
      if (v.value === undefined) unset.set(`${v.namespace}.${v.name}`, variableSource(v));
    }
  }
  if (unset.size) {
    lines.push('Unset bind variables (calls that need them answer 401/500 naming them):');
    for (const [name, from] of unset) lines.push(`       ${name} ← ${from}`);
  }
  for (const w of runtime.warnings) lines.push(formatDiagnostic(w));
  return lines.join('\n');
}
