/**
 * The skill adapter (FEATURES §14): load-time checks of buildSkillAdapter, and every route of
 * buildSkillApp over real HTTP on 127.0.0.1 (fetch, or node:http where fetch would normalise the path).
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { crc32, inflateRawSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { parse as parseYamlText } from 'yaml';
import { loadCapability } from '../../src/spec/load.js';
import { CapabilityLoadError, type Diagnostic } from '../../src/spec/diagnostics.js';
import { parseYaml } from '../../src/spec/yaml-source.js';
import { BuildContext, list, type Raw } from '../../src/spec/context.js';
import type { ExposedAdapter, SkillAdapter } from '../../src/spec/model.js';
import { buildSkillAdapter } from '../../src/spec/build-skill.js';
import { buildSkillApp, restOperationLookup, type SkillEndpoint } from '../../src/expose/skill/skill-adapter.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TUTORIAL_STEP8 = '/work/shared/naftiko/tutorial/step-8-shipyard-skill-groups.yml';
const SKILL_FIXTURE_CANDIDATES = [path.join(ROOT, 'test/fixtures/skill-capability.yaml'), '/work/shared/naftiko/fixtures/skill-capability.yaml'];
const SKILL_FIXTURE = SKILL_FIXTURE_CANDIDATES.find((f) => existsSync(f))!;
const PROBLEM = 'application/problem+json; charset=utf-8';

// ───────────────────────────── building ─────────────────────────────

interface Built {
  readonly adapters: SkillAdapter[];
  readonly siblings: readonly ExposedAdapter[];
  readonly diagnostics: Diagnostic[];
}

function isBuiltSkill(a: ExposedAdapter): a is SkillAdapter {
  return a.type === 'skill' && Array.isArray((a as Partial<SkillAdapter>).skills);
}

/**
 * buildSkillAdapter over a capability file, whatever the loader does with skill adapters: the siblings
 * come from the real loader over the same document without its skill adapters (written next to it, so
 * relative locations still resolve), and the skills are built here with the file's own positions.
 */
function direct(file: string): Built {
  const parsed = parseYaml(file, readFileSync(file, 'utf8'));
  const doc = parsed.value as Raw;
  const exposes = list((doc.capability as Raw).exposes);
  const stripped = structuredClone(doc);
  (stripped.capability as Raw).exposes = exposes.filter((e) => e.type !== 'skill');
  const siblingsFile = path.join(path.dirname(file), `.siblings-${path.basename(file)}`);
  writeFileSync(siblingsFile, JSON.stringify(stripped));
  let siblings: readonly ExposedAdapter[];
  try {
    siblings = loadCapability(siblingsFile, { env: {} }).model.exposes;
  } finally {
    rmSync(siblingsFile, { force: true });
  }
  const ctx = new BuildContext(file, path.dirname(path.resolve(file)), parsed.positions);
  const adapters = exposes.flatMap((raw, i) => {
    if (raw.type !== 'skill') return [];
    const pointer = `/capability/exposes/${i}`;
    return [buildSkillAdapter(ctx, raw, pointer, { namespace: String(raw.namespace), address: String(raw.address ?? '127.0.0.1'), pointer }, siblings)];
  });
  return { adapters, siblings, diagnostics: ctx.diagnostics };
}

/** The skill adapters of a valid file: from the loader when it builds them, else built here. */
function load(file: string): Built {
  const { model, warnings } = loadCapability(file, { env: {} });
  const skills = model.exposes.filter((a) => a.type === 'skill');
  if (skills.length > 0 && skills.every(isBuiltSkill)) return { adapters: skills, siblings: model.exposes, diagnostics: [...warnings] };
  return direct(file);
}

/** true once build-exposes.ts builds skill adapters (the loader's own checks are then tested too). */
const LOADER_BUILDS_SKILLS = (() => {
  const dir = mkdtempSync(path.join(tmpdir(), 'naftiko-skill-probe-'));
  try {
    const file = path.join(dir, 'probe.yml');
    writeFileSync(file, 'naftiko: "1.0.0-alpha3"\ncapability:\n  exposes:\n    - type: skill\n      port: 39999\n      namespace: probe\n      skills:\n        - name: probe\n          description: probe\n');
    return loadCapability(file, { env: {} }).model.exposes.some(isBuiltSkill);
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

const STEP8_LOADS = (() => {
  try {
    loadCapability(TUTORIAL_STEP8, { env: {} });
    return true;
  } catch {
    return false;
  }
})();

// ───────────────────────────── serving ─────────────────────────────

interface Served {
  readonly app: FastifyInstance;
  readonly port: number;
  readonly base: string;
  /** namespace → endpoint; read by endpointOf at request time */
  readonly endpoints: Map<string, SkillEndpoint>;
}

const apps: FastifyInstance[] = [];

async function serve(adapter: SkillAdapter, siblings: readonly ExposedAdapter[], extra: { host?: string } = {}): Promise<Served> {
  const endpoints = new Map<string, SkillEndpoint>();
  for (const s of siblings) {
    if ((s.type === 'rest' || s.type === 'mcp') && s.port !== undefined) endpoints.set(s.namespace, { mode: s.type, baseUrl: `http://${s.address}:${s.port}` });
  }
  const app = buildSkillApp(adapter, { logger: false, endpointOf: (ns) => endpoints.get(ns), operationOf: restOperationLookup(siblings), ...extra });
  await app.listen({ host: '127.0.0.1', port: 0 });
  apps.push(app);
  const port = (app.server.address() as AddressInfo).port;
  return { app, port, base: `http://127.0.0.1:${port}`, endpoints };
}

interface RawReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** node:http, which sends the path exactly as given (fetch resolves `..` and `%2e%2e` first). */
function raw(port: number, method: string, target: string, headers: Record<string, string> = {}, body?: string): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path: target, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function json(url: string): Promise<{ status: number; type: string | null; body: any }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
}

// ───────────────────────────── a minimal zip reader ─────────────────────────────

interface ZipRead {
  readonly name: string;
  readonly data: Buffer;
  readonly method: number;
  readonly mode: number;
}

/** Central directory → local headers → inflate; checks signatures, CRC-32, sizes and descriptors. */
function readZip(buf: Buffer): ZipRead[] {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(eocd).toBe(buf.length - 22);
  const count = buf.readUInt16LE(eocd + 10);
  expect(buf.readUInt16LE(eocd + 8)).toBe(count);
  const cdSize = buf.readUInt32LE(eocd + 12);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  expect(cdOffset + cdSize).toBe(eocd);
  const out: ZipRead[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    expect(buf.readUInt32LE(p)).toBe(0x02014b50);
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    const csize = buf.readUInt32LE(p + 20);
    const usize = buf.readUInt32LE(p + 24);
    const nlen = buf.readUInt16LE(p + 28);
    const elen = buf.readUInt16LE(p + 30);
    const clen = buf.readUInt16LE(p + 32);
    const mode = buf.readUInt32LE(p + 38) >>> 16;
    const offset = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nlen).toString('utf8');
    expect(buf.readUInt32LE(offset)).toBe(0x04034b50);
    expect(buf.subarray(offset + 30, offset + 30 + buf.readUInt16LE(offset + 26)).toString('utf8')).toBe(name);
    const start = offset + 30 + buf.readUInt16LE(offset + 26) + buf.readUInt16LE(offset + 28);
    const stored = buf.subarray(start, start + csize);
    const data = method === 8 ? inflateRawSync(stored) : Buffer.from(stored);
    expect(crc32(data) >>> 0, name).toBe(crc);
    expect(data.length, name).toBe(usize);
    if (flags & 0x08) {
      const d = start + csize;
      expect(buf.readUInt32LE(d)).toBe(0x08074b50);
      expect([buf.readUInt32LE(d + 4), buf.readUInt32LE(d + 8), buf.readUInt32LE(d + 12)]).toEqual([crc, csize, usize]);
    }
    out.push({ name, data, method, mode });
    p += 46 + nlen + elen + clen;
  }
  return out;
}

const HAS_UNZIP = (() => {
  try {
    execFileSync('unzip', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

// ───────────────────────────── the test capability ─────────────────────────────

const CONSUMES = `
  consumes:
    - type: http
      namespace: registry
      baseUri: "http://127.0.0.1:9"
      resources:
        - name: ships
          path: /ships
          operations:
            - method: GET
              name: list-ships
        - name: ship
          path: "/ships/{{imo}}"
          operations:
            - method: GET
              name: get-ship
              inputParameters:
                - name: imo
                  in: path
`;

const SIBLINGS = `
    - type: mcp
      port: 39301
      namespace: ship-tools
      description: Ship tools
      tools:
        - name: list-ships
          description: List ships
          call: registry.list-ships
        - name: get-ship
          description: Get a ship
          call: registry.get-ship
          inputParameters:
            - name: imo
              type: string
              required: true
              description: IMO number
          with:
            imo: ship-tools.imo
    - type: rest
      port: 39302
      namespace: ship-api
      resources:
        - path: "/ships/{imo}"
          name: ship
          operations:
            - method: GET
              name: get-ship
              call: registry.get-ship
              inputParameters:
                - name: imo
                  in: path
                  type: string
                  description: IMO number
`;

/** A capability: consumes + mcp (exposes/0) + rest (exposes/1) + the given skill adapter (exposes/2). */
function capability(skillsYaml: string): string {
  return `naftiko: "1.0.0-alpha3"
info:
  label: Skill test
  description: Skill adapter tests
capability:${CONSUMES}
  exposes:${SIBLINGS}
    - type: skill
      port: 39303
      namespace: ship-skills
      description: Ship skills
      skills:
${skillsYaml}`;
}

const MAIN_SKILLS = `
        - name: fleet-ops
          description: "Fleet management: list and inspect ships"
          license: Apache-2.0
          compatibility: "Any MCP client"
          metadata:
            author: naftiko
            category: fleet
          allowed-tools: "list-ships get-ship"
          argument-hint: "[imo]"
          user-invocable: false
          disable-model-invocation: true
          tools:
            - name: list-ships
              description: List every ship
              from:
                sourceNamespace: ship-tools
                action: list-ships
            - name: get-ship
              description: One ship by IMO
              from:
                sourceNamespace: ship-api
                action: get-ship
        - name: docs
          description: Skill with files
          location: "file:///./skills/docs"
          tools:
            - name: guide
              description: Read the guide
              instruction: guide.md
            - name: nested-guide
              description: Nested instructions
              instruction: "./nested/deep/data.json"
            - name: get-ship
              description: One ship
              from:
                sourceNamespace: ship-tools
                action: get-ship
        - name: own
          description: Skill with its own SKILL.md
          location: "file:///./skills/own"
        - name: descriptive
          description: No tools, no files
`;

const GUIDE = '# Guide\n\nUse the fleet tools.\n';
const OWN_SKILL_MD = '---\nname: own\ndescription: hand-written\n---\n\n# Own skill\n';
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256))]);
const BIG = Array.from({ length: 20000 }, (_, i) => `line ${i}: the quick brown fox\n`).join('');
const SECRET = 'TOP-SECRET-OUTSIDE-THE-SKILL';

let work: string;
let capFile: string;
let main: Built;
let served: Served;
let docsDir: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'naftiko-skill-'));
  docsDir = path.join(work, 'skills/docs');
  const files: Record<string, string | Buffer> = {
    'skills/docs/guide.md': GUIDE,
    'skills/docs/README.txt': 'read me\n',
    'skills/docs/nested/deep/data.json': '{"a":1}\n',
    'skills/docs/image.png': PNG,
    'skills/docs/big.txt': BIG,
    'skills/docs/empty.txt': '',
    'skills/docs/blob.unknownext': Buffer.from([0, 1, 2, 3]),
    'skills/docs/.hidden': 'hidden\n',
    'skills/docs/.git/config': '[core]\n',
    'skills/docs/bad name.txt': 'spaces\n',
    'skills/own/SKILL.md': OWN_SKILL_MD,
    'skills/own/notes.md': 'notes\n',
    'outside-secret.txt': SECRET,
    'outside-dir/secret.txt': SECRET,
  };
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(work, rel)), { recursive: true });
    writeFileSync(path.join(work, rel), content);
  }
  symlinkSync('guide.md', path.join(docsDir, 'inside-link.md'));
  symlinkSync('../../outside-secret.txt', path.join(docsDir, 'outside.md'));
  symlinkSync('../../outside-dir', path.join(docsDir, 'linkdir'));
  symlinkSync('missing-target.md', path.join(docsDir, 'dangling.md'));
  capFile = path.join(work, 'skills.yml');
  writeFileSync(capFile, capability(MAIN_SKILLS));
  main = load(capFile);
  served = await serve(main.adapters[0]!, main.siblings);
});

afterAll(async () => {
  await Promise.allSettled(apps.map((a) => a.close()));
  rmSync(work, { recursive: true, force: true });
});

const skillCodes = (d: readonly Diagnostic[]) => d.filter((x) => x.code.includes('_SKILL_'));
const only = (b: Built) => skillCodes(b.diagnostics).map((d) => ({ severity: d.severity, code: d.code, pointer: d.pointer }));

// ───────────────────────────── the catalog ─────────────────────────────

describe('skill catalog', () => {
  it('loads the test capability without skill problems', () => {
    expect(skillCodes(main.diagnostics)).toEqual([]);
    const adapter = main.adapters[0]!;
    expect(adapter).toMatchObject({ type: 'skill', namespace: 'ship-skills', port: 39303, address: '127.0.0.1' });
    expect(adapter.skills.map((s) => s.name)).toEqual(['fleet-ops', 'docs', 'own', 'descriptive']);
    expect(adapter.skills[1]!.location).toBe(docsDir);
    expect(adapter.skills[2]!.location).toBe(path.join(work, 'skills/own'));
    expect(adapter.skills[1]!.tools[1]).toEqual({ kind: 'instruction', name: 'nested-guide', description: 'Nested instructions', instruction: 'nested/deep/data.json' });
  });

  it('GET /skills lists every skill with its tool names', async () => {
    const r = await json(`${served.base}/skills`);
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/json; charset=utf-8');
    expect(r.body).toEqual({
      count: 4,
      skills: [
        { name: 'fleet-ops', description: 'Fleet management: list and inspect ships', license: 'Apache-2.0', tools: ['list-ships', 'get-ship'] },
        { name: 'docs', description: 'Skill with files', tools: ['guide', 'nested-guide', 'get-ship'] },
        { name: 'own', description: 'Skill with its own SKILL.md', tools: [] },
        { name: 'descriptive', description: 'No tools, no files', tools: [] },
      ],
    });
    expect(Object.keys(r.body.skills[1])).toEqual(['name', 'description', 'tools']);
  });

  it('tolerates a trailing slash on every route', async () => {
    const plain = await json(`${served.base}/skills`);
    expect((await json(`${served.base}/skills/`)).body).toEqual(plain.body);
    expect((await json(`${served.base}/skills/docs/`)).body).toEqual((await json(`${served.base}/skills/docs`)).body);
    expect((await json(`${served.base}/skills/docs/contents/`)).body).toEqual((await json(`${served.base}/skills/docs/contents`)).body);
    const dl = await fetch(`${served.base}/skills/docs/download/`);
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-type')).toBe('application/zip');
    await dl.arrayBuffer();
  });

  it('GET /skills/{name} gives the frontmatter fields and the tools with invocationRef.endpoint', async () => {
    const r = await json(`${served.base}/skills/fleet-ops`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      name: 'fleet-ops',
      description: 'Fleet management: list and inspect ships',
      license: 'Apache-2.0',
      compatibility: 'Any MCP client',
      'argument-hint': '[imo]',
      'allowed-tools': 'list-ships get-ship',
      'user-invocable': false,
      'disable-model-invocation': true,
      metadata: { author: 'naftiko', category: 'fleet' },
      tools: [
        { name: 'list-ships', description: 'List every ship', type: 'derived', invocationRef: { targetNamespace: 'ship-tools', action: 'list-ships', mode: 'mcp', endpoint: 'http://127.0.0.1:39301/mcp' } },
        { name: 'get-ship', description: 'One ship by IMO', type: 'derived', invocationRef: { targetNamespace: 'ship-api', action: 'get-ship', mode: 'rest', endpoint: 'GET http://127.0.0.1:39302/ships/{imo}' } },
      ],
    });
    // the order of the keys is Java's
    expect(Object.keys(r.body)).toEqual(['name', 'description', 'license', 'compatibility', 'argument-hint', 'allowed-tools', 'user-invocable', 'disable-model-invocation', 'metadata', 'tools']);
  });

  it('publishes instruction tools with their relative path, and omits absent fields', async () => {
    const r = await json(`${served.base}/skills/docs`);
    expect(r.body).toEqual({
      name: 'docs',
      description: 'Skill with files',
      tools: [
        { name: 'guide', description: 'Read the guide', type: 'instruction', instruction: 'guide.md' },
        { name: 'nested-guide', description: 'Nested instructions', type: 'instruction', instruction: 'nested/deep/data.json' },
        { name: 'get-ship', description: 'One ship', type: 'derived', invocationRef: { targetNamespace: 'ship-tools', action: 'get-ship', mode: 'mcp', endpoint: 'http://127.0.0.1:39301/mcp' } },
      ],
    });
    expect((await json(`${served.base}/skills/descriptive`)).body).toEqual({ name: 'descriptive', description: 'No tools, no files', tools: [] });
  });

  it('asks endpointOf at request time, omits an unknown endpoint, and names the caller host for a 0.0.0.0 sibling', async () => {
    served.endpoints.set('ship-tools', { mode: 'mcp', baseUrl: 'http://127.0.0.1:41000' });
    let tools = (await json(`${served.base}/skills/fleet-ops`)).body.tools;
    expect(tools[0].invocationRef.endpoint).toBe('http://127.0.0.1:41000/mcp');
    served.endpoints.set('ship-tools', { mode: 'mcp', baseUrl: 'http://0.0.0.0:41001/mcp' });
    served.endpoints.set('ship-api', { mode: 'rest', baseUrl: 'http://0.0.0.0:41002/' });
    const viaLocalhost = await raw(served.port, 'GET', '/skills/fleet-ops', { host: `localhost:${served.port}` });
    tools = JSON.parse(viaLocalhost.body.toString()).tools;
    expect(tools[0].invocationRef.endpoint).toBe('http://localhost:41001/mcp');
    expect(tools[1].invocationRef.endpoint).toBe('GET http://localhost:41002/ships/{imo}');
    served.endpoints.delete('ship-tools');
    tools = (await json(`${served.base}/skills/fleet-ops`)).body.tools;
    expect(tools[0].invocationRef).toEqual({ targetNamespace: 'ship-tools', action: 'list-ships', mode: 'mcp' });
    served.endpoints.set('ship-tools', { mode: 'mcp', baseUrl: 'http://127.0.0.1:39301' });
    served.endpoints.set('ship-api', { mode: 'rest', baseUrl: 'http://127.0.0.1:39302' });
  });

  it('answers 404 problem+json NR_ERR_SKILL_NOT_FOUND for an unknown skill on every skill route', async () => {
    for (const suffix of ['', '/', '/contents', '/contents/guide.md', '/download']) {
      const res = await fetch(`${served.base}/skills/nope${suffix}`);
      expect(res.status, suffix).toBe(404);
      expect(res.headers.get('content-type')).toBe(PROBLEM);
      const p = await res.json();
      expect(p).toMatchObject({ code: 'NR_ERR_SKILL_NOT_FOUND', status: 404, instance: `/skills/nope${suffix}` });
      expect(p.detail).toContain('fleet-ops, docs, own, descriptive');
    }
  });

  it('answers 404 NR_ERR_ROUTE_NOT_FOUND outside the skill routes', async () => {
    for (const p of ['/', '/skill', '/skills/docs/other', '/skills/docs/download/x']) {
      const r = await raw(served.port, 'GET', p);
      expect(r.status, p).toBe(404);
      expect(JSON.parse(r.body.toString()).code, p).toBe('NR_ERR_ROUTE_NOT_FOUND');
    }
  });
});

// ───────────────────────────── SKILL.md, contents, files ─────────────────────────────

describe('skill contents', () => {
  it('generates SKILL.md for a skill without location: frontmatter and the tools list', async () => {
    const listing = await json(`${served.base}/skills/fleet-ops/contents`);
    expect(listing.status).toBe(200);
    expect(listing.body.name).toBe('fleet-ops');
    expect(listing.body.files).toHaveLength(1);
    const entry = listing.body.files[0];
    expect(entry).toMatchObject({ path: 'SKILL.md', type: 'text/markdown', generated: true });

    const res = await fetch(`${served.base}/skills/fleet-ops/contents/SKILL.md`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    const text = await res.text();
    expect(Buffer.byteLength(text)).toBe(entry.size);
    expect(res.headers.get('content-length')).toBe(String(entry.size));
    const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
    expect(m).not.toBeNull();
    expect(parseYamlText(m![1]!)).toEqual({
      name: 'fleet-ops',
      description: 'Fleet management: list and inspect ships',
      license: 'Apache-2.0',
      compatibility: 'Any MCP client',
      metadata: { author: 'naftiko', category: 'fleet' },
      'allowed-tools': 'list-ships get-ship',
      'argument-hint': '[imo]',
      'user-invocable': false,
      'disable-model-invocation': true,
    });
    const body = m![2]!;
    expect(body).toContain('# fleet-ops');
    expect(body).toContain('## Tools');
    expect(body).toContain('- **list-ships**: List every ship');
    expect(body).toContain('MCP tool `list-ships` of `ship-tools`: `http://127.0.0.1:39301/mcp`');
    expect(body).toContain('- **get-ship**: One ship by IMO');
    expect(body).toContain('REST operation `get-ship` of `ship-api`: `GET http://127.0.0.1:39302/ships/{imo}`');
  });

  it('generates SKILL.md for a descriptive skill and for a location without one (with instruction links)', async () => {
    const d = await (await fetch(`${served.base}/skills/descriptive/contents/SKILL.md`)).text();
    expect(d).toContain('name: descriptive');
    expect(d).toContain('This skill declares no tools');
    const docs = await (await fetch(`${served.base}/skills/docs/contents/SKILL.md`)).text();
    expect(docs).toContain('- **guide**: Read the guide');
    expect(docs).toContain('Instructions: [guide.md](guide.md)');
  });

  it('lists a location recursively, sorted, with sizes and media types; hidden, oddly named and outside files are left out', async () => {
    const r = await json(`${served.base}/skills/docs/contents`);
    expect(r.status).toBe(200);
    const size = (rel: string) => statSync(path.join(docsDir, rel)).size;
    const generated = r.body.files.find((f: { path: string }) => f.path === 'SKILL.md');
    expect(r.body).toEqual({
      name: 'docs',
      files: [
        { path: 'README.txt', size: size('README.txt'), type: 'text/plain' },
        { path: 'SKILL.md', size: generated.size, type: 'text/markdown', generated: true },
        { path: 'big.txt', size: Buffer.byteLength(BIG), type: 'text/plain' },
        { path: 'blob.unknownext', size: 4, type: 'application/octet-stream' },
        { path: 'empty.txt', size: 0, type: 'text/plain' },
        { path: 'guide.md', size: Buffer.byteLength(GUIDE), type: 'text/markdown' },
        { path: 'image.png', size: PNG.length, type: 'image/png' },
        { path: 'inside-link.md', size: Buffer.byteLength(GUIDE), type: 'text/markdown' },
        { path: 'nested/deep/data.json', size: 8, type: 'application/json' },
      ],
    });
    expect(JSON.stringify(r.body)).not.toContain('secret');
  });

  it('serves a location that has its own SKILL.md as is', async () => {
    const r = await json(`${served.base}/skills/own/contents`);
    expect(r.body.files).toEqual([
      { path: 'SKILL.md', size: Buffer.byteLength(OWN_SKILL_MD), type: 'text/markdown' },
      { path: 'notes.md', size: 6, type: 'text/markdown' },
    ]);
    expect(await (await fetch(`${served.base}/skills/own/contents/SKILL.md`)).text()).toBe(OWN_SKILL_MD);
  });

  it('serves files byte for byte with their media type and length', async () => {
    const cases: [string, string, Buffer][] = [
      ['guide.md', 'text/markdown; charset=utf-8', Buffer.from(GUIDE)],
      ['nested/deep/data.json', 'application/json; charset=utf-8', Buffer.from('{"a":1}\n')],
      ['image.png', 'image/png', PNG],
      ['big.txt', 'text/plain; charset=utf-8', Buffer.from(BIG)],
      ['empty.txt', 'text/plain; charset=utf-8', Buffer.alloc(0)],
      ['blob.unknownext', 'application/octet-stream', Buffer.from([0, 1, 2, 3])],
      ['inside-link.md', 'text/markdown; charset=utf-8', Buffer.from(GUIDE)],
    ];
    for (const [rel, type, bytes] of cases) {
      const res = await fetch(`${served.base}/skills/docs/contents/${rel}`);
      expect(res.status, rel).toBe(200);
      expect(res.headers.get('content-type'), rel).toBe(type);
      expect(res.headers.get('content-length'), rel).toBe(String(bytes.length));
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('last-modified')).toBeTruthy();
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes), rel).toBe(true);
    }
  });

  it('answers 404 NR_ERR_SKILL_FILE_NOT_FOUND for missing, hidden, dangling and directory paths', async () => {
    for (const rel of ['nope.md', '.hidden', '.git/config', 'nested', 'nested/deep', 'dangling.md', 'guide.md/x']) {
      const r = await raw(served.port, 'GET', `/skills/docs/contents/${rel}`);
      expect(r.status, rel).toBe(404);
      expect(r.headers['content-type']).toBe(PROBLEM);
      expect(JSON.parse(r.body.toString()).code, rel).toBe('NR_ERR_SKILL_FILE_NOT_FOUND');
    }
    const noLocation = await raw(served.port, 'GET', '/skills/fleet-ops/contents/guide.md');
    expect(noLocation.status).toBe(404);
    expect(JSON.parse(noLocation.body.toString()).code).toBe('NR_ERR_SKILL_FILE_NOT_FOUND');
  });

  it('refuses traversal with 400 NR_ERR_BAD_PATH and never serves what lies outside the location', async () => {
    const attempts = [
      '../../outside-secret.txt',
      '../skills/docs/guide.md',
      'nested/../guide.md',
      './guide.md',
      '%2e%2e/%2e%2e/outside-secret.txt',
      '%2E%2E/%2E%2E/outside-secret.txt',
      '..%2f..%2foutside-secret.txt',
      '%2e%2e%2f%2e%2e%2foutside-secret.txt',
      'nested%2fdeep%2fdata.json',
      '..%5c..%5coutside-secret.txt',
      '%2fetc%2fpasswd',
      'guide.md%00.txt',
      'bad%20name.txt',
      'nested//deep/data.json',
      'outside.md',
      'linkdir/secret.txt',
      '%zz',
    ];
    for (const a of attempts) {
      const r = await raw(served.port, 'GET', `/skills/docs/contents/${a}`);
      expect(r.status, a).toBe(400);
      expect(r.headers['content-type'], a).toBe(PROBLEM);
      const p = JSON.parse(r.body.toString());
      expect(p.code, a).toBe('NR_ERR_BAD_PATH');
      expect(r.body.toString()).not.toContain(SECRET);
    }
    const outside = JSON.parse((await raw(served.port, 'GET', '/skills/docs/contents/outside.md')).body.toString());
    expect(outside.detail).toContain('outside the skill location');
  });

  it('does not serve a file that becomes a link out of the location after load', async () => {
    const link = path.join(docsDir, 'later.md');
    symlinkSync('/etc/hostname', link);
    try {
      const r = await raw(served.port, 'GET', '/skills/docs/contents/later.md');
      expect(r.status).toBe(400);
      const listing = await json(`${served.base}/skills/docs/contents`);
      expect(listing.body.files.map((f: { path: string }) => f.path)).not.toContain('later.md');
    } finally {
      rmSync(link);
    }
  });
  it('serves long nested paths (beyond the router\'s parameter length)', async () => {
    const rel = `nested/deep/${'a'.repeat(120)}/${'b'.repeat(120)}.md`;
    mkdirSync(path.dirname(path.join(docsDir, rel)), { recursive: true });
    writeFileSync(path.join(docsDir, rel), 'deep\n');
    try {
      const res = await fetch(`${served.base}/skills/docs/contents/${rel}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('deep\n');
    } finally {
      rmSync(path.join(docsDir, 'nested/deep', 'a'.repeat(120)), { recursive: true });
    }
  });

  it('a SKILL.md that links out of the location is replaced by the generated one, in the listing and on GET', async () => {
    const link = path.join(docsDir, 'SKILL.md');
    symlinkSync('../../outside-secret.txt', link);
    try {
      const listing = await json(`${served.base}/skills/docs/contents`);
      expect(listing.body.files.find((f: { path: string }) => f.path === 'SKILL.md')).toMatchObject({ generated: true });
      const text = await (await fetch(`${served.base}/skills/docs/contents/SKILL.md`)).text();
      expect(text).toContain('## Tools');
      expect(text).not.toContain(SECRET);
    } finally {
      rmSync(link);
    }
  });
});

// ───────────────────────────── download ─────────────────────────────

describe('skill download', () => {
  it('zips the listed files (generated SKILL.md included), byte for byte', async () => {
    const res = await fetch(`${served.base}/skills/docs/download`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="docs.zip"');
    const zip = Buffer.from(await res.arrayBuffer());
    const entries = readZip(zip);
    const listing = (await json(`${served.base}/skills/docs/contents`)).body.files.map((f: { path: string }) => f.path);
    expect(entries.map((e) => e.name)).toEqual(listing);
    for (const e of entries) {
      expect(e.method).toBe(8);
      if (e.name === 'SKILL.md') {
        expect(e.data.toString()).toBe(await (await fetch(`${served.base}/skills/docs/contents/SKILL.md`)).text());
        expect(e.mode & 0o777).toBe(0o644);
      } else {
        expect(e.data.equals(readFileSync(path.join(docsDir, e.name))), e.name).toBe(true);
        expect((e.mode & 0o170000) >>> 0).toBe(0o100000);
      }
    }
    // text is deflated; the png (already compressed) is stored in deflate blocks, not recompressed
    expect(zip.length).toBeLessThan(Buffer.byteLength(BIG) / 4);
    if (HAS_UNZIP) {
      const file = path.join(work, 'docs.zip');
      writeFileSync(file, zip);
      const out = execFileSync('unzip', ['-t', file], { encoding: 'utf8' });
      expect(out).toContain('No errors detected');
      const names = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).trim().split('\n');
      expect(names).toEqual(listing);
    }
  });

  it('zips a skill without location as its generated SKILL.md, and an own SKILL.md as is', async () => {
    const fleet = readZip(Buffer.from(await (await fetch(`${served.base}/skills/fleet-ops/download`)).arrayBuffer()));
    expect(fleet.map((e) => e.name)).toEqual(['SKILL.md']);
    expect(fleet[0]!.data.toString()).toContain('## Tools');
    const own = readZip(Buffer.from(await (await fetch(`${served.base}/skills/own/download`)).arrayBuffer()));
    expect(own.map((e) => [e.name, e.data.toString()])).toEqual([['SKILL.md', OWN_SKILL_MD], ['notes.md', 'notes\n']]);
  });
  it.runIf(existsSync('/proc/self/fd'))('closes the files of an abandoned download and keeps serving', async () => {
    const huge = path.join(docsDir, '0-huge.bin');
    writeFileSync(huge, randomBytes(8 << 20));
    const real = realpathSync(huge);
    const hugeOpen = () => readdirSync('/proc/self/fd').some((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === real;
      } catch {
        return false;
      }
    });
    let wasOpen = false;
    try {
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: served.port, path: '/skills/docs/download' }, (res) => {
          res.once('data', () => {
            wasOpen = hugeOpen();
            req.destroy();
            resolve();
          });
        });
        req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
        req.end();
      });
      expect(wasOpen).toBe(true); // the server was streaming it
      for (let i = 0; i < 100 && hugeOpen(); i++) await new Promise((r) => setTimeout(r, 20));
      expect(hugeOpen()).toBe(false);
      expect((await fetch(`${served.base}/skills`)).status).toBe(200);
    } finally {
      rmSync(huge);
    }
  });
});

// ───────────────────────────── methods ─────────────────────────────

describe('skill methods', () => {
  it('answers HEAD with the GET headers and no body', async () => {
    for (const p of ['/skills', '/skills/docs', '/skills/docs/contents', '/skills/docs/contents/image.png', '/skills/fleet-ops/contents/SKILL.md']) {
      const get = await raw(served.port, 'GET', p);
      const head = await raw(served.port, 'HEAD', p);
      expect(head.status, p).toBe(200);
      expect(head.body.length, p).toBe(0);
      expect(head.headers['content-type'], p).toBe(get.headers['content-type']);
      expect(head.headers['content-length'], p).toBe(String(get.body.length));
    }
    const dl = await raw(served.port, 'HEAD', '/skills/docs/download');
    expect(dl.status).toBe(200);
    expect(dl.headers['content-type']).toBe('application/zip');
    expect(dl.body.length).toBe(0);
    expect((await raw(served.port, 'HEAD', '/skills/nope')).status).toBe(404);
    expect((await raw(served.port, 'HEAD', '/skills/docs/contents/..%2f')).status).toBe(400);
  });

  it('answers 405 with Allow: GET, HEAD for any other method on a skill route', async () => {
    const cases: [string, string][] = [
      ['POST', '/skills'], ['PUT', '/skills/'], ['DELETE', '/skills/docs'], ['PATCH', '/skills/docs/contents'],
      ['POST', '/skills/docs/contents/guide.md'], ['DELETE', '/skills/docs/download'], ['OPTIONS', '/skills/nope'], ['PUT', '/skills/docs/contents/a/b.md'],
    ];
    for (const [method, p] of cases) {
      const r = await raw(served.port, method, p);
      expect(r.status, `${method} ${p}`).toBe(405);
      expect(r.headers.allow).toBe('GET, HEAD');
      expect(r.headers['content-type']).toBe(PROBLEM);
      expect(JSON.parse(r.body.toString()).code).toBe('NR_ERR_METHOD_NOT_ALLOWED');
    }
    const withBody = await raw(served.port, 'POST', '/skills/docs', { 'content-type': 'application/json' }, '{"x":1}');
    expect(withBody.status).toBe(405);
    const textBody = await raw(served.port, 'PUT', '/skills/docs/contents/guide.md', { 'content-type': 'text/plain' }, 'overwrite');
    expect(textBody.status).toBe(405);
    expect(readFileSync(path.join(docsDir, 'guide.md'), 'utf8')).toBe(GUIDE);
    expect((await raw(served.port, 'POST', '/elsewhere')).status).toBe(404);
  });

  it('on a loopback address, refuses a foreign Host or Origin (DNS-rebinding protection)', async () => {
    const guarded = await serve(main.adapters[0]!, main.siblings, { host: '127.0.0.1' });
    expect((await raw(guarded.port, 'GET', '/skills')).status).toBe(200);
    const foreign = await raw(guarded.port, 'GET', '/skills/docs/contents/guide.md', { host: 'evil.example' });
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body.toString()).code).toBe('NR_ERR_ORIGIN_REJECTED');
    expect((await raw(guarded.port, 'GET', '/skills', { origin: 'http://evil.example' })).status).toBe(403);
  });
});

// ───────────────────────────── load-time checks ─────────────────────────────

describe('skill load-time checks', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'naftiko-skill-checks-'));
    mkdirSync(path.join(dir, 'loc'), { recursive: true });
    writeFileSync(path.join(dir, 'loc/present.md'), 'present\n');
    writeFileSync(path.join(dir, 'a-file'), 'not a dir\n');
    symlinkSync('../a-file', path.join(dir, 'loc/escape.md'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  let n = 0;
  const check = (skills: string): Built => {
    const file = path.join(dir, `case-${++n}.yml`);
    writeFileSync(file, capability(skills));
    return direct(file);
  };
  const S = '/capability/exposes/2/skills';

  it('each tool has exactly one of from and instruction', () => {
    const both = check(`
        - name: s
          description: d
          location: "file:///./loc"
          tools:
            - name: t
              description: d
              instruction: present.md
              from: {sourceNamespace: ship-tools, action: list-ships}
`);
    expect(only(both)).toEqual([{ severity: 'error', code: 'NR_ERR_SKILL_TOOL_SOURCE', pointer: `${S}/0/tools/0` }]);
    expect(both.diagnostics[0]!.message).toContain('both "from" and "instruction"');
    expect(both.diagnostics[0]!.line).toBeGreaterThan(0);
    const neither = check(`
        - name: s
          description: d
          tools:
            - name: t
              description: d
`);
    expect(only(neither)).toEqual([{ severity: 'error', code: 'NR_ERR_SKILL_TOOL_SOURCE', pointer: `${S}/0/tools/0` }]);
    expect(neither.diagnostics[0]!.message).toContain('neither');
  });

  it('from.sourceNamespace names a sibling rest or mcp adapter', () => {
    const b = check(`
        - name: s
          description: d
          tools:
            - name: t1
              description: d
              from: {sourceNamespace: nowhere, action: list-ships}
            - name: t2
              description: d
              from: {sourceNamespace: registry, action: list-ships}
            - name: t3
              description: d
              from: {sourceNamespace: ship-skills, action: s}
`);
    expect(only(b)).toEqual([
      { severity: 'error', code: 'NR_ERR_SKILL_UNKNOWN_SOURCE', pointer: `${S}/0/tools/0/from/sourceNamespace` },
      { severity: 'error', code: 'NR_ERR_SKILL_UNKNOWN_SOURCE', pointer: `${S}/0/tools/1/from/sourceNamespace` },
      { severity: 'error', code: 'NR_ERR_SKILL_UNKNOWN_SOURCE', pointer: `${S}/0/tools/2/from/sourceNamespace` },
    ]);
    expect(b.diagnostics[0]!.message).toContain('ship-tools (mcp), ship-api (rest)');
    expect(b.diagnostics[0]!.message).toContain('names no exposed adapter');
    expect(b.diagnostics[2]!.message).toContain('is this skill adapter itself');
  });

  it('from.action names a tool of the mcp sibling or an operation name of the rest sibling', () => {
    const b = check(`
        - name: s
          description: d
          tools:
            - name: t1
              description: d
              from: {sourceNamespace: ship-tools, action: sink-ship}
            - name: t2
              description: d
              from: {sourceNamespace: ship-api, action: list-ships}
            - name: t3
              description: d
              from: {sourceNamespace: ship-api, action: get-ship}
`);
    expect(only(b)).toEqual([
      { severity: 'error', code: 'NR_ERR_SKILL_UNKNOWN_ACTION', pointer: `${S}/0/tools/0/from/action` },
      { severity: 'error', code: 'NR_ERR_SKILL_UNKNOWN_ACTION', pointer: `${S}/0/tools/1/from/action` },
    ]);
    expect(b.diagnostics[0]!.message).toContain('names no tool of mcp adapter "ship-tools" (it has: list-ships, get-ship)');
    expect(b.diagnostics[1]!.message).toContain('names no operation name of rest adapter "ship-api" (it has: get-ship (GET /ships/{imo}))');
  });

  it('an instruction needs a location, a safe relative path, and (a warning) an existing file', () => {
    const b = check(`
        - name: s1
          description: d
          tools:
            - name: t
              description: d
              instruction: guide.md
        - name: s2
          description: d
          location: "file:///./loc"
          tools:
            - name: missing
              description: d
              instruction: absent.md
            - name: up
              description: d
              instruction: ../a-file
            - name: abs
              description: d
              instruction: /etc/passwd
            - name: hidden
              description: d
              instruction: .secret.md
            - name: odd
              description: d
              instruction: "a b.md"
            - name: escape
              description: d
              instruction: escape.md
            - name: fine
              description: d
              instruction: ./present.md
`);
    expect(only(b)).toEqual([
      { severity: 'error', code: 'NR_ERR_SKILL_INSTRUCTION_NO_LOCATION', pointer: `${S}/0/tools/0/instruction` },
      { severity: 'warning', code: 'NR_WARN_SKILL_INSTRUCTION_MISSING', pointer: `${S}/1/tools/0/instruction` },
      { severity: 'error', code: 'NR_ERR_SKILL_INSTRUCTION_PATH', pointer: `${S}/1/tools/1/instruction` },
      { severity: 'error', code: 'NR_ERR_SKILL_INSTRUCTION_PATH', pointer: `${S}/1/tools/2/instruction` },
      { severity: 'error', code: 'NR_ERR_SKILL_INSTRUCTION_PATH', pointer: `${S}/1/tools/3/instruction` },
      { severity: 'error', code: 'NR_ERR_SKILL_INSTRUCTION_PATH', pointer: `${S}/1/tools/4/instruction` },
      { severity: 'warning', code: 'NR_WARN_SKILL_INSTRUCTION_MISSING', pointer: `${S}/1/tools/5/instruction` },
    ]);
    const messages = skillCodes(b.diagnostics).map((d) => d.message);
    expect(messages[0]).toContain('needs a location on skill "s1"');
    expect(messages[1]).toContain(`${path.join(dir, 'loc/absent.md')} does not exist`);
    expect(messages[2]).toContain('a ".." segment');
    expect(messages[3]).toContain('an empty segment');
    expect(messages[4]).toContain('hidden segment');
    expect(messages[5]).toContain('"a b.md"');
    expect(messages[6]).toContain('outside the skill location');
    expect(b.adapters[0]!.skills[1]!.tools[6]).toMatchObject({ kind: 'instruction', instruction: 'present.md' });
  });

  it('a location must be a usable spelling naming an existing directory', () => {
    const b = check(`
        - name: s1
          description: d
          location: "file:///./no-such-dir"
        - name: s2
          description: d
          location: "file:///./a-file"
        - name: s3
          description: d
          location: "https://example.com/skills"
        - name: s4
          description: d
          location: "file:///./no-such-dir"
          tools:
            - name: t
              description: d
              instruction: guide.md
`);
    expect(only(b)).toEqual([
      { severity: 'error', code: 'NR_ERR_SKILL_LOCATION_MISSING', pointer: `${S}/0/location` },
      { severity: 'error', code: 'NR_ERR_SKILL_LOCATION_MISSING', pointer: `${S}/1/location` },
      { severity: 'error', code: 'NR_ERR_SKILL_LOCATION_INVALID', pointer: `${S}/2/location` },
      { severity: 'error', code: 'NR_ERR_SKILL_LOCATION_MISSING', pointer: `${S}/3/location` },
    ]);
    const [missing, file, scheme] = b.diagnostics.map((d) => d.message);
    expect(missing).toContain(`tried ${path.join(dir, 'no-such-dir')} and ${path.join(process.cwd(), 'no-such-dir')}`);
    expect(file).toContain('is a file, not a directory');
    expect(scheme).toContain('https');
  });

  it('resolves every location spelling of FEATURES §1.1, with the working-directory fallback', () => {
    const abs = path.join(dir, 'loc');
    const spellings = [`file://${abs}`, 'file:///./loc', 'file://./loc', 'file://loc', './loc', 'loc', abs, 'file:///./loc/../loc'];
    const b = check(spellings.map((loc, i) => `
        - name: s${i}
          description: d
          location: ${JSON.stringify(loc)}
`).join(''));
    expect(only(b)).toEqual([]);
    expect(b.adapters[0]!.skills.map((s) => s.location)).toEqual(spellings.map(() => abs));
    const cwd = check(`
        - name: s
          description: d
          location: "file:///./test/fixtures/skill/cwd-skill"
`);
    expect(only(cwd)).toEqual([]);
    expect(cwd.adapters[0]!.skills[0]!.location).toBe(path.join(process.cwd(), 'test/fixtures/skill/cwd-skill'));
  });

  it('skill names are unique in an adapter, tool names in a skill', () => {
    const b = check(`
        - name: s
          description: d
          tools:
            - name: t
              description: d
              from: {sourceNamespace: ship-tools, action: list-ships}
            - name: t
              description: d
              from: {sourceNamespace: ship-tools, action: get-ship}
        - name: s
          description: again
`);
    expect(only(b)).toEqual([
      { severity: 'error', code: 'NR_ERR_SKILL_DUPLICATE_TOOL', pointer: `${S}/0/tools/1/name` },
      { severity: 'error', code: 'NR_ERR_SKILL_DUPLICATE', pointer: `${S}/1/name` },
    ]);
    expect(b.diagnostics[1]!.message).toContain(`already declared at ${S}/0/name`);
  });

  it.runIf(LOADER_BUILDS_SKILLS)('the loader reports the same problems (positioned) when it builds skill adapters', () => {
    const file = path.join(dir, 'via-loader.yml');
    writeFileSync(file, capability(`
        - name: s
          description: d
          location: "file:///./loc"
          tools:
            - name: t1
              description: d
              from: {sourceNamespace: ship-api, action: nope}
            - name: t2
              description: d
              instruction: absent.md
`));
    let error: CapabilityLoadError | undefined;
    try {
      loadCapability(file, { env: {} });
    } catch (e) {
      error = e as CapabilityLoadError;
    }
    expect(error).toBeInstanceOf(CapabilityLoadError);
    expect(only({ adapters: [], siblings: [], diagnostics: [...error!.diagnostics] })).toEqual([
      { severity: 'error', code: 'NR_ERR_SKILL_UNKNOWN_ACTION', pointer: `${S}/0/tools/0/from/action` },
      { severity: 'warning', code: 'NR_WARN_SKILL_INSTRUCTION_MISSING', pointer: `${S}/0/tools/1/instruction` },
    ]);
    expect(error!.diagnostics.find((d) => d.code === 'NR_ERR_SKILL_UNKNOWN_ACTION')!.line).toBeGreaterThan(0);
  });
});

// ───────────────────────────── the reference fixture and the tutorial ─────────────────────────────

describe('skill fixture and tutorial', () => {
  it('the reference skill fixture: its /tmp location is checked at load', () => {
    const target = '/tmp/naftiko-test-skills/order-management';
    // other test files create this folder (and never remove it): judge only a load it could not race
    const before = existsSync(target);
    const b = direct(copyFixture(readFileSync(SKILL_FIXTURE, 'utf8')));
    if (before !== existsSync(target)) return;
    if (before) expect(skillCodes(b.diagnostics).filter((d) => d.severity === 'error')).toEqual([]);
    else expect(only(b)).toEqual([{ severity: 'error', code: 'NR_ERR_SKILL_LOCATION_MISSING', pointer: '/capability/exposes/1/skills/0/location' }]);
  });

  it('the reference skill fixture, with its location in place, serves Java\'s shapes', async () => {
    const loc = path.join(work, 'fixture-skills/order-management');
    mkdirSync(loc, { recursive: true });
    writeFileSync(path.join(loc, 'order-guide.md'), '# Orders\n');
    const text = readFileSync(SKILL_FIXTURE, 'utf8').replace('file:///tmp/naftiko-test-skills/order-management', `file://${loc}`);
    const b = load(copyFixture(text));
    expect(skillCodes(b.diagnostics)).toEqual([]);
    const s = await serve(b.adapters[0]!, b.siblings);
    expect((await json(`${s.base}/skills`)).body).toEqual({
      count: 2,
      skills: [
        { name: 'order-management', description: 'Tools for managing orders', tools: ['list-orders', 'order-guide'] },
        { name: 'onboarding-guide', description: 'A purely descriptive skill with no tools', tools: [] },
      ],
    });
    expect((await json(`${s.base}/skills/order-management`)).body).toEqual({
      name: 'order-management',
      description: 'Tools for managing orders',
      'argument-hint': 'Use for order operations',
      'allowed-tools': 'list-orders',
      tools: [
        { name: 'list-orders', description: 'List all orders in the system', type: 'derived', invocationRef: { targetNamespace: 'orders-rest', action: 'list-orders', mode: 'rest', endpoint: 'GET http://localhost:9098/orders' } },
        { name: 'order-guide', description: 'Guide for working with orders', type: 'instruction', instruction: 'order-guide.md' },
      ],
    });
    const contents = await json(`${s.base}/skills/order-management/contents`);
    expect(contents.body.files.map((f: { path: string }) => f.path)).toEqual(['SKILL.md', 'order-guide.md']);
    expect(await (await fetch(`${s.base}/skills/order-management/contents/order-guide.md`)).text()).toBe('# Orders\n');
    expect((await json(`${s.base}/skills/onboarding-guide/contents`)).body.files.map((f: { path: string }) => f.path)).toEqual(['SKILL.md']);
  });

  it.runIf(STEP8_LOADS)('tutorial step 8: the shipyard skill groups over the MCP sibling (0.0.0.0 → the caller host)', async () => {
    const b = load(TUTORIAL_STEP8);
    expect(skillCodes(b.diagnostics)).toEqual([]);
    const s = await serve(b.adapters[0]!, b.siblings);
    const catalog = (await json(`${s.base}/skills`)).body;
    expect(catalog).toEqual({
      count: 2,
      skills: [
        { name: 'fleet-ops', description: 'Fleet management — list, search, and inspect ships across all registries', tools: ['list-ships', 'get-ship', 'list-legacy-vessels', 'get-ship-with-crew'] },
        { name: 'voyage-ops', description: 'Voyage planning — create and manage voyages', tools: ['create-voyage'] },
      ],
    });
    const fleet = (await json(`${s.base}/skills/fleet-ops`)).body;
    expect(fleet.tools[0]).toEqual({
      name: 'list-ships',
      description: 'List ships in the shipyard, optionally filtered by status',
      type: 'derived',
      invocationRef: { targetNamespace: 'shipyard-tools', action: 'list-ships', mode: 'mcp', endpoint: 'http://127.0.0.1:3001/mcp' },
    });
    const md = await (await fetch(`${s.base}/skills/voyage-ops/contents/SKILL.md`)).text();
    expect(md).toContain('MCP tool `create-voyage` of `shipyard-tools`: `http://127.0.0.1:3001/mcp`');
    const zip = readZip(Buffer.from(await (await fetch(`${s.base}/skills/fleet-ops/download`)).arrayBuffer()));
    expect(zip.map((e) => e.name)).toEqual(['SKILL.md']);
  });
});

/** The fixture's text into the work dir (its own folder holds nothing it refers to). */
function copyFixture(text: string): string {
  const file = path.join(work, `fixture-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}
