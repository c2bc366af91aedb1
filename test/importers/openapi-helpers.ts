/** Where the OpenAPI samples are, and an import written to a tmp dir and loaded with the real loader. */
import path from 'node:path';
import { expect } from 'vitest';
import { importOpenApi, type ImportResult } from '../../src/importers/openapi/import.js';
import { loadCapability, type LoadResult } from '../../src/spec/load.js';
import { ROOT, type TmpDir } from '../runtime/helpers.js';

export const SHARED = process.env.NAFTIKO_SHARED ?? path.resolve(ROOT, '../shared/naftiko');
export const OPENAPI_FIXTURES = path.join(SHARED, 'fixtures/openapi');
export const UPSTREAMS = path.join(SHARED, 'tutorial/upstreams');
export const fixture = (name: string) => path.join(OPENAPI_FIXTURES, name);

export interface Imported extends ImportResult {
  readonly file: string;
  readonly loaded: LoadResult;
}

/** Imports `spec`, writes the capability into `dir` and loads it as `validate` does (no environment). */
export async function importAndLoad(dir: TmpDir, spec: string, name = 'capability.yaml', options: { namespace?: string } = {}): Promise<Imported> {
  const result = await importOpenApi(spec, { output: name, ...options });
  const file = dir.write(name, result.yaml);
  const loaded = loadCapability(file, { env: {} });
  return { ...result, file, loaded };
}

export const codes = (r: { warnings: readonly { code: string }[] }) => r.warnings.map((w) => w.code);

/** The consumed operations of the first consumes entry, by name. */
export function consumedOperations(r: Imported) {
  return r.loaded.model.consumes[0]!.operations;
}

export function expectNoLoaderWarnings(r: Imported): void {
  expect(r.loaded.warnings.map((w) => `${w.code} ${w.pointer} ${w.message}`)).toEqual([]);
}
