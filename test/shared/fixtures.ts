/** The capability the rate-limit and cache tests serve: a REST route and an MCP tool per limit, and cached GETs. */
import { startRuntime, type ServeOptions } from '../../src/runtime.js';
import { loadCapability } from '../../src/spec/load.js';
import type { TmpDir } from '../runtime/helpers.js';

export const LIMITED_YAML = `
naftiko: 1.0.0-alpha3
capability:
  consumes:
    - type: http
      namespace: up
      baseUri: http://127.0.0.1:9
      resources:
        - name: thing
          path: /things/{{id}}
          operations:
            - name: get-thing
              method: GET
        - name: cached
          path: /cached/{{id}}
          operations:
            - name: get-cached
              method: GET
              x-cache:
                ttl: 1m
  exposes:
    - type: rest
      namespace: api
      port: 8080
      resources:
        - path: /things/{{id}}
          name: things
          operations:
            - method: GET
              name: get-thing
              call: up.get-thing
              x-rate-limit:
                max: 5
                window: 1m
        - path: /free/{{id}}
          name: free
          operations:
            - method: GET
              name: get-free
              call: up.get-thing
        - path: /cached/{{id}}
          name: cached
          operations:
            - method: GET
              name: get-cached
              call: up.get-cached
    - type: mcp
      namespace: tools
      port: 9090
      tools:
        - name: get-thing
          description: Get a thing (3 calls a minute)
          call: up.get-thing
          x-rate-limit:
            max: 3
            window: 1m
        - name: get-cached
          description: Get a cached thing
          call: up.get-cached
`;

export interface Served {
  readonly rest: string;
  readonly mcp: string;
  close(): Promise<void>;
}

export async function serveLimited(dir: TmpDir, upstream: string, extra: Partial<ServeOptions> = {}, yaml = LIMITED_YAML): Promise<Served> {
  const file = dir.write(`limited-${Math.random().toString(36).slice(2)}.yaml`, yaml);
  const runtime = await startRuntime({
    files: [file],
    ports: new Map(loadCapability(file).model.exposes.map((e) => [e.namespace, 0])),
    baseUris: new Map([['up', upstream]]),
    logLevel: 'silent',
    env: {},
    ...extra,
  });
  return {
    rest: runtime.adapters.find((a) => a.type === 'rest')!.url,
    mcp: runtime.adapters.find((a) => a.type === 'mcp')!.url,
    close: () => runtime.close(),
  };
}
