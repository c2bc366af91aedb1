/**
 * Every tutorial capability (tutorial/step-*.yml) and every capability file under fixtures/ (recursively:
 * *.yaml / *.yml with a top-level `naftiko:` and `capability:`) loads with loadCapability, warnings
 * allowed. The few fixtures that legitimately cannot load are listed in KNOWN_UNLOADABLE with the
 * reason, and must fail with that reason (so a change either way is noticed).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadCapability } from '../../src/spec/load.js';
import { CapabilityLoadError } from '../../src/spec/diagnostics.js';
import { SHARED, TUTORIAL } from './upstreams.js';

const FIXTURES = path.join(SHARED, 'fixtures');

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = path.join(dir, name);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
}

function isCapability(file: string): boolean {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
  return doc !== null && typeof doc === 'object' && !Array.isArray(doc) && 'naftiko' in doc && 'capability' in doc;
}

/** fixture path (relative to fixtures/) → the error code it must fail with, and why */
const KNOWN_UNLOADABLE: Record<string, { code: RegExp; reason: string }> = {
  // a negative fixture: its tool's `ref: unknown.nonexistent` names no aggregate function (the
  // reference's own test expects the load to fail)
  'aggregates/aggregate-invalid-ref.yaml': { code: /^NR_ERR_UNKNOWN_REF$/, reason: 'ref names no aggregate function (negative fixture)' },
  // a negative fixture ("intentionally using a trailing-slash baseUri to test strict validation"):
  // REF §1.1, the reference rejects it at deserialisation too
  'baseuri-trailing-slash-capability.yaml': { code: /^NR_ERR_BASE_URI$/, reason: 'baseUri ends with "/" (negative fixture)' },
};

/**
 * Directories some fixtures point at with absolute locations. They do not exist on a fresh machine, and
 * creating them is the only thing those fixtures need (skill-capability.yaml: the skill `location`).
 * They are created before that load and left in place, as test/loader/fixtures.test.ts does: removing
 * them would race the test files that look at the same /tmp path from other workers.
 */
const REQUIRED_DIRS: Record<string, readonly string[]> = {
  'skill-capability.yaml': ['/tmp/naftiko-test-skills/order-management'],
};

function withDirs<T>(dirs: readonly string[], run: () => T): T {
  for (const dir of dirs) mkdirSync(dir, { recursive: true });
  return run();
}

function errorsOf(e: unknown): string {
  if (e instanceof CapabilityLoadError) return e.errors.map((d) => `${d.code} ${d.pointer}: ${d.message}`).join('\n');
  return String(e);
}

function expectLoads(file: string): void {
  let result: ReturnType<typeof loadCapability> | undefined;
  try {
    result = loadCapability(file, { env: {} });
  } catch (e) {
    throw new Error(`${path.basename(file)} does not load:\n${errorsOf(e)}`);
  }
  expect(result.model).toBeDefined();
  expect(result.warnings.filter((w) => w.severity === 'error')).toEqual([]);
}

describe('tutorial capabilities load', () => {
  const steps = readdirSync(TUTORIAL)
    .filter((f) => /^step-\d+-.*\.ya?ml$/.test(f))
    .sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]));

  it('there are eleven', () => {
    expect(steps).toHaveLength(11);
  });

  it.each(steps)('%s', (name) => {
    expectLoads(path.join(TUTORIAL, name));
  });

  it('step 11 is warned about its literal "REGISTRY_TOKEN" / "REGISTRY_VERSION" (FEATURES §2(d))', () => {
    // shared/step11-registry-consumes.yml writes them without {{ }}: they go upstream as literal text
    const { warnings } = loadCapability(path.join(TUTORIAL, 'step-11-shipyard-fleet-manifest.yml'), { env: {} });
    const messages = warnings.map((w) => w.message);
    expect(messages.some((m) => m.includes('REGISTRY_TOKEN')), messages.join('\n')).toBe(true);
    expect(messages.some((m) => m.includes('REGISTRY_VERSION')), messages.join('\n')).toBe(true);
  });
});

describe('fixture capabilities load', () => {
  const all = walk(FIXTURES).filter((f) => /\.ya?ml$/.test(f));
  const capabilities = all.filter(isCapability).map((f) => path.relative(FIXTURES, f));

  it('the selection finds the capability files and leaves out the rest (OpenAPI, sample data)', () => {
    expect(capabilities.length).toBeGreaterThanOrEqual(30);
    expect(capabilities).toContain('skill-capability.yaml');
    expect(capabilities).toContain('mcp/mcp-capability.yaml');
    expect(capabilities.some((f) => f.startsWith('openapi/'))).toBe(false);
    expect(capabilities).not.toContain('schemas/sample-users.yaml');
    for (const known of Object.keys(KNOWN_UNLOADABLE)) expect(capabilities, known).toContain(known);
  });

  const loadable = capabilities.filter((f) => !(f in KNOWN_UNLOADABLE));
  it.each(loadable)('%s', (rel) => {
    withDirs(REQUIRED_DIRS[rel] ?? [], () => expectLoads(path.join(FIXTURES, rel)));
  });

  it.each(Object.entries(KNOWN_UNLOADABLE))('%s legitimately cannot load', (rel, { code, reason }) => {
    let error: unknown;
    try {
      loadCapability(path.join(FIXTURES, rel), { env: {} });
    } catch (e) {
      error = e;
    }
    expect(error, `${rel} was expected to fail: ${reason}`).toBeInstanceOf(CapabilityLoadError);
    const codes = (error as CapabilityLoadError).errors.map((d) => d.code);
    expect(codes.some((c) => code.test(c)), `${reason}; got:\n${errorsOf(error)}`).toBe(true);
  });
});
