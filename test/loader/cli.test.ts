/**
 * `node dist/cli.js validate FILE…`, `--help`, `--version`: output and exit codes.
 * dist/ is rebuilt (`npm run build`) first when any src/ file is newer than dist/cli.js.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureBuilt } from '../build-dist.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, REPO, tmpDir, variant } from './helpers.js';

const CLI = path.join(REPO, 'dist', 'cli.js');
const VERSION = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const tmp = tmpDir();

beforeAll(ensureBuilt, 180_000);
afterAll(() => tmp.remove());

/** Runs the CLI from the repository root, with no bind variables in the environment. */
function cli(...args: string[]): SpawnSyncReturns<string> {
  const env = { ...process.env };
  delete env.POLYTOMIC_API_KEY;
  return spawnSync(process.execPath, [CLI, ...args], { cwd: REPO, encoding: 'utf8', env, timeout: 30_000 });
}

describe('naftiko-run validate', () => {
  it('validate capabilities/bulksync.yaml: "OK capabilities/bulksync.yaml", exit 0', () => {
    const r = cli('validate', 'capabilities/bulksync.yaml');
    expect(r.stdout).toBe('OK capabilities/bulksync.yaml\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('--strict on bulksync.yaml is still OK', () => {
    const r = cli('validate', '--strict', 'capabilities/bulksync.yaml');
    expect(r.stdout).toBe('OK capabilities/bulksync.yaml\n');
    expect(r.status).toBe(0);
  });

  it('an invalid file: its problems on stderr, one per line, exit 1', () => {
    const file = path.join(tmp.dir, 'bad.yaml');
    writeFileSync(file, variant('port: 8080', 'port: "80a"'));
    const r = cli('validate', file);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${file}:6:13 /capability/exposes/0/port: must be an integer 1–65535, got "80a" [NR_ERR_SCHEMA]\n`);
  });

  it('several problems are all printed, sorted by position', () => {
    const file = path.join(tmp.dir, 'semantic.yaml');
    writeFileSync(file, variant('baseUri: http://localhost:1', 'baseUri: http://{{HOST}}:1', variant('call: up.list', 'call: up.lst')));
    const r = cli('validate', file);
    expect(r.status).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${escape(file)}:12:21 /capability/exposes/0/resources/0/operations/0/call: .* \\[NR_ERR_UNKNOWN_CALL\\]$`));
    expect(lines[1]).toMatch(new RegExp(`^${escape(file)}:16:16 /capability/consumes/0/baseUri: .* \\[NR_ERR_UNDECLARED_VARIABLE\\]$`));
  });

  it('a missing file: exit 1, NR_ERR_FILE_NOT_FOUND', () => {
    const r = cli('validate', 'no/such/file.yaml');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('no/such/file.yaml: file not found [NR_ERR_FILE_NOT_FOUND]\n');
  });

  it('warnings are printed but the file is OK (exit 0); --strict makes them errors (exit 1)', () => {
    const file = path.join(tmp.dir, 'warn.yaml');
    writeFileSync(file, variant('      port: 8080\n', '      port: 8080\n      colour: red\n'));
    const r = cli('validate', file);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`OK ${file}\n`);
    expect(r.stderr).toMatch(new RegExp(`^${escape(file)}:7:7 /capability/exposes/0/colour: warning unknown field "colour".*\\[NR_WARN_UNKNOWN_FIELD\\]\\n$`));
    const strict = cli('validate', '--strict', file);
    expect(strict.status).toBe(1);
    expect(strict.stdout).toBe('');
    expect(strict.stderr).toMatch(new RegExp(`^${escape(file)}:7:7 /capability/exposes/0/colour: unknown field "colour".*\\[NR_WARN_UNKNOWN_FIELD\\]\\n$`));
  });

  it('several files: each is reported; one bad file makes the exit 1', () => {
    const good = path.join(tmp.dir, 'good.yaml');
    const bad = path.join(tmp.dir, 'empty.yaml');
    writeFileSync(good, BASE);
    writeFileSync(bad, '');
    const r = cli('validate', good, bad, 'capabilities/bulksync.yaml');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`OK ${good}\nOK capabilities/bulksync.yaml\n`);
    expect(r.stderr).toMatch(/\[NR_ERR_FILE_EMPTY\]\n$/);
  });

  it('validate with no file is a usage error (exit 2)', () => {
    const r = cli('validate');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('[NR_ERR_CLI_USAGE]');
  });
});

describe('several files given to one validate / serve', () => {
  const dir = tmpDir();
  afterAll(() => dir.remove());
  const write = (name: string, text: string): string => {
    const file = path.join(dir.dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('the same exposes namespace in two files is NR_ERR_DUPLICATE_NAMESPACE naming both files and lines', () => {
    const a = write('a.yaml', BASE);
    const b = write('b.yaml', variant('call: up.list', 'call: up2.list', variant('      namespace: up\n', '      namespace: up2\n')));
    const r = cli('validate', a, b);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`OK ${a}\n`);
    expect(r.stderr).toBe(`${b}:5:18 /capability/exposes/0/namespace: exposes namespace "api" is already declared in ${a}:5:18; one serve needs each namespace once (rename one) [NR_ERR_DUPLICATE_NAMESPACE]\n`);
    const served = cli(a, b, '--port', 'api=0');
    expect(served.status).toBe(1);
    expect(served.stderr).toContain(`${b}:5:18`);
    expect(served.stderr).toContain(`already declared in ${a}:5:18`);
  });

  it('the same consumes namespace in two files is reported too', () => {
    const a = write('c.yaml', BASE);
    const b = write('d.yaml', variant('      namespace: api\n', '      namespace: api2\n'));
    const r = cli('validate', a, b);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^${escape(b)}:\\d+:\\d+ /capability/consumes/0/namespace: consumes namespace "up" is already declared in ${escape(a)}:\\d+:\\d+`));
  });

  it('the same file twice is NR_ERR_FILE_REPEATED, exit 2, for validate and serve', () => {
    const a = write('e.yaml', BASE);
    for (const args of [['validate', a, a], [a, a], ['validate', a, path.join(path.dirname(a), '.', 'e.yaml')]]) {
      const r = cli(...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/ (is given twice|are the same file); give each file once \[NR_ERR_FILE_REPEATED\]\n$/);
    }
  });
});

describe('naftiko-run --help / --version', () => {
  it.each(['--help', '-h'])('%s: usage on stdout, exit 0', (flag) => {
    const r = cli(flag);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage:');
    expect(r.stdout).toContain('validate FILE');
    expect(r.stderr).toBe('');
  });

  it.each(['--version', '-v'])('%s: the package version, exit 0', (flag) => {
    const r = cli(flag);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${VERSION}\n`);
    expect(r.stderr).toBe('');
  });

  it('an unknown option: exit 2, one plain line (no quote left over from Node\'s parseArgs)', () => {
    const r = cli('validate', '--frobnicate', 'capabilities/bulksync.yaml');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('naftiko-run: unknown option --frobnicate [NR_ERR_CLI_USAGE]\nRun naftiko-run --help for usage.\n');
  });

  it('help and version are commands, not file names', () => {
    const help = cli('help');
    expect([help.status, help.stderr]).toEqual([0, '']);
    expect(help.stdout).toContain('Usage:');
    expect(help.stdout).toMatch(/--port NAMESPACE=PORT .*\(0 = any free port\)/);
    const version = cli('version');
    expect([version.status, version.stdout, version.stderr]).toEqual([0, `${VERSION}\n`, '']);
  });

  it('--port without NAMESPACE= says what is expected and lists the files\' adapter namespaces', () => {
    const r = cli('capabilities/bulksync.yaml', '--port', '18281');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('naftiko-run: --port 18281: expected NAMESPACE=PORT, NAMESPACE being an exposes namespace (adapters of the given files: polytomic-subpackage-bulksync-rest, polytomic-subpackage-bulksync-mcp) [NR_ERR_CLI_BAD_VALUE]\n');
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
