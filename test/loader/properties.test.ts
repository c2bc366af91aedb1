/**
 * Property-based tests of the loader (fast-check, fixed seeds): whatever the input, loadCapabilityText
 * either returns a model or throws a CapabilityLoadError whose every diagnostic is well formed —
 * never a TypeError, a RangeError or a hang.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadCapabilityText } from '../../src/spec/load.js';
import { CapabilityLoadError, formatDiagnostic, type Diagnostic } from '../../src/spec/diagnostics.js';
import { BASE, BULKSYNC, NO_ENV, WHOLE_FILE_CODES } from './helpers.js';

const RUNS = 200;
/** Loading bulksync.yaml takes 15–40 ms: the mutation properties get more time than the default 20 s. */
const SLOW = 90_000;
const FILE = 'fuzz.yaml';

/** Checks one diagnostic against the text it is about; returns a description of what is wrong, or ''. */
function malformed(d: Diagnostic, text: string): string {
  const lines = text.split(/\r\n|\r|\n/).length;
  if (typeof d.code !== 'string' || !/^NR_(ERR|WARN)_[A-Z0-9_]+$/.test(d.code)) return `bad code ${String(d.code)}`;
  if (d.severity !== 'error' && d.severity !== 'warning') return `bad severity ${String(d.severity)}`;
  if (d.file !== FILE) return `bad file ${d.file}`;
  if (!Number.isInteger(d.line) || d.line < 0) return `bad line ${d.line}`;
  if (!Number.isInteger(d.column) || d.column < 0) return `bad column ${d.column}`;
  if (d.line === 0 && !WHOLE_FILE_CODES.has(d.code)) return `line 0 for ${d.code}, which is not a whole-file problem`;
  if (d.line === 0 && (d.column !== 0 || d.pointer !== '')) return `whole-file ${d.code} with column ${d.column} / pointer ${d.pointer}`;
  if (d.line > 0 && d.column < 1) return `line ${d.line} with column ${d.column}`;
  if (d.line > lines) return `line ${d.line} past the end of a ${lines}-line text`;
  if (typeof d.pointer !== 'string' || (d.pointer !== '' && !d.pointer.startsWith('/'))) return `bad pointer ${String(d.pointer)}`;
  if (typeof d.message !== 'string' || d.message.trim() === '') return 'empty message';
  return '';
}

/** Loads `text`; fails with a readable report if anything but a well-formed outcome happens. */
function check(text: string): 'loaded' | 'rejected' {
  let diagnostics: readonly Diagnostic[];
  let outcome: 'loaded' | 'rejected';
  try {
    diagnostics = loadCapabilityText(FILE, text, { env: NO_ENV }).warnings;
    outcome = 'loaded';
    if (diagnostics.some((d) => d.severity === 'error')) throw new Error(`loaded with an error diagnostic:\n${diagnostics.map(formatDiagnostic).join('\n')}`);
  } catch (e) {
    if (!(e instanceof CapabilityLoadError)) {
      throw new Error(`threw ${(e as Error)?.name ?? typeof e} instead of CapabilityLoadError: ${(e as Error)?.stack ?? String(e)}\n--- input ---\n${text.slice(0, 2000)}`);
    }
    diagnostics = e.diagnostics;
    outcome = 'rejected';
    if (e.errors.length === 0) throw new Error(`CapabilityLoadError without an error:\n${e.message}`);
    if (e.message !== e.diagnostics.map(formatDiagnostic).join('\n')) throw new Error('message is not the formatted diagnostics');
  }
  for (const d of diagnostics) {
    const why = malformed(d, text);
    if (why) throw new Error(`${why}: ${formatDiagnostic(d)}\n--- input ---\n${text.slice(0, 2000)}`);
  }
  return outcome;
}

// ───────────────────────────── (a) arbitrary text ─────────────────────────────

const YAML_TOKENS = [
  ':', ': ', '-', '- ', ' ', '  ', '    ', '\n', '\r\n', '\t', '[', ']', '{', '}', ',', '"', "'", '#', '# c', '&a ', '*a', '&b ', '*b',
  '!', '!!str ', '!!binary ', '!foo ', '|', '|-', '>', '>+', '?', '? ', '%YAML 1.2\n', '%TAG ! x\n', '@', '`', '---\n', '...\n', '<<: ', '=',
  'true', 'null', '~', '0x1F', '1e3', '.inf', '-1', '8080', '"80a"', 'x', 'é', '\u2028', '\u0000', '\uFEFF', '\\', '\\u0041',
  'naftiko', 'naftiko: 1.0.0-alpha3', 'capability', 'exposes', 'consumes', 'binds', 'keys', 'namespace', 'port', 'type', 'rest', 'mcp', 'http',
  'resources', 'operations', 'tools', 'call', 'with', 'path', '/items/{id}', '{{X}}', 'baseUri', 'location', 'file://./x.env', '$.',
];
const yamlish = fc.array(fc.constantFrom(...YAML_TOKENS), { maxLength: 80 }).map((t) => t.join(''));

describe('(a) arbitrary input never throws anything but CapabilityLoadError', () => {
  it('fc.string', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => void check(s)), { seed: 1001, numRuns: RUNS });
  });

  it('fc.string of any code unit (lone surrogates, controls)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => void check(s)), { seed: 1002, numRuns: RUNS });
  });

  it('fc.json', () => {
    fc.assert(fc.property(fc.json({ maxDepth: 4 }), (s) => void check(s)), { seed: 1003, numRuns: RUNS });
  });

  it('mixes of YAML syntax characters and capability words', () => {
    fc.assert(fc.property(yamlish, (s) => void check(s)), { seed: 1004, numRuns: RUNS });
  });

  it('YAML-ish text under a valid header', () => {
    fc.assert(fc.property(yamlish, (s) => void check(`naftiko: 1.0.0-alpha3\ncapability:\n  ${s}`)), { seed: 1005, numRuns: RUNS });
  });

  it('arbitrary values written as YAML', () => {
    fc.assert(fc.property(fc.anything({ maxDepth: 3 }), (v) => void check(stringify(v) ?? '')), { seed: 1006, numRuns: RUNS });
  });
});

describe('adversarial YAML', () => {
  it('an alias bomb is rejected quickly, with a position', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 9; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`);
    const text = 'naftiko: 1.0.0-alpha3\n' + bomb.join('\n') + '\n';
    const started = Date.now();
    expect(check(text)).toBe('rejected');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('deep nesting is rejected without a stack overflow', () => {
    const depth = 5000;
    expect(check('naftiko: 1.0.0-alpha3\ncapability: ' + '['.repeat(depth) + ']'.repeat(depth) + '\n')).toBe('rejected');
  });

  it('a very long line is fine', () => {
    expect(check(BASE.replace('port: 8080', `port: "${'9'.repeat(200_000)}"`))).toBe('rejected');
  });
});

// ───────────────────────── (b) mutations of bulksync.yaml ─────────────────────────

const bulksync = readFileSync(BULKSYNC, 'utf8');
const bulkLines = bulksync.split('\n');

type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'duplicate'; at: number }
  | { kind: 'indent'; at: number; by: number }
  | { kind: 'value'; at: number; text: string }
  | { kind: 'swap'; at: number; with: number };

const at = fc.nat({ max: bulkLines.length - 1 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at }),
  fc.record({ kind: fc.constant('duplicate' as const), at }),
  fc.record({ kind: fc.constant('indent' as const), at, by: fc.integer({ min: -6, max: 6 }).filter((n) => n !== 0) }),
  fc.record({ kind: fc.constant('value' as const), at, text: fc.oneof(fc.string({ maxLength: 30 }), yamlish, fc.constantFrom('', '~', '[]', '{}', '-1', '"80a"', '{{X}}', 'x.y', '/a/{b}', '&a', '*a', '|', 'true')) }),
  fc.record({ kind: fc.constant('swap' as const), at, with: at }),
);

function mutate(lines: string[], m: Mutation): string[] {
  const out = [...lines];
  const i = m.at % out.length;
  switch (m.kind) {
    case 'delete':
      out.splice(i, 1);
      break;
    case 'duplicate':
      out.splice(i, 0, out[i]!);
      break;
    case 'indent':
      out[i] = m.by > 0 ? ' '.repeat(m.by) + out[i] : out[i]!.replace(new RegExp(`^ {0,${-m.by}}`), '');
      break;
    case 'value': {
      const line = out[i]!;
      const colon = line.indexOf(': ');
      out[i] = colon >= 0 ? line.slice(0, colon + 2) + m.text : line.replace(/^(\s*(?:- )?).*$/, `$1${m.text}`);
      break;
    }
    case 'swap': {
      const j = m.with % out.length;
      [out[i], out[j]] = [out[j]!, out[i]!];
      break;
    }
  }
  return out;
}

describe('(b) mutations of capabilities/bulksync.yaml load or fail well', () => {
  it('the unmutated file loads', () => {
    expect(check(bulksync)).toBe('loaded');
  });

  it.each(['delete', 'duplicate', 'indent', 'value', 'swap'] as const)('one "%s" mutation (40 runs each, 200 in all)', (kind) => {
    const outcomes = { loaded: 0, rejected: 0 };
    fc.assert(
      fc.property(mutation.filter((m) => m.kind === kind), (m) => {
        outcomes[check(mutate(bulkLines, m).join('\n'))]++;
      }),
      { seed: 2000 + kind.length, numRuns: RUNS / 5 },
    );
    expect(outcomes.loaded + outcomes.rejected).toBe(RUNS / 5);
  }, SLOW);

  it('one to four mixed mutations', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
        void check(ms.reduce(mutate, bulkLines).join('\n'));
      }),
      { seed: 2099, numRuns: RUNS },
    );
  }, SLOW);

  it('structural mutations: any value anywhere in the parsed document', () => {
    const doc = parse(bulksync) as unknown;
    /** the path of every value of the document */
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, p: (string | number)[]): void => {
      if (v === null || typeof v !== 'object') return;
      for (const [k, x] of Object.entries(v)) {
        const child = [...p, Array.isArray(v) ? Number(k) : k];
        paths.push(child);
        walk(x, child);
      }
    };
    walk(doc, []);
    const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(null, '', '{{UNDECLARED}}', 'x.y', '/a/{b}', '$.', 0, -1, 65536, true, [], {}));
    fc.assert(
      fc.property(fc.nat({ max: paths.length - 1 }), value, fc.boolean(), (i, v, remove) => {
        const copy = structuredClone(doc) as Record<string | number, unknown>;
        const p = paths[i]!;
        let parent = copy;
        for (const k of p.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
        const key = p[p.length - 1]!;
        if (remove && Array.isArray(parent)) parent.splice(key as number, 1);
        else if (remove) delete parent[key];
        else parent[key] = v;
        void check(stringify(copy));
      }),
      { seed: 2100, numRuns: RUNS / 2 },
    );
  }, SLOW);
});
