/**
 * Review: "Messages never carry secret values" (src/consume/errors.ts; SEMANTICS §2 "naming the
 * variable (never its value)"). A bind rendered into the upstream path (Telegram-style `/bot{{TOKEN}}/…`
 *) ends up in the `detail` of 502/504 problems and
 * in MCP error text, i.e. it is sent to the caller.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, closedPort, mcpClient, start, startRecorder, tmpDir, type Recorder, type Started, type TmpDir } from '../runtime/helpers.js';

const BOT = 'bot-secret-123456';

const yaml = (deadPort: number, livePort: number) => `
naftiko: 1.0.0-alpha2
binds:
  - namespace: env
    keys:
      BOT_TOKEN: REVIEW_BOT_TOKEN
capability:
  consumes:
    - type: http
      namespace: bot
      baseUri: http://127.0.0.1:${deadPort}
      resources:
        - name: send
          path: /bot{{BOT_TOKEN}}/sendMessage
          operations:
            - name: send-message
              method: POST
              inputParameters:
                - name: text
                  in: body
                  type: string
    - type: http
      namespace: live
      baseUri: http://127.0.0.1:${livePort}
      resources:
        - name: send
          path: /bot{{BOT_TOKEN}}/getMe
          operations:
            - name: get-me
              method: GET
  exposes:
    - type: rest
      namespace: api
      port: 8080
      resources:
        - path: /send
          name: send
          operations:
            - method: POST
              name: send-message
              call: bot.send-message
        - path: /me
          name: me
          operations:
            - method: GET
              name: get-me
              call: live.get-me
              outputParameters:
                - type: object
                  properties:
                    id:
                      type: string
                      mapping: $.id
    - type: mcp
      namespace: tools
      port: 9090
      tools:
        - name: send-message
          description: send
          call: bot.send-message
`;

describe('review: bind secrets in error details', () => {
  let dir: TmpDir;
  let rt: Started;
  let live: Recorder;

  beforeAll(async () => {
    dir = tmpDir();
    live = await startRecorder(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{not json' }));
    const livePort = Number(new URL(live.url).port);
    rt = await start({
      file: dir.write('secrets.yaml', yaml(await closedPort(), livePort)),
      env: { REVIEW_BOT_TOKEN: BOT },
    });
  });
  afterAll(async () => {
    await rt?.close();
    await live?.close();
    dir?.remove();
  });

  it('REST 502 (upstream unreachable) does not reveal a bind rendered into the consumed path', async () => {
    const res = await call(`${rt.rest}/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hi' }) });
    expect(res.status).toBe(502);
    expect(res.text).not.toContain(BOT);
  });

  it('REST 502 (bad upstream body) does not reveal a bind rendered into the consumed path', async () => {
    const res = await call(`${rt.rest}/me`);
    expect(res.status).toBe(502);
    expect(res.json.code).toBe('NR_ERR_UPSTREAM_BAD_BODY');
    expect(res.text).not.toContain(BOT);
  });

  it('MCP isError text does not reveal a bind rendered into the consumed path', async () => {
    const client = await mcpClient(rt.mcp);
    try {
      const r = await client.callTool({ name: 'send-message', arguments: { text: 'hi' } });
      expect(r.isError).toBe(true);
      expect(JSON.stringify(r.content)).not.toContain(BOT);
    } finally {
      await client.close();
    }
  });
});
