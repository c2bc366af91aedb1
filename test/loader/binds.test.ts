/**
 * binds (SEMANTICS §2): a variable comes from the environment (no location) or from a file:// location
 * (.env, JSON, YAML), the path relative to the capability file. An unset variable is not an error.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCapability } from '../../src/spec/load.js';
import { BASE, NO_ENV, fileFailure, loadText, tmpDir, variant, where } from './helpers.js';

const tmp = tmpDir();
afterAll(() => tmp.remove());

/** BASE with `binds` (given as YAML lines at 0 indentation) after line 1, and `token` as a bearer token. */
function withBinds(binds: string, token = '{{TOKEN}}', baseUri = 'http://localhost:1'): string {
  return variant('naftiko: 1.0.0-alpha3\n', `naftiko: 1.0.0-alpha3\n${binds}`,
    variant('      baseUri: http://localhost:1\n', `      baseUri: ${baseUri}\n      authentication:\n        type: bearer\n        token: '${token}'\n`));
}

/** Writes `files` and cap.yaml into a fresh folder under the suite's tmp dir; returns cap.yaml's path. */
let n = 0;
function project(capability: string, files: Record<string, string> = {}): string {
  const dir = path.join(tmp.dir, `p${++n}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  const file = path.join(dir, 'cap.yaml');
  writeFileSync(file, capability);
  return file;
}

describe('environment binds', () => {
  const binds = 'binds:\n  - namespace: env\n    keys:\n      TOKEN: MY_TOKEN\n';

  it('take the value of the environment variable named by the key', () => {
    const { model, warnings } = loadText(withBinds(binds), { env: { MY_TOKEN: 's3cret', TOKEN: 'wrong' } });
    expect(warnings).toEqual([]);
    expect(model.variables.get('TOKEN')).toEqual({ name: 'TOKEN', namespace: 'env', source: 'MY_TOKEN', value: 's3cret' });
    expect(model.variables.get('env.TOKEN')?.value).toBe('s3cret');
  });

  it('an unset variable is NOT an error: it is there with value undefined', () => {
    const { model, warnings } = loadText(withBinds(binds), { env: NO_ENV });
    expect(warnings).toEqual([]);
    expect(model.variables.has('TOKEN')).toBe(true);
    expect(model.variables.get('TOKEN')!.value).toBeUndefined();
    expect(model.variables.get('env.TOKEN')!.value).toBeUndefined();
  });

  it('an unset variable is not an error in strict mode either', () => {
    expect(loadText(withBinds(binds), { env: NO_ENV, strict: true }).model.variables.get('TOKEN')!.value).toBeUndefined();
  });

  it('an empty environment value counts as unset', () => {
    expect(loadText(withBinds(binds), { env: { MY_TOKEN: '' } }).model.variables.get('TOKEN')!.value).toBeUndefined();
  });

  it('capability.binds work like top-level binds', () => {
    const text = variant('capability:\n', 'capability:\n  binds:\n    - namespace: env\n      keys:\n        TOKEN: MY_TOKEN\n',
      variant('      baseUri: http://localhost:1\n', "      baseUri: http://localhost:1\n      authentication:\n        type: bearer\n        token: '{{TOKEN}}'\n"));
    expect(loadText(text, { env: { MY_TOKEN: 'x' } }).model.variables.get('TOKEN')!.value).toBe('x');
  });

  it('without options.env the process environment is read', () => {
    const name = `NAFTIKO_LOADER_TEST_${process.pid}`;
    process.env[name] = 'from-process';
    try {
      const text = withBinds(`binds:\n  - namespace: env\n    keys:\n      TOKEN: ${name}\n`);
      const { model } = loadText(text, { env: undefined as never });
      expect(model.variables.get('TOKEN')!.value).toBe('from-process');
    } finally {
      delete process.env[name];
    }
  });
});

describe('file:// binds, relative to the capability file', () => {
  const capability = withBinds(
    `binds:
  - namespace: dotenv
    location: file://./secrets.env
    keys:
      TOKEN: API_TOKEN
      QUOTED: QUOTED_VALUE
  - namespace: json
    location: file://conf/secrets.json
    keys:
      HOST: host
  - namespace: yml
    location: file://./conf/secrets.yaml
    keys:
      PORT_NO: port
`,
    '{{dotenv.TOKEN}}',
    'http://{{json.HOST}}:{{PORT_NO}}',
  );
  const files = {
    'secrets.env': '# secrets\nexport API_TOKEN=tok-123\nQUOTED_VALUE="a b # c"\nOTHER=1 # trailing comment\n',
    'conf/secrets.json': JSON.stringify({ host: 'upstream.local', unused: true }),
    'conf/secrets.yaml': 'port: 8443\n',
  };

  it('.env, JSON and YAML files resolve, whatever the working directory', () => {
    const file = project(capability, files);
    expect(path.dirname(file)).not.toBe(process.cwd());
    const { model, warnings } = loadCapability(file, { env: NO_ENV });
    expect(warnings).toEqual([]);
    expect(model.variables.get('TOKEN')).toEqual({ name: 'TOKEN', namespace: 'dotenv', source: 'API_TOKEN', location: 'file://./secrets.env', file: path.join(path.dirname(file), 'secrets.env'), value: 'tok-123' });
    expect(model.variables.get('QUOTED')!.value).toBe('a b # c');
    expect(model.variables.get('json.HOST')!.value).toBe('upstream.local');
    expect(model.variables.get('PORT_NO')!.value).toBe('8443');
  });

  it('the environment does not override a file bind', () => {
    const file = project(capability, files);
    expect(loadCapability(file, { env: { API_TOKEN: 'from-env' } }).model.variables.get('TOKEN')!.value).toBe('tok-123');
  });

  it('an absolute file:/// location', () => {
    const abs = path.join(tmp.dir, 'abs-secrets.json');
    writeFileSync(abs, JSON.stringify({ token: 'abs-tok' }));
    const file = project(withBinds(`binds:\n  - namespace: vault\n    location: file://${abs}\n    keys:\n      TOKEN: token\n`));
    expect(loadCapability(file, { env: NO_ENV }).model.variables.get('TOKEN')!.value).toBe('abs-tok');
  });

  it('a key missing from the file leaves the variable unset, without error', () => {
    const file = project(withBinds('binds:\n  - namespace: f\n    location: file://./s.json\n    keys:\n      TOKEN: nope\n'), { 's.json': '{"other": "x"}' });
    const { model, warnings } = loadCapability(file, { env: NO_ENV });
    expect(warnings).toEqual([]);
    expect(model.variables.get('TOKEN')!.value).toBeUndefined();
  });

  it('a missing bind file: warning NR_WARN_BIND_FILE_MISSING at its location, variables unset', () => {
    // binds lines 2-6; "location" is line 4, its value at column 15
    const file = project(withBinds('binds:\n  - namespace: f\n    location: file://./nowhere.env\n    keys:\n      TOKEN: API_TOKEN\n'));
    const { model, warnings } = loadCapability(file, { env: NO_ENV });
    expect(warnings.map(where)).toEqual([{ severity: 'warning', code: 'NR_WARN_BIND_FILE_MISSING', line: 4, column: 15, pointer: '/binds/0/location' }]);
    expect(model.variables.get('TOKEN')!.value).toBeUndefined();
  });

  it('an invalid bind file: NR_ERR_BIND_FILE at its location', () => {
    const file = project(withBinds('binds:\n  - namespace: f\n    location: file://./bad.json\n    keys:\n      TOKEN: token\n'), { 'bad.json': '{not json' });
    const err = fileFailure(file);
    expect(err.diagnostics.map(where)).toEqual([{ severity: 'error', code: 'NR_ERR_BIND_FILE', line: 4, column: 15, pointer: '/binds/0/location' }]);
  });

  it('the value of a bind file never appears in a diagnostic', () => {
    const file = project(withBinds('binds:\n  - namespace: f\n    location: file://./s.env\n    keys:\n      TOKEN: API_TOKEN\n', '{{TOKEN}}{{f.NOPE}}'), { 's.env': 'API_TOKEN=super-secret-value\n' });
    const err = fileFailure(file);
    expect(err.errors.map((d) => d.code)).toEqual(['NR_ERR_UNDECLARED_VARIABLE']);
    expect(err.message).not.toContain('super-secret-value');
  });
});

it('BASE itself declares no binds', () => {
  expect(loadText(BASE).model.variables.size).toBe(0);
});
