/**
 * Review: an orchestrated MCP tool's outputSchema comes from its declared `outputParameters`
 * (FEATURES §3(d)), and mappings are coerced to the declared scalar type — except `string`
 * (build-steps.ts scalarTypeAt drops it). A numeric id declared `type: string` is then sent as a number,
 * its structuredContent breaks the advertised outputSchema, and the MCP SDK client refuses the result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpClient, start, startRecorder, tmpDir, type Recorder, type Started, type TmpDir } from '../runtime/helpers.js';

const YAML = `
naftiko: 1.0.0-alpha2
capability:
  consumes:
    - type: http
      namespace: reg
      baseUri: http://127.0.0.1:9
      resources:
        - name: ships
          path: /ships/{imo}
          operations:
            - name: get-ship
              method: GET
              inputParameters:
                - name: imo
                  in: path
                  type: string
  exposes:
    - type: mcp
      namespace: tools
      port: 9090
      tools:
        - name: ship-summary
          description: a ship
          inputParameters:
            - name: imo
              type: string
              required: true
              description: IMO number
          steps:
            - name: ship
              type: call
              call: reg.get-ship
          mappings:
            - targetName: id
              value: $.ship.id
            - targetName: name
              value: $.ship.name
          outputParameters:
            - name: id
              type: string
            - name: name
              type: string
`;

describe('review: orchestrated outputs and their outputSchema', () => {
  let dir: TmpDir;
  let upstream: Recorder;
  let rt: Started;

  beforeAll(async () => {
    dir = tmpDir();
    upstream = await startRecorder(() => ({ status: 200, body: { id: 9321483, name: 'Northern Star' } }));
    rt = await start({ file: dir.write('ship.yaml', YAML), baseUris: new Map([['reg', upstream.url]]), env: {} });
  });
  afterAll(async () => {
    await rt?.close();
    await upstream?.close();
    dir?.remove();
  });

  it('a number mapped to a field declared `type: string` is sent as a string, so the SDK client accepts the result', async () => {
    const client = await mcpClient(rt.mcp);
    try {
      await client.listTools();
      const r = await client.callTool({ name: 'ship-summary', arguments: { imo: 'IMO-1' } });
      expect(r.isError).toBeFalsy();
      expect(r.structuredContent).toEqual({ id: '9321483', name: 'Northern Star' });
    } finally {
      await client.close();
    }
  });
});
