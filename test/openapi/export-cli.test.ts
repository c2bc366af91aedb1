/**
 * `node dist/cli.js export openapi FILE [-o] [--adapter]`: the printed and written documents validate
 * and equal the one the module builds; no REST adapter, an unknown or missing --adapter and a bad -o
 * are coded errors with exit 1; the serving CLI prints the docs URL and takes the CORS flags.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../build-dist.js';
import { BULKSYNC, ROOT, call, tmpDir } from '../runtime/helpers.js';
import { CLI, Serving } from '../runtime/serving-cli.js';
import { TUTORIAL } from '../tutorial/upstreams.js';
import { expectValidOpenApi } from './validate-doc.js';
import { FULL_YAML } from './fixtures.js';

const tmp = tmpDir();
beforeAll(ensureBuilt, 180_000);
afterAll(() => tmp.remove());

function cli(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 });
}

const TWO_REST = FULL_YAML.replace('  exposes:\n', `  exposes:
    - type: rest
      namespace: second
      port: 8081
      resources:
        - path: /n
          name: n
          operations:
            - method: GET
              name: list
              call: notes.list-notes
`);

describe('naftiko-run export openapi', () => {
  it('prints bulksync.yaml\'s document as JSON on stdout, valid', async () => {
    const r = cli('export', 'openapi', 'capabilities/bulksync.yaml');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    await expectValidOpenApi(doc);
    expect(doc.servers[0].url).toBe('http://127.0.0.1:8080');
    expect(Object.values(doc.paths as Record<string, object>).flatMap((p) => Object.keys(p))).toHaveLength(11);
  });

  it('-o out.yaml writes YAML, -o out.json JSON: the same document', async () => {
    const yamlFile = path.join(tmp.dir, 'out.yaml');
    const jsonFile = path.join(tmp.dir, 'out.json');
    const y = cli('export', 'openapi', BULKSYNC, '-o', yamlFile);
    expect(y.status).toBe(0);
    expect(y.stderr).toMatch(/^wrote .*out\.yaml \(OpenAPI 3\.1, REST adapter polytomic-subpackage-bulksync-rest\)/);
    expect(cli('export', 'openapi', BULKSYNC, '-o', jsonFile).status).toBe(0);
    const fromYaml = loadYaml(readFileSync(yamlFile, 'utf8'));
    expect(fromYaml).toEqual(JSON.parse(readFileSync(jsonFile, 'utf8')));
    await expectValidOpenApi(fromYaml);
  });

  it('--adapter picks one of several REST adapters; without it, or unknown: NR_ERR_EXPORT_UNKNOWN_ADAPTER', async () => {
    const file = tmp.write('two.yaml', TWO_REST);
    const ok = cli('export', 'openapi', file, '--adapter', 'second');
    expect(ok.status).toBe(0);
    expect(Object.keys(JSON.parse(ok.stdout).paths)).toEqual(['/n']);
    const none = cli('export', 'openapi', file);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/has 2 REST adapters: choose one with --adapter NAMESPACE \(second, api\) \[NR_ERR_EXPORT_UNKNOWN_ADAPTER\]/);
    const unknown = cli('export', 'openapi', file, '--adapter', 'nope');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/--adapter nope: .* \(REST adapters: second, api\) \[NR_ERR_EXPORT_UNKNOWN_ADAPTER\]/);
  });

  it('a capability without REST adapters: NR_ERR_EXPORT_NO_REST naming what it has', () => {
    const r = cli('export', 'openapi', path.join(TUTORIAL, 'step-1-shipyard-mock.yml'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/exposes no REST adapter \(it has: mcp [^)]+\).*\[NR_ERR_EXPORT_NO_REST\]/);
    expect(r.stdout).toBe('');
  });

  it('usage: a bad -o name, a missing file, -o outside export', () => {
    const bad = cli('export', 'openapi', BULKSYNC, '-o', 'out.txt');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/\.json, \.yaml or \.yml.*\[NR_ERR_CLI_BAD_VALUE\]/);
    expect(cli('export', 'openapi').stderr).toMatch(/no capability file given \[NR_ERR_CLI_USAGE\]/);
    expect(cli('export', 'swagger', BULKSYNC).stderr).toMatch(/export swagger: expected export openapi FILE \[NR_ERR_CLI_USAGE\]/);
    const misplaced = cli('validate', BULKSYNC, '-o', 'x.json');
    expect(misplaced.status).toBe(2);
    expect(misplaced.stderr).toMatch(/-o is an option of export openapi/);
    const missing = cli('export', 'openapi', path.join(tmp.dir, 'nope.yaml'));
    expect(missing.status).toBe(1);
  });

  it('serve prints the docs URL; bad CORS flags are NR_ERR_CLI_BAD_VALUE', async () => {
    const env = { PATH: process.env.PATH ?? '' };
    const s = new Serving([BULKSYNC, '--port', 'polytomic-subpackage-bulksync-rest=0', '--port', 'polytomic-subpackage-bulksync-mcp=0'], env);
    try {
      const m = await s.waitFor(/docs: (http:\/\/127\.0\.0\.1:\d+)\/docs/, 20_000);
      expect((await call(`${m[1]}/openapi.json`)).json.openapi).toBe('3.1.0');
    } finally {
      await s.stop();
    }
    for (const [flags, message] of [
      [['--cors-origin', 'https://app.example.com/'], /--cors-origin https:\/\/app\.example\.com\/: expected exactly an origin/],
      [['--cors-origin', '*'], /--cors-origin \*: expected an origin/],
      [['--cors-methods', 'GET'], /--cors-methods needs at least one --cors-origin/],
      [['--cors-origin', 'http://localhost:3000', '--cors-methods', 'GET,FETCH'], /--cors-methods GET,FETCH: expected a comma-separated list/],
    ] as const) {
      const r = await new Serving([BULKSYNC, ...flags], env).exited;
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/\[NR_ERR_CLI_BAD_VALUE\]/);
    }
  }, 60_000);
});
