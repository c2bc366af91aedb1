/**
 * When a consumes credential is unset, the 401's advice must work when followed: set the variable, or
 * (only when the operations declare that header, so it passes through) send one's own.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, start, startRecorder, tmpDir, type Recorder, type Started, type TmpDir } from './helpers.js';

const capability = (declareHeader: boolean) => `
naftiko: 1.0.0-alpha2
binds:
  - namespace: env
    keys:
      UP_KEY: ADVICE_UP_KEY
capability:
  consumes:
    - type: http
      namespace: up
      baseUri: http://127.0.0.1:9
      authentication:
        type: apikey
        key: x-api-key
        value: "{{env.UP_KEY}}"
        placement: header
      resources:
        - name: me
          path: /me
          operations:
            - name: me
              method: GET
${declareHeader ? `              inputParameters:
                - name: x-api-key
                  in: header
                  type: string
` : ''}  exposes:
    - type: rest
      namespace: advice-rest
      port: 8080
      resources:
        - path: /me
          name: me
          operations:
            - method: GET
              name: me
              call: up.me
${declareHeader ? `              inputParameters:
                - name: x-api-key
                  in: header
                  type: string
                  description: the caller's own upstream key
` : ''}`;

describe('the advice of NR_ERR_CREDENTIAL_MISSING', () => {
  let upstream: Recorder;
  let dir: TmpDir;
  let rt: Started | undefined;
  beforeAll(async () => {
    upstream = await startRecorder();
    dir = tmpDir();
  });
  afterAll(async () => {
    await upstream?.close();
    dir?.remove();
  });
  afterEach(async () => {
    await rt?.close();
    rt = undefined;
  });
  const run = async (declareHeader: boolean, env: Record<string, string>) => {
    rt = await start({ file: dir.write(`advice-${declareHeader}.yaml`, capability(declareHeader)), baseUris: new Map([['up', upstream.url]]), env });
    return rt;
  };

  it('with the caller header declared: "set ADVICE_UP_KEY, or send your own x-api-key header", and both work', async () => {
    const unset = await run(true, {});
    const denied = await call(`${unset.rest}/me`);
    expect(denied.status).toBe(401);
    const detail = (denied.json as { detail: string; code: string }).detail;
    expect((denied.json as { code: string }).code).toBe('NR_ERR_CREDENTIAL_MISSING');
    expect(detail).toContain('needs an apikey credential');
    expect(detail).toContain('ADVICE_UP_KEY');
    expect(detail).toContain('send your own x-api-key header');
    // follow the second half of the advice
    const own = await call(`${unset.rest}/me`, { headers: { 'x-api-key': 'callers-own' } });
    expect(own.status).toBe(200);
    expect(upstream.requests.at(-1)!.headers['x-api-key']).toBe('callers-own');
    await unset.close();
    rt = undefined;
    // follow the first half
    const set = await run(true, { ADVICE_UP_KEY: 'configured' });
    expect((await call(`${set.rest}/me`)).status).toBe(200);
    expect(upstream.requests.at(-1)!.headers['x-api-key']).toBe('configured');
  });

  it('without the header declared, the advice does not offer it (it would not pass through)', async () => {
    const unset = await run(false, {});
    const denied = await call(`${unset.rest}/me`);
    expect(denied.status).toBe(401);
    expect((denied.json as { detail: string }).detail).not.toContain('send your own');
    const sent = await call(`${unset.rest}/me`, { headers: { 'x-api-key': 'callers-own' } });
    expect(sent.status).toBe(401);
  });
});
