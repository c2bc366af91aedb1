/** Shared helpers for the loader test suite (test/loader/*.test.ts). */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { loadCapability, loadCapabilityText, type LoadOptions, type LoadResult } from '../../src/spec/load.js';
import { CapabilityLoadError, type Diagnostic } from '../../src/spec/diagnostics.js';
import { MAX_FILE_BYTES } from '../../src/spec/yaml-source.js';

/** The size limit of a capability file (5 MiB). */
export const MAX_BYTES: number = MAX_FILE_BYTES;

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURES = path.join(REPO, 'test', 'fixtures');
export const BULKSYNC = path.join(REPO, 'capabilities', 'bulksync.yaml');

/** Codes of problems that concern the file as a whole: line 0, column 0, pointer ''. */
export const WHOLE_FILE_CODES: ReadonlySet<string> = new Set([
  'NR_ERR_FILE_NOT_FOUND',
  'NR_ERR_FILE_UNREADABLE',
  'NR_ERR_FILE_TOO_LARGE',
  'NR_ERR_FILE_EMPTY',
  'NR_ERR_NOT_A_MAPPING',
  'NR_ERR_NOT_A_CAPABILITY',
  'NR_ERR_NOT_YAML',
]);

/** An empty environment, so that the developer's shell never changes a result. */
export const NO_ENV: Readonly<Record<string, string | undefined>> = Object.freeze({});

/**
 * A minimal valid capability; every error test below is this document with one change, so that the
 * line and column of each problem can be read off the text. Line numbers:
 *
 *  1 naftiko: 1.0.0-alpha3
 *  2 capability:
 *  3   exposes:
 *  4     - type: rest
 *  5       namespace: api
 *  6       port: 8080
 *  7       resources:
 *  8         - path: /items
 *  9           operations:
 * 10             - method: GET
 * 11               name: list
 * 12               call: up.list
 * 13   consumes:
 * 14     - type: http
 * 15       namespace: up
 * 16       baseUri: http://localhost:1
 * 17       resources:
 * 18         - name: items
 * 19           path: /items
 * 20           operations:
 * 21             - name: list
 * 22               method: GET
 */
export const BASE = `naftiko: 1.0.0-alpha3
capability:
  exposes:
    - type: rest
      namespace: api
      port: 8080
      resources:
        - path: /items
          operations:
            - method: GET
              name: list
              call: up.list
  consumes:
    - type: http
      namespace: up
      baseUri: http://localhost:1
      resources:
        - name: items
          path: /items
          operations:
            - name: list
              method: GET
`;

/** `BASE` with `from` replaced by `to`; fails the test if `from` is not in BASE exactly once. */
export function variant(from: string, to: string, base: string = BASE): string {
  const at = base.indexOf(from);
  expect(at, `"${from}" must occur in the base document`).toBeGreaterThanOrEqual(0);
  expect(base.indexOf(from, at + 1), `"${from}" must occur once in the base document`).toBe(-1);
  return base.slice(0, at) + to + base.slice(at + from.length);
}

/** Runs `fn`, which must throw a CapabilityLoadError, and returns it. */
export function loadFailure(fn: () => unknown): CapabilityLoadError {
  let result: unknown;
  try {
    result = fn();
  } catch (e) {
    if (e instanceof CapabilityLoadError) return e;
    throw new Error(`expected a CapabilityLoadError, got ${String((e as Error)?.stack ?? e)}`);
  }
  const warnings = (result as LoadResult | undefined)?.warnings ?? [];
  throw new Error(`expected a CapabilityLoadError, but the document loaded${warnings.length ? ` with warnings:\n${warnings.map((w) => `  ${w.code} ${w.line}:${w.column} ${w.pointer}`).join('\n')}` : ''}`);
}

export function textFailure(text: string, options: LoadOptions = {}, file = 't.yaml'): CapabilityLoadError {
  return loadFailure(() => loadCapabilityText(file, text, { env: NO_ENV, ...options }));
}

export function fileFailure(file: string, options: LoadOptions = {}): CapabilityLoadError {
  return loadFailure(() => loadCapability(file, { env: NO_ENV, ...options }));
}

export function loadText(text: string, options: LoadOptions = {}, file = 't.yaml'): LoadResult {
  return loadCapabilityText(file, text, { env: NO_ENV, ...options });
}

/** The fields a test compares, in a stable order (file and message checked separately). */
export function where(d: Diagnostic): Pick<Diagnostic, 'severity' | 'code' | 'line' | 'column' | 'pointer'> {
  return { severity: d.severity, code: d.code, line: d.line, column: d.column, pointer: d.pointer };
}

/** A fresh temporary directory and its remover. */
export function tmpDir(prefix = 'naftiko-loader-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every .yaml/.yml file under `dir`, recursively, skipping folders named in `skip`; sorted, relative to `dir`. */
export function yamlFilesUnder(dir: string, skip: readonly string[] = []): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) {
        if (!skip.includes(name)) walk(full);
      } else if (/\.ya?ml$/i.test(name)) {
        out.push(path.relative(dir, full).split(path.sep).join('/'));
      }
    }
  };
  walk(dir);
  return out.sort();
}
