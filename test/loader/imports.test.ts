/**
 * Imported consumes (FEATURES §2), bind locations (§1.1) and the other alpha3 items that must not be
 * dropped silently (§17): loaded through the real loader from files in a temporary folder.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadCapability } from '../../src/spec/load.js';
import { loadFailure, tmpDir, where } from './helpers.js';

const REGISTRY = `naftiko: 1.0.0-alpha3
consumes:
  - namespace: registry
    type: http
    baseUri: "http://127.0.0.1:1/api"
    authentication:
      type: bearer
      token: "{{REGISTRY_TOKEN}}"
    resources:
      - name: ship
        path: "/ships/{{imo_number}}"
        operations:
          - name: get-ship
            method: GET
            inputParameters:
              - name: imo_number
                in: path
  - namespace: other
    type: http
    baseUri: "http://127.0.0.1:1/other"
    resources:
      - name: x
        path: /x
        operations:
          - name: get-x
            method: GET
`;

const capability = (consumes: string, call = 'registry.get-ship', binds = '') => `naftiko: 1.0.0-alpha3
${binds}capability:
  consumes:
${consumes}
  exposes:
    - type: mcp
      namespace: tools
      port: 9100
      tools:
        - name: get-ship
          description: one ship
          call: ${call}
          with:
            imo_number: tools.imo
          inputParameters:
            - name: imo
              type: string
              description: IMO number
`;

const BINDS = `binds:
  - namespace: env
    location: "file:///./shared/secrets.yaml"
    keys:
      REGISTRY_TOKEN: registry-token
`;

let cleanup: (() => void)[] = [];
afterEach(() => {
  cleanup.forEach((c) => c());
  cleanup = [];
});

function project(files: Record<string, string>): string {
  const t = tmpDir('naftiko-imports-');
  cleanup.push(t.remove);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(t.dir, name)), { recursive: true });
    writeFileSync(path.join(t.dir, name), text);
  }
  return t.dir;
}

describe('imported consumes', () => {
  it('an import is the named entry of the file, relative to the capability, and calls use it', () => {
    const dir = project({ 'cap.yaml': capability('    - import: registry\n      location: ./shared/registry.yml', 'registry.get-ship', BINDS), 'shared/registry.yml': REGISTRY, 'shared/secrets.yaml': 'registry-token: t-1\n' });
    const { model } = loadCapability(path.join(dir, 'cap.yaml'), { env: {} });
    expect(model.consumes.map((c) => c.namespace)).toEqual(['registry']);
    expect(model.consumes[0]!.baseUri.source).toBe('http://127.0.0.1:1/api');
    const tool = model.exposes[0]!.type === 'mcp' ? model.exposes[0]!.tools[0]! : undefined;
    expect(tool?.handler.kind === 'call' && tool.handler.operation.ref).toBe('registry.get-ship');
    expect(model.variables.get('REGISTRY_TOKEN')?.value).toBe('t-1');
  });

  it('"as" renames it; the source name is then not visible', () => {
    const dir = project({ 'cap.yaml': capability('    - import: registry\n      location: ./shared/registry.yml\n      as: reg-v2', 'reg-v2.get-ship', BINDS), 'shared/registry.yml': REGISTRY, 'shared/secrets.yaml': 'registry-token: t\n' });
    const { model } = loadCapability(path.join(dir, 'cap.yaml'), { env: {} });
    expect(model.consumes.map((c) => c.namespace)).toEqual(['reg-v2']);
    const again = project({ 'cap.yaml': capability('    - import: registry\n      location: ./shared/registry.yml\n      as: reg-v2', 'registry.get-ship', BINDS), 'shared/registry.yml': REGISTRY, 'shared/secrets.yaml': 'registry-token: t\n' });
    const err = loadFailure(() => loadCapability(path.join(again, 'cap.yaml'), { env: {} }));
    expect(err.diagnostics.map((d) => d.code)).toContain('NR_ERR_UNKNOWN_CALL');
  });

  it('the same file imported twice under two names gives two independent adapters', () => {
    const dir = project({
      'cap.yaml': capability('    - import: registry\n      location: shared/registry.yml\n      as: a\n    - import: registry\n      from: shared/registry.yml\n      as: b', 'b.get-ship', BINDS),
      'shared/registry.yml': REGISTRY,
      'shared/secrets.yaml': 'registry-token: t\n',
    });
    const { model } = loadCapability(path.join(dir, 'cap.yaml'), { env: {} });
    expect(model.consumes.map((c) => c.namespace)).toEqual(['a', 'b']);
    expect([...model.consumes[1]!.operations.keys()]).toEqual(['get-ship']);
  });

  it('a missing file: NR_ERR_IMPORT_NOT_FOUND at the importing line', () => {
    const dir = project({ 'cap.yaml': capability('    - import: registry\n      location: ./shared/nowhere.yml') });
    const err = loadFailure(() => loadCapability(path.join(dir, 'cap.yaml'), { env: {} }));
    const d = err.diagnostics.find((x) => x.code === 'NR_ERR_IMPORT_NOT_FOUND')!;
    expect(where(d)).toEqual({ severity: 'error', code: 'NR_ERR_IMPORT_NOT_FOUND', line: 5, column: 17, pointer: '/capability/consumes/0/location' });
    expect(d.message).toContain(path.join(dir, 'shared/nowhere.yml'));
    // the consequence (the call target cannot be found) is not reported on top of the cause
    expect(err.diagnostics.map((x) => x.code)).not.toContain('NR_ERR_UNKNOWN_CALL');
  });

  it('an unknown import name lists the namespaces the file has', () => {
    const dir = project({ 'cap.yaml': capability('    - import: registri\n      location: ./r.yml'), 'r.yml': REGISTRY });
    const err = loadFailure(() => loadCapability(path.join(dir, 'cap.yaml'), { env: {} }));
    const d = err.diagnostics.find((x) => x.code === 'NR_ERR_IMPORT_UNKNOWN_NAMESPACE')!;
    expect(d.pointer).toBe('/capability/consumes/0/import');
    expect(d.message).toContain('(it has: registry, other)');
  });

  it('a namespace duplicated after import is an error', () => {
    const dir = project({ 'cap.yaml': capability('    - import: registry\n      location: ./r.yml\n    - import: other\n      location: ./r.yml\n      as: registry'), 'r.yml': REGISTRY });
    const err = loadFailure(() => loadCapability(path.join(dir, 'cap.yaml'), { env: {} }));
    expect(err.diagnostics.map((x) => x.code)).toContain('NR_ERR_DUPLICATE_NAMESPACE');
  });

  it('a problem inside the imported file is reported at that file\'s line, naming the import', () => {
    const dir = project({ 'cap.yaml': capability('    - import: registry\n      location: ./r.yml'), 'r.yml': REGISTRY.replace('"http://127.0.0.1:1/api"', '"http://127.0.0.1:1/api/"') });
    const err = loadFailure(() => loadCapability(path.join(dir, 'cap.yaml'), { env: {} }));
    const d = err.diagnostics.find((x) => x.code === 'NR_ERR_BASE_URI')!;
    expect(d.file).toMatch(/r\.yml$/);
    expect([d.line, d.pointer]).toEqual([5, '/consumes/0/baseUri']);
    expect(d.message).toMatch(/imported at .*cap\.yaml:4:/);
    // an undeclared bind variable in the imported file is checked against the importing capability's binds
    expect(err.diagnostics.find((x) => x.code === 'NR_ERR_UNDECLARED_VARIABLE')?.file).toMatch(/r\.yml$/);
  });

  it('a schema error inside the imported file is positioned there', () => {
    const dir = project({ 'cap.yaml': capability('    - import: registry\n      location: ./r.yml'), 'r.yml': REGISTRY.replace('method: GET\n            inputParameters', 'method: FETCH\n            inputParameters') });
    const err = loadFailure(() => loadCapability(path.join(dir, 'cap.yaml'), { env: {} }));
    const d = err.diagnostics.find((x) => x.code === 'NR_ERR_SCHEMA')!;
    expect(d.file).toMatch(/r\.yml$/);
    expect(d.pointer).toBe('/consumes/0/resources/0/operations/0/method');
  });

  it('location and from that differ; transitive imports; the wiki spelling; remote files', () => {
    const dir = project({
      'a.yaml': capability('    - import: registry\n      location: ./r.yml\n      from: ./s.yml'),
      'b.yaml': capability('    - import: registry\n      location: ./t.yml'),
      'c.yaml': capability('    - namespace: registry\n      import: ./r.yml'),
      'd.yaml': capability('    - import: registry\n      location: https://example.invalid/r.yml'),
      'r.yml': REGISTRY,
      't.yml': 'naftiko: 1.0.0-alpha3\nconsumes:\n  - import: registry\n    location: ./r.yml\n',
    });
    const codes = (f: string) => loadFailure(() => loadCapability(path.join(dir, f), { env: {} })).diagnostics;
    expect(codes('a.yaml').find((d) => d.code === 'NR_ERR_IMPORT')?.message).toContain('"location" and "from"');
    expect(codes('b.yaml').find((d) => d.code === 'NR_ERR_IMPORT')?.message).toContain('transitive imports are not supported');
    expect(codes('c.yaml').find((d) => d.code === 'NR_ERR_IMPORT')?.message).toContain('did you mean "import: registry" + "location: ./r.yml"?');
    expect(codes('d.yaml').find((d) => d.code === 'NR_ERR_IMPORT')?.message).toContain('remote locations');
  });

  it('an Ikanos-style source whose consumes sit under capability', () => {
    const ikanos = REGISTRY.replace('consumes:\n', 'capability:\n  consumes:\n').replace(/\n  (?=[ -])/g, '\n    ');
    const dir = project({ 'cap.yaml': capability('    - import: registry\n      from: ./r.yml', 'registry.get-ship', BINDS), 'r.yml': ikanos, 'shared/secrets.yaml': 'registry-token: t\n' });
    const { model } = loadCapability(path.join(dir, 'cap.yaml'), { env: {} });
    expect(model.consumes[0]!.namespace).toBe('registry');
  });
});

describe('bind locations (FEATURES §1.1)', () => {
  it('file:///./x resolves against the working directory first, then the capability folder', () => {
    const dir = project({ 'cap.yaml': capability('    - import: registry\n      location: ./r.yml', 'registry.get-ship', BINDS), 'r.yml': REGISTRY, 'shared/secrets.yaml': 'registry-token: from-capability-dir\n' });
    const { model } = loadCapability(path.join(dir, 'cap.yaml'), { env: {} });
    expect(model.variables.get('REGISTRY_TOKEN')).toMatchObject({ value: 'from-capability-dir', file: path.join(dir, 'shared/secrets.yaml') });

    const cwd = project({ 'shared/secrets.yaml': 'registry-token: from-cwd\n' });
    const before = process.cwd();
    process.chdir(cwd);
    try {
      const again = loadCapability(path.join(dir, 'cap.yaml'), { env: {} }).model;
      expect(again.variables.get('REGISTRY_TOKEN')).toMatchObject({ value: 'from-cwd', file: path.join(cwd, 'shared/secrets.yaml') });
    } finally {
      process.chdir(before);
    }
  });

  it('a bind file found nowhere: a warning naming both places tried; the variable is unset', () => {
    const dir = project({ 'cap.yaml': capability('    - import: registry\n      location: ./r.yml', 'registry.get-ship', BINDS), 'r.yml': REGISTRY });
    const { model, warnings } = loadCapability(path.join(dir, 'cap.yaml'), { env: {} });
    const w = warnings.find((d) => d.code === 'NR_WARN_BIND_FILE_MISSING')!;
    expect(w.message).toContain(path.join(dir, 'shared/secrets.yaml'));
    expect(model.variables.get('REGISTRY_TOKEN')?.value).toBeUndefined();
  });
});

describe('alpha3 items that are served, not dropped (FEATURES §17)', () => {
  it('consumed in: environment parameters are variables from the process environment, never exposed inputs', () => {
    const dir = project({
      'cap.yaml': `naftiko: 1.0.0-alpha3
capability:
  consumes:
    - namespace: api
      type: http
      baseUri: "http://127.0.0.1:1"
      inputParameters:
        - name: TENANT
          in: environment
        - name: X-Tenant
          in: header
          value: "{{TENANT}}"
      resources:
        - name: x
          path: /x
          operations:
            - name: get-x
              method: GET
  exposes:
    - type: mcp
      namespace: tools
      port: 9100
      tools:
        - name: get-x
          description: x
          call: api.get-x
`,
    });
    const { model } = loadCapability(path.join(dir, 'cap.yaml'), { env: { TENANT: 'acme' } });
    expect(model.variables.get('TENANT')?.value).toBe('acme');
    const tool = model.exposes[0]!.type === 'mcp' ? model.exposes[0]!.tools[0]! : undefined;
    expect(tool?.inputs.map((i) => i.name)).toEqual([]);
  });

  it('an input that shares a bind variable\'s name is a warning', () => {
    const dir = project({
      'cap.yaml': `naftiko: 1.0.0-alpha3
binds:
  - namespace: env
    keys:
      HOST: UPSTREAM_HOST
capability:
  consumes:
    - namespace: api
      type: http
      baseUri: "http://{{HOST}}"
      resources:
        - name: x
          path: /x
          operations:
            - name: get-x
              method: GET
              inputParameters:
                - name: HOST
                  in: query
  exposes:
    - type: mcp
      namespace: tools
      port: 9100
      tools:
        - name: get-x
          description: x
          call: api.get-x
`,
    });
    const { warnings } = loadCapability(path.join(dir, 'cap.yaml'), { env: { UPSTREAM_HOST: '127.0.0.1:1' } });
    expect(warnings.map((w) => w.code)).toContain('NR_WARN_INPUT_SHADOWS_VARIABLE');
  });
});
