/**
 * `--watch` on a Kubernetes ConfigMap volume (deploy/kubernetes/): the kubelet never writes the mounted
 * file itself. It keeps `NAME -> ..data/NAME` and `..data -> ..<timestamp>/`, and an update writes a new
 * timestamped folder, points `..data_tmp` at it, renames that over `..data` and deletes the old folder
 * (its AtomicWriter). The watcher must see that swap as a change of the file.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { call, tmpDir, type TmpDir } from './helpers.js';

const CAPABILITY = (version: number) => `
naftiko: 1.0.0-alpha3
capability:
  consumes:
    - namespace: up
      type: http
      baseUri: "http://127.0.0.1:9"
      resources:
        - name: unused
          path: /unused
          operations:
            - name: get-unused
              method: GET
  exposes:
    - type: rest
      namespace: api
      port: 2
      resources:
        - name: version
          path: /version
          operations:
            - method: GET
              name: version
              outputParameters:
                - type: object
                  properties:
                    version:
                      type: number
                      value: "${version}"
`;

/** A ConfigMap volume as the kubelet lays it out, and its update sequence. */
function configMapVolume(root: string, file: string) {
  let generation = 0;
  const publish = (text: string) => {
    const previous = generation > 0 ? `..2026_12_03_00_00_0${generation}` : undefined;
    const folder = `..2026_12_03_00_00_0${++generation}`;
    mkdirSync(path.join(root, folder));
    writeFileSync(path.join(root, folder, file), text);
    symlinkSync(folder, path.join(root, '..data_tmp'));
    renameSync(path.join(root, '..data_tmp'), path.join(root, '..data'));
    if (previous) rmSync(path.join(root, previous), { recursive: true });
  };
  return {
    create(text: string): string {
      publish(text);
      symlinkSync(path.join('..data', file), path.join(root, file));
      return path.join(root, file);
    },
    update: publish,
  };
}

async function until(check: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`not true within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('--watch on a ConfigMap volume', () => {
  let dir: TmpDir;
  const runtimes: Runtime[] = [];
  beforeAll(() => {
    dir = tmpDir();
  });
  afterEach(async () => {
    await Promise.all(runtimes.splice(0).map((r) => r.close()));
  });
  afterAll(() => dir?.remove());

  it('reloads when the kubelet swaps the ..data symlink, every time, and not on unrelated files', async () => {
    const volume = configMapVolume(dir.dir, 'capability.yaml');
    const file = volume.create(CAPABILITY(1));
    const runtime = await startRuntime({ files: [file], ports: new Map([['api', 0]]), logLevel: 'silent', env: {}, watch: true });
    runtimes.push(runtime);
    const rest = runtime.adapters.find((a) => a.type === 'rest')!.url;
    const version = async () => (await call(`${rest}/version`)).json?.version;
    expect(await version()).toBe(1);

    volume.update(CAPABILITY(2));
    await until(async () => (await version()) === 2);
    volume.update(CAPABILITY(3));
    await until(async () => (await version()) === 3);

    // another file in the folder changing is not a reload
    const reloadsBefore = runtime.models;
    writeFileSync(path.join(dir.dir, 'unrelated.txt'), 'x');
    await new Promise((r) => setTimeout(r, 600));
    expect(runtime.models).toBe(reloadsBefore);
  });
});
