/**
 * `npm pack` makes a package that runs on its own: the tarball holds the built CLI, the schema and the
 * shipped capability (not the sources or the tests), and its CLI validates and serves from the
 * unpacked folder. Its dependencies come from this checkout's node_modules (no registry in tests).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, ensureBuilt } from './build-dist.js';

describe('npm pack', () => {
  let dir = '';
  let files: string[] = [];
  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'naftiko-pack-'));
    const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    const [info] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
    files = info!.files.map((f) => f.path);
    execFileSync('tar', ['xzf', path.join(dir, info!.filename), '-C', dir]);
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'package', 'node_modules'));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the CLI bundle, the schema and the capability, and no sources or tests', () => {
    expect(files).toContain('dist/cli.js');
    expect(files).toContain('dist/cli-bundle.cjs'); // what dist/cli.js runs (src/cli/code-cache.ts)
    expect(files).toContain('capabilities/bulksync.yaml');
    expect(files.some((f) => f.startsWith('schema/'))).toBe(true);
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });

  it('its CLI runs from the unpacked folder: --version and validate', () => {
    const cli = path.join(dir, 'package', 'dist', 'cli.js');
    expect(execFileSync(process.execPath, [cli, '--version'], { encoding: 'utf8' }).trim()).toMatch(/^\d+\.\d+\.\d+/);
    const ok = execFileSync(process.execPath, [cli, 'validate', path.join(dir, 'package', 'capabilities', 'bulksync.yaml')], { encoding: 'utf8' });
    expect(ok).toMatch(/^OK /);
    expect(readdirSync(path.join(dir, 'package'))).toContain('README.md');
  });
});
