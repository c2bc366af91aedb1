/**
 * Review: the adapter's own inbound credential must never reach the upstream implicitly
 * (FEATURES §10 "Credential isolation"; apikey `placement: query` "is removed from the inputs so it
 * never reaches the upstream by pass-through").
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call, start, startRecorder, tmpDir, type Recorder, type Started, type TmpDir } from '../runtime/helpers.js';
import { CONSUMES_ME } from '../auth/fixtures.js';

const YAML = `
naftiko: 1.0.0-alpha2
binds:
  - namespace: env
    keys:
      INBOUND_TOKEN: REVIEW_INBOUND_TOKEN
      INBOUND_KEY: REVIEW_INBOUND_KEY
capability:
${CONSUMES_ME}        - name: items
          path: /items
          operations:
            - name: list-items
              method: GET
              inputParameters:
                - name: api_key
                  in: query
                  type: string
  exposes:
    - type: rest
      namespace: bearer-rest
      port: 8080
      authentication:
        type: bearer
        token: "{{INBOUND_TOKEN}}"
      resources:
        - path: /me
          name: me
          operations:
            - method: GET
              name: get-me
              call: up.get-me
        - path: /me-steps
          name: me-steps
          operations:
            - method: GET
              name: get-me-steps
              steps:
                - name: me
                  type: call
                  call: up.get-me
    - type: rest
      namespace: key-rest
      port: 8081
      authentication:
        type: apikey
        key: api_key
        value: "{{INBOUND_KEY}}"
        placement: query
      resources:
        - path: /items
          name: items
          operations:
            - method: GET
              name: list-items
              call: up.list-items
        - path: /fwd/{path}
          forward:
            targetNamespace: up
`;

const TOKEN = 'inbound-bearer-secret';
const KEY = 'inbound-apikey-secret';

describe('review: inbound credentials leak upstream', () => {
  let dir: TmpDir;
  let upstream: Recorder;
  let rt: Started;
  let bearerRest: string;
  let keyRest: string;

  beforeAll(async () => {
    dir = tmpDir();
    upstream = await startRecorder();
    rt = await start({
      file: dir.write('leak.yaml', YAML),
      baseUris: new Map([['up', upstream.url]]),
      env: { REVIEW_INBOUND_TOKEN: TOKEN, REVIEW_INBOUND_KEY: KEY },
    });
    bearerRest = rt.runtime.adapters.find((a) => a.namespace === 'bearer-rest')!.url;
    keyRest = rt.runtime.adapters.find((a) => a.namespace === 'key-rest')!.url;
  });
  afterAll(async () => {
    await rt?.close();
    await upstream?.close();
    dir?.remove();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });

  it('sanity: the inbound bearer is enforced', async () => {
    const res = await call(`${bearerRest}/me`);
    expect(res.status).toBe(401);
    expect(upstream.requests).toHaveLength(0);
  });

  it('simple call: the inbound bearer token is not sent upstream through an inferred Authorization input', async () => {
    const res = await call(`${bearerRest}/me`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.headers.authorization ?? '').not.toContain(TOKEN);
  });

  it('orchestration: the inbound bearer token is not sent upstream by a call step', async () => {
    const res = await call(`${bearerRest}/me-steps`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.headers.authorization ?? '').not.toContain(TOKEN);
  });

  it('simple call: the inbound apikey (placement: query) is not passed to a same-named consumed query parameter', async () => {
    const res = await call(`${keyRest}/items?api_key=${KEY}`);
    expect(res.status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.url).not.toContain(KEY);
  });

  it('forward: the inbound apikey (placement: query) is not forwarded in the raw query', async () => {
    const res = await call(`${keyRest}/fwd/v1/things?x=1&api_key=${KEY}`);
    expect(res.status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.path).toBe('/v1/things');
    expect(upstream.requests[0]!.url).not.toContain(KEY);
  });
});
