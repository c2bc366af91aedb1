import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sources(full) : full.endsWith('.ts') ? [full] : [];
  });
}

describe('docs/errors.md', () => {
  const docs = readFileSync('docs/errors.md', 'utf8');
  const documented = new Set([...docs.matchAll(/^\| (NR_[A-Z0-9_]+) \|/gm)].map((m) => m[1]));
  const used = new Set(sources('src').filter((f) => !f.includes(`${path.sep}sandbox${path.sep}`)).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/\bNR_(?:ERR|WARN)_[A-Z0-9_]+/g)].map((m) => m[0])));

  it('lists every error code the runtime can produce', () => {
    const missing = [...used].filter((c) => !documented.has(c)).sort();
    expect(missing).toEqual([]);
  });

  it('lists no code the runtime never produces', () => {
    const stale = [...documented].filter((c) => !used.has(c!)).sort();
    expect(stale).toEqual([]);
  });
});
