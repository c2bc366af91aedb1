/**
 * Review of operation-level request bodies (SEMANTICS §4, src/consume/request.ts renderBodySpec).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mcpClient, start, startRecorder, tmpDir, type Recorder, type Started, type TmpDir } from '../runtime/helpers.js';

const YAML = `
naftiko: 1.0.0-alpha2
capability:
  consumes:
    - type: http
      namespace: up
      baseUri: http://127.0.0.1:9
      resources:
        - name: notes
          path: /notes
          operations:
            - name: post-note
              method: POST
              inputParameters:
                - name: text
                  in: body
                  type: string
              body: "{{text}}"
        - name: login
          path: /form
          operations:
            - name: post-form
              method: POST
              inputParameters:
                - name: user
                  in: body
                  type: string
              body:
                type: formUrlEncoded
                data: "role=viewer&user={{user}}"
  exposes:
    - type: mcp
      namespace: tools
      port: 9090
      tools:
        - name: post-note
          description: post a note
          call: up.post-note
          with:
            text: tools.text
          inputParameters:
            - name: text
              type: string
              required: true
              description: the note
        - name: post-form
          description: post a form
          call: up.post-form
          with:
            user: tools.user
          inputParameters:
            - name: user
              type: string
              required: true
              description: the user
`;

describe('review: request bodies', () => {
  let dir: TmpDir;
  let upstream: Recorder;
  let rt: Started;

  beforeAll(async () => {
    dir = tmpDir();
    upstream = await startRecorder();
    rt = await start({ file: dir.write('bodies.yaml', YAML), baseUris: new Map([['up', upstream.url]]), env: {} });
  });
  afterAll(async () => {
    await rt?.close();
    await upstream?.close();
    dir?.remove();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });

  it('a raw string body that is one placeholder ("{{text}}") is sent as that text, not as a JSON string', async () => {
    const client = await mcpClient(rt.mcp);
    try {
      await client.callTool({ name: 'post-note', arguments: { text: 'hello world' } });
    } finally {
      await client.close();
    }
    expect(upstream.requests).toHaveLength(1);
    // before this change: "hello world", text/plain; now the leading "{{" is taken for a JSON object
    expect(upstream.requests[0]!.body).toBe('hello world');
    expect(upstream.requests[0]!.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('a pre-encoded formUrlEncoded template cannot get extra fields from a value', async () => {
    const client = await mcpClient(rt.mcp);
    try {
      await client.callTool({ name: 'post-form', arguments: { user: 'bob&role=admin' } });
    } finally {
      await client.close();
    }
    expect(upstream.requests).toHaveLength(1);
    const form = new URLSearchParams(upstream.requests[0]!.body);
    expect(form.getAll('role')).toEqual(['viewer']);
    expect(form.get('user')).toBe('bob&role=admin');
  });
});
