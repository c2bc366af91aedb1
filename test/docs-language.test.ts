/**
 * docs/language.md: every example block that names its file is written to a folder, every capability
 * among them loads without errors, and the orchestration and script examples answer what the page
 * says when served against a local upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadCapability } from './../src/spec/load.js';
import { startRuntime, type Runtime } from '../src/runtime.js';
import { call, mcpClient, startRecorder, tmpDir, type Recorder, type TmpDir } from './runtime/helpers.js';

const PAGE = readFileSync(new URL('../docs/language.md', import.meta.url), 'utf8');
const BLOCKS = [...PAGE.matchAll(/```(yaml|js|json)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, text: m[2]! }));
const FILES = BLOCKS.flatMap((b) => {
  const m = /^(?:#|\/\/) file: (\S+)\n/.exec(b.text);
  return m ? [{ name: m[1]!, text: b.text }] : [];
});
const CAPABILITIES = FILES.filter((f) => /^capability:/m.test(f.text)).map((f) => f.name);

describe('docs/language.md', () => {
  let dir: TmpDir;
  let upstream: Recorder;
  const runtimes: Runtime[] = [];

  beforeAll(async () => {
    dir = tmpDir();
    for (const f of FILES) {
      mkdirSync(path.dirname(path.join(dir.dir, f.name)), { recursive: true });
      writeFileSync(path.join(dir.dir, f.name), f.text);
    }
    upstream = await startRecorder((req) => {
      if (req.path === '/ships/IMO-1') return { body: { imo_number: 'IMO-1', dimensions: { length_overall: 229 }, assignedCrew: ['C1', 'C3'] } };
      if (req.path === '/crew') return { body: [{ crewId: 'C1', fullName: 'Erik Lindström', role: 'captain' }, { crewId: 'C2', fullName: 'Ana Souza', role: 'engineer' }, { crewId: 'C3', fullName: 'Aiko Tanaka', role: 'cook' }] };
      return { status: 404, body: { error: 'not_found' } };
    });
  });
  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.close()));
    await upstream.close();
    dir.remove();
  });

  it('has the examples this test expects', () => {
    expect(CAPABILITIES).toEqual(['imports.yaml', 'orchestration.yaml', 'script.yaml', 'forward.yaml', 'skills.yaml', 'inbound-auth.yaml']);
  });

  it.each(CAPABILITIES)('%s loads without errors', (name) => {
    expect(() => loadCapability(path.join(dir.dir, name), { env: {} })).not.toThrow();
  });

  it('the orchestration example answers what the page shows, with the imported credential upstream', async () => {
    const runtime = await startRuntime({ files: [path.join(dir.dir, 'orchestration.yaml')], baseUris: new Map([['registry', upstream.url]]), ports: new Map([['api', 0]]), logLevel: 'silent', env: {} });
    runtimes.push(runtime);
    const r = await call(`${runtime.adapters[0]!.url}/ships/IMO-1/crew`);
    const shown = BLOCKS.find((b) => b.lang === 'json')!.text;
    expect(r.json).toEqual(JSON.parse(shown));
    expect(upstream.requests.at(-1)!.headers.authorization).toBe('Bearer dummy-token');
    expect(upstream.requests.at(-1)!.headers['registry-version']).toBe('1.0.0-alpha2');
  });

  it('the script example counts the crew', async () => {
    const runtime = await startRuntime({ files: [path.join(dir.dir, 'script.yaml')], baseUris: new Map([['registry', upstream.url]]), ports: new Map([['tools', 0]]), logLevel: 'silent', env: {} });
    runtimes.push(runtime);
    const client = await mcpClient(runtime.adapters[0]!.url);
    try {
      const r = await client.callTool({ name: 'crew-count', arguments: { imo: 'IMO-1' } });
      expect(r.structuredContent).toEqual({ count: 3 });
    } finally {
      await client.close();
    }
  });
});
