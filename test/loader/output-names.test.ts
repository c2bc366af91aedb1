/**
 * `name` on exposed outputs: one top-level named output is wrapped as {name: value} and is not an
 * unknown field; several top-level outputs each need a unique name; a `name` on a nested output
 * (named by its key in `properties`) is ignored and so still reported.
 */
import { describe, expect, it } from 'vitest';
import { NO_ENV, loadText, textFailure } from './helpers.js';

const spec = (outputs: string) => `naftiko: 1.0.0-alpha3
capability:
  consumes:
    - type: http
      namespace: up
      baseUri: http://127.0.0.1:1
      resources:
        - name: note
          path: /note
          operations:
            - name: get-note
              method: GET
  exposes:
    - type: rest
      namespace: api
      port: 8080
      resources:
        - path: /note
          operations:
            - method: GET
              call: up.get-note
              outputParameters:
${outputs}`;

describe('exposed output names', () => {
  it('a top-level named output is served as a field and is not an unknown field', () => {
    const r = loadText(spec('                - name: title\n                  type: string\n                  mapping: $.title\n'), { env: NO_ENV });
    expect(r.warnings).toEqual([]);
    const op = (r.model.exposes[0] as { operations: { handler: { output: unknown } }[] }).operations[0]!;
    expect(op.handler.output).toMatchObject({ kind: 'mapped', root: { kind: 'named' } });
  });

  it('several top-level outputs without a name are an error naming the output', () => {
    const err = textFailure(spec('                - name: title\n                  type: string\n                  mapping: $.title\n                - type: number\n                  mapping: $.count\n'), { env: NO_ENV });
    expect(err.diagnostics.map((d) => [d.code, d.line, d.pointer])).toEqual([
      ['NR_ERR_OUTPUT_NAME_REQUIRED', 26, '/capability/exposes/0/resources/0/operations/0/outputParameters/1'],
    ]);
    expect(err.diagnostics[0]!.message).toContain('output 2 of 2 has no "name"');
  });

  it('the same name twice is an error', () => {
    const err = textFailure(spec('                - name: title\n                  type: string\n                  mapping: $.title\n                - name: title\n                  type: string\n                  mapping: $.other\n'), { env: NO_ENV });
    expect(err.diagnostics.map((d) => d.code)).toEqual(['NR_ERR_DUPLICATE_OUTPUT_NAME']);
  });

  it('a name on a nested output is reported: its key in properties names it', () => {
    const r = loadText(spec('                - type: object\n                  properties:\n                    title:\n                      name: heading\n                      type: string\n                      mapping: $.title\n'), { env: NO_ENV });
    expect(r.warnings.map((w) => [w.code, w.pointer])).toEqual([['NR_WARN_UNKNOWN_FIELD', '/capability/exposes/0/resources/0/operations/0/outputParameters/0/properties/title/name']]);
  });
});
