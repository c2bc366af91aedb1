import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYaml, parseYamlWithPositions } from '../../src/spec/yaml-source.js';
import { BULKSYNC, FIXTURES, yamlFilesUnder } from './helpers.js';

// The loader reads well-formed files with js-yaml and falls back to the `yaml` parser for positions;
// both must give the same document.
describe('the quick and the positioned YAML reading agree', () => {
  const files = [BULKSYNC, ...yamlFilesUnder(FIXTURES, ['official-schema']).map((f) => path.join(FIXTURES, f))];
  it.each(files.map((f) => [path.relative(FIXTURES, f), f]))('%s', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    const full = parseYamlWithPositions(file, text);
    if (full.diagnostics.some((d) => d.severity === 'error')) return;
    expect(parseYaml(file, text).value).toEqual(full.value);
  });

  it('falls back to the positioned parser for anchors and aliases', () => {
    const text = 'a: &x {b: 1}\nc: *x\n';
    expect(parseYaml('t.yaml', text).value).toEqual({ a: { b: 1 }, c: { b: 1 } });
  });

  it('gives positions for a file read the quick way', () => {
    const parsed = parseYaml('t.yaml', 'naftiko: 1.0.0-alpha3\ncapability:\n  exposes: []\n');
    expect(parsed.positions.valueAt('/capability/exposes')).toEqual({ line: 3, column: 12 });
    expect(parsed.positions.keyAt('/capability/exposes')).toEqual({ line: 3, column: 3 });
  });
});
