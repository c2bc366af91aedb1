/**
 * `node dist/cli.js import openapi …` and `init`, as a user runs them: files written or refused,
 * warnings on stderr, the capability on stdout without -o, exit codes; and the two-command path from an
 * OpenAPI file to a served REST + MCP service.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../build-dist.js';
import { call, mcpClient, startRecorder, tmpDir, type Recorder } from '../runtime/helpers.js';
import { CLI, Serving } from '../runtime/serving-cli.js';
import { fixture } from './openapi-helpers.js';

const tmp = tmpDir();
let upstream: Recorder;
beforeAll(async () => {
  ensureBuilt();
  upstream = await startRecorder();
}, 180_000);
afterAll(async () => {
  await upstream.close();
  tmp.remove();
});

const ENV = { PATH: process.env.PATH ?? '' };

function cli(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: tmp.dir, encoding: 'utf8', env: ENV, timeout: 30_000 });
}

describe('naftiko-run import openapi', () => {
  it('-o FILE writes a capability that validate accepts; a second run refuses to overwrite it; --force does', () => {
    const out = path.join(tmp.dir, 'petstore.yaml');
    const r = cli('import', 'openapi', fixture('petstore-3.0.yaml'), '-o', out);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`wrote ${out}: 4 operations as REST routes and MCP tools. Serve it: naftiko-run ${out}\n`);
    expect(readFileSync(out, 'utf8')).toMatch(/^# Naftiko capability imported from petstore-3\.0\.yaml \(OpenAPI 3\.0\.3\)/);
    const v = cli('validate', out);
    expect(v.stdout).toBe(`OK ${out}\n`);
    expect(v.status).toBe(0);

    writeFileSync(out, 'mine\n');
    const again = cli('import', 'openapi', fixture('petstore-3.0.yaml'), '-o', out);
    expect(again.status).toBe(1);
    expect(again.stderr).toBe(`naftiko-run: ${out} already exists; nothing was written. Choose another file with -o, or add --force to overwrite it [NR_ERR_OUTPUT_EXISTS]\n`);
    expect(readFileSync(out, 'utf8')).toBe('mine\n');
    expect(cli('import', 'openapi', fixture('petstore-3.0.yaml'), '-o', out, '--force').status).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('call: petstore.create-pet');
  });

  it('without -o: the capability on stdout, the warnings (file:line:col pointer) and nothing else on stderr', () => {
    const r = cli('import', 'openapi', fixture('no-servers.yaml'), '--name', 'Item Store');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^# Naftiko capability imported/);
    expect(r.stdout).toContain('namespace: item-store\n');
    expect(r.stderr).toBe(`${fixture('no-servers.yaml')}: warning the description names no server: baseUri is "https://{{ITEM_STORE_HOST}}"; set ITEM_STORE_HOST to the API's host[:port][/base-path], or serve with --base-uri item-store=URL [NR_WARN_IMPORT_NO_SERVER]\n`);
  });

  it('refusals: a missing file, not OpenAPI, an unsupported version (exit 1); usage mistakes (exit 2)', () => {
    const missing = cli('import', 'openapi', 'nope.yaml');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe('naftiko-run: nope.yaml: file not found [NR_ERR_OPENAPI_NOT_FOUND]\n');
    const capability = tmp.write('cap.yaml', 'naftiko: 1.0.0-alpha3\ncapability: {}\n');
    expect(cli('import', 'openapi', capability).stderr).toMatch(/not an OpenAPI description \(this is a Naftiko capability already\).*\[NR_ERR_NOT_OPENAPI\]\n$/);
    const v2 = tmp.write('v2.yaml', 'openapi: 2.0.0\ninfo: {title: x, version: "1"}\npaths: {}\n');
    const unsupported = cli('import', 'openapi', v2);
    expect(unsupported.status).toBe(1);
    expect(unsupported.stderr).toMatch(/openapi "2\.0\.0" is not supported; .*\[NR_ERR_OPENAPI_VERSION\]\n$/);
    const unwritable = cli('import', 'openapi', fixture('petstore-3.0.yaml'), '-o', path.join(tmp.dir, 'no-such-dir', 'x.yaml'));
    expect(unwritable.status).toBe(1);
    expect(unwritable.stderr).toMatch(/no-such-dir\/x\.yaml: cannot write \(ENOENT\) \[NR_ERR_OUTPUT_UNWRITABLE\]\n$/);
    for (const args of [['import'], ['import', 'raml', 'x.raml'], ['import', 'openapi'], ['import', 'openapi', 'a.yaml', '--bogus'], ['init', 'extra.yaml']]) {
      const r = cli(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/\[NR_ERR_CLI_USAGE\]\nRun naftiko-run --help for usage\.\n$/);
    }
  });

  it('validate on an OpenAPI file points at import openapi', () => {
    const r = cli('validate', fixture('petstore-3.1.yaml'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`make one from it: naftiko-run import openapi ${fixture('petstore-3.1.yaml')} -o capability.yaml [NR_ERR_NOT_A_CAPABILITY]`);
  });

  it('--help lists both commands', () => {
    const r = cli('--help');
    expect(r.stdout).toContain('naftiko-run import openapi SPEC [-o FILE]');
    expect(r.stdout).toContain('naftiko-run init [-o FILE]');
  });

  it('two commands from an OpenAPI file to a running service: import -o, then serve (REST and MCP answer)', async () => {
    const out = path.join(tmp.dir, 'registry.yaml');
    const spec = path.resolve(fixture('../../tutorial/upstreams/naftiko-shipyard-maritime-registry-api.yaml'));
    expect(cli('import', 'openapi', spec, '-o', out, '--name', 'registry').status).toBe(0);
    const s = new Serving([out, '--port', 'registry-rest=0', '--port', 'registry-mcp=0', '--base-uri', `registry=${upstream.url}`], { ...ENV, REGISTRY_TOKEN: 't-cli' });
    try {
      const [, rest] = await s.waitFor(/^REST\s+registry-rest\s+(http:\/\/127\.0\.0\.1:\d+)$/m);
      const [, mcpUrl] = await s.waitFor(/^MCP\s+registry-mcp\s+(http:\/\/127\.0\.0\.1:\d+\/mcp)$/m);
      upstream.requests.length = 0;
      expect((await call(`${rest}/ships?status=active`, { headers: { 'Registry-Version': '2024-01' } })).status).toBe(200);
      const client = await mcpClient(mcpUrl!);
      try {
        const r = await client.callTool({ name: 'get-ship', arguments: { imo_number: 'IMO-1' } });
        expect(r.isError).toBeFalsy();
      } finally {
        await client.close();
      }
      expect(upstream.requests.map((q) => `${q.method} ${q.url}`)).toEqual(['GET /ships?status=active', 'GET /ships/IMO-1']);
      expect(upstream.requests[0]!.headers['registry-version']).toBe('2024-01');
      expect(upstream.requests.every((q) => q.headers.authorization === 'Bearer t-cli')).toBe(true);
    } finally {
      await s.stop();
    }
  });
});

describe('naftiko-run init', () => {
  it('writes capability.yaml in the working directory, which validates; refuses to overwrite; --force, -o and --name', () => {
    const r = cli('init');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('wrote capability.yaml. Check it: naftiko-run validate capability.yaml · serve it: naftiko-run capability.yaml\n');
    expect(cli('validate', 'capability.yaml').stdout).toBe('OK capability.yaml\n');
    const again = cli('init');
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/capability\.yaml already exists; nothing was written.*\[NR_ERR_OUTPUT_EXISTS\]\n$/);
    expect(cli('init', '--force').status).toBe(0);
    expect(cli('init', '-o', 'notes.yaml', '--name', 'Notes').status).toBe(0);
    const text = readFileSync(path.join(tmp.dir, 'notes.yaml'), 'utf8');
    expect(text).toContain('namespace: notes-rest');
    expect(cli('validate', '--strict', 'notes.yaml').stdout).toBe('OK notes.yaml\n');
    const badName = cli('init', '-o', 'x.yaml', '--name', '!!!');
    expect(badName.status).toBe(1);
    expect(badName.stderr).toMatch(/--name "!!!": expected a name with letters or digits.*\[NR_ERR_CLI_BAD_VALUE\]\n$/);
  });
});
