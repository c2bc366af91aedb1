/**
 * Review: a value a call step takes from an earlier step's upstream answer is not the caller's input.
 * When that upstream answer lacks it, the run fails as NR_ERR_BAD_INPUT: REST 400 and MCP JSON-RPC
 * -32602 "Invalid arguments for tool …", although the caller sent every argument correctly
 * (docs/errors.md: NR_ERR_BAD_INPUT is about the caller's inputs; FEATURES §1.3 errors in a step are
 * the step's: 502 with `step`/`call` members, or isError naming the step).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, mcpClient, start, startRecorder, tmpDir, type Recorder, type Started, type TmpDir } from '../runtime/helpers.js';

const YAML = `
naftiko: 1.0.0-alpha2
capability:
  consumes:
    - type: http
      namespace: reg
      baseUri: http://127.0.0.1:9
      resources:
        - name: search
          path: /search
          operations:
            - name: find
              method: GET
              inputParameters:
                - name: q
                  in: query
                  type: string
        - name: ships
          path: /ships/{id}
          operations:
            - name: get-ship
              method: GET
              inputParameters:
                - name: id
                  in: path
                  type: string
  exposes:
    - type: rest
      namespace: r
      port: 8080
      resources:
        - path: /lookup
          name: lookup
          operations:
            - method: GET
              name: lookup
              inputParameters:
                - name: q
                  in: query
                  type: string
                  required: true
                  description: query
              steps:
                - name: found
                  type: call
                  call: reg.find
                - name: ship
                  type: call
                  call: reg.get-ship
                  with:
                    id: $.found.id
    - type: mcp
      namespace: m
      port: 9090
      tools:
        - name: lookup
          description: lookup
          inputParameters:
            - name: q
              type: string
              required: true
              description: query
          steps:
            - name: found
              type: call
              call: reg.find
            - name: ship
              type: call
              call: reg.get-ship
              with:
                id: $.found.id
`;

describe('review: errors a step makes from upstream data', () => {
  let dir: TmpDir;
  let upstream: Recorder;
  let rt: Started;

  beforeAll(async () => {
    dir = tmpDir();
    // the search answers 200 without an id (nothing found)
    upstream = await startRecorder(() => ({ status: 200, body: { results: [] } }));
    rt = await start({ file: dir.write('o.yaml', YAML), baseUris: new Map([['reg', upstream.url]]), env: {} });
  });
  afterAll(async () => {
    await rt?.close();
    await upstream?.close();
    dir?.remove();
  });

  it('REST: not a 400 blaming the caller, who sent a valid q', async () => {
    const res = await call(`${rt.rest}/lookup?q=x`);
    expect(res.status).not.toBe(400);
    expect(res.json?.step).toBe('ship');
  });

  it('MCP: not JSON-RPC -32602 "Invalid arguments", but an isError result naming the step', async () => {
    const client = await mcpClient(rt.mcp);
    try {
      const r = await client.callTool({ name: 'lookup', arguments: { q: 'x' } });
      expect(r.isError).toBe(true);
      expect((r.content as { text: string }[])[0]!.text).toMatch(/^Step "ship" /);
    } finally {
      await client.close();
    }
  });
});
