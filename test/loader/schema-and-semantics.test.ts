import { describe, expect, it } from 'vitest';
import { NO_ENV, textFailure } from './helpers.js';

const failure = (text: string) => textFailure(text, { env: NO_ENV });

describe('schema and semantic problems in one file', () => {
  it('are reported together when the consumed side is well-formed', () => {
    const err = failure(`naftiko: 1.0.0-alpha3
capability:
  exposes:
    - type: rest
      namespace: api
      port: "80a"
      resources:
        - path: /a
          operations:
            - method: GET
              call: up.nope
  consumes:
    - type: http
      namespace: up
      baseUri: http://127.0.0.1:1
      resources:
        - name: r
          path: /x
          operations:
            - name: list
              method: GET
`);
    expect(err.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([
      ['NR_ERR_SCHEMA', 6, 13],
      ['NR_ERR_UNKNOWN_CALL', 11, 21],
    ]);
  });

  it('leave out cross-references into a malformed consumes block', () => {
    const err = failure(`naftiko: 1.0.0-alpha3
capability:
  exposes:
    - type: rest
      namespace: api
      port: 8080
      resources:
        - path: /a
          operations:
            - method: GET
              call: up.list
  consumes:
    - type: http
      baseUri: http://127.0.0.1:1
      resources:
        - name: r
          path: /x
          operations:
            - name: list
              method: GET
`);
    expect(err.diagnostics.map((d) => d.code)).toEqual(['NR_ERR_SCHEMA']);
  });
});
