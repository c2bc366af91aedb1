/**
 * Container and Kubernetes (issue 9 §5, docs/deploy.md). No Docker engine runs here, so the image is
 * tested through what it is made of: the Dockerfile's final stage (user, command, health check) is
 * parsed, and its ENTRYPOINT + CMD run from the package `npm pack` makes, installed on its own — the
 * same files the image copies. Where this machine allows it (root, unshare), the exact command runs as
 * the container would: PID 1 of its own PID namespace, uid 1000 with no capabilities, a read-only root
 * file system and a network namespace of its own. The compose services' commands are run together, and
 * every Kubernetes manifest is parsed, validated against the Kubernetes API schemas and checked against
 * the control adapter's routes and the command's ports.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { ensureBuilt } from './build-dist.js';
import { BULKSYNC, CONSUMES_NS, MCP_NS, REST_NS, ROOT, call } from './runtime/helpers.js';
import { Serving } from './runtime/serving-cli.js';
import { loadCapability, loadCapabilityText } from '../src/spec/load.js';
// @ts-expect-error a build script without type declarations
import { configMapText } from '../scripts/deploy-configmap.mjs';

// ───────────────────────────── the Dockerfile, read as Docker reads it ─────────────────────────────

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** The stages, each from its FROM; the instructions before the first FROM (global ARGs) come first. */
function parseDockerfile(text: string): Instruction[][] {
  const stages: Instruction[][] = [[]];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    pending += line.endsWith('\\') ? `${line.slice(0, -1)} ` : line;
    if (line.endsWith('\\')) continue;
    const [op = '', ...rest] = pending.split(/\s+/);
    pending = '';
    if (op.toUpperCase() === 'FROM') stages.push([]);
    stages.at(-1)!.push({ op: op.toUpperCase(), args: rest.join(' ') });
  }
  return stages;
}

const DOCKERFILE = parseDockerfile(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
const FINAL = DOCKERFILE.at(-1)!;
const only = (op: string): string => {
  const found = FINAL.filter((i) => i.op === op);
  expect(found, `one ${op} in the final stage`).toHaveLength(1);
  return found[0]!.args;
};
const execForm = (args: string): string[] => JSON.parse(args) as string[];
const ENTRYPOINT = execForm(only('ENTRYPOINT'));
const CMD = execForm(only('CMD'));
const IMAGE_ENV = Object.fromEntries(FINAL.filter((i) => i.op === 'ENV').flatMap((i) => i.args.split(/\s+/).map((kv) => kv.split('=') as [string, string])));
const HEALTHCHECK = execForm(only('HEALTHCHECK').replace(/^(--\S+\s+)*CMD\s+/, ''));
const flagValue = (args: readonly string[], flag: string): string | undefined => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);

/** The image's /app is the installed package's folder. */
const onHost = (app: string) => (arg: string) => arg.replace(/^\/app\//, `${app}/`);

const COMPOSE = YAML.parse(readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8'));

// ───────────────────────────── Kubernetes manifests ─────────────────────────────

const K8S = path.join(ROOT, 'deploy/kubernetes');
const KUSTOMIZATION = YAML.parse(readFileSync(path.join(K8S, 'kustomization.yaml'), 'utf8'));
const MANIFESTS = new Map<string, any>((KUSTOMIZATION.resources as string[]).map((f) => [f, YAML.parse(readFileSync(path.join(K8S, f), 'utf8'))]));
const ofKind = (kind: string): any[] => [...MANIFESTS.values()].filter((m) => m.kind === kind);
const DEPLOYMENT = ofKind('Deployment').find((d) => d.metadata.name === 'naftiko-run');
const REDIS = ofKind('Deployment').find((d) => d.metadata.name === 'naftiko-run-redis');
const POD = DEPLOYMENT?.spec.template.spec;
const CONTAINER = POD?.containers[0];

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error(`not true within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs `argv` to its end; its exit code. */
function exitCode(argv: readonly string[], env: Record<string, string | undefined> = process.env): number {
  return spawnSync(argv[0]!, argv.slice(1), { env, stdio: 'ignore', timeout: 15_000 }).status ?? -1;
}

describe('the Dockerfile', () => {
  it('builds in stages and runs as a numeric non-root user, node itself as PID 1, no init', () => {
    expect(DOCKERFILE.length).toBeGreaterThanOrEqual(3);
    expect(FINAL[0]!.args).toMatch(/^node:\$\{NODE_VERSION\}-(alpine|slim)$/);
    expect(DOCKERFILE.flat().find((i) => i.op === 'ARG' && i.args.startsWith('NODE_VERSION='))?.args).toMatch(/^NODE_VERSION=(22|24)$/);
    expect(only('USER')).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(ENTRYPOINT).toEqual(['node', '/app/dist/cli.js']);
    expect(FINAL.some((i) => /tini|dumb-init/.test(i.args))).toBe(false);
    // the build stage unpacks `npm pack`'s files; the final stage copies them and production node_modules only
    expect(DOCKERFILE.flat().some((i) => i.op === 'RUN' && /npm pack --ignore-scripts/.test(i.args))).toBe(true);
    expect(DOCKERFILE.flat().some((i) => i.op === 'RUN' && /npm ci --omit=dev/.test(i.args))).toBe(true);
    expect(FINAL.filter((i) => i.op === 'COPY').every((i) => i.args.startsWith('--from='))).toBe(true);
  });

  it('serves the bundled capability on 0.0.0.0 with the control adapter on the port the HEALTHCHECK reads', () => {
    expect(CMD.slice(0, 2)).toEqual(['serve', '/app/capabilities/bulksync.yaml']);
    expect(flagValue(CMD, '--host')).toBe('0.0.0.0');
    expect(flagValue(CMD, '--control-port')).toBe(IMAGE_ENV.NAFTIKO_CONTROL_PORT);
    expect(HEALTHCHECK[0]).toBe('node');
    expect(HEALTHCHECK.join(' ')).toContain('process.env.NAFTIKO_CONTROL_PORT');
    expect(HEALTHCHECK.join(' ')).toContain('/health/live');
    const exposed = only('EXPOSE').split(/\s+/).map(Number);
    const model = loadCapability(BULKSYNC).model;
    for (const a of model.exposes) if ('port' in a) expect(exposed).toContain(a.port);
    expect(exposed).toContain(Number(IMAGE_ENV.NAFTIKO_CONTROL_PORT));
  });

  it('.dockerignore keeps the local node_modules, dist and .git out of the build context', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const p of ['node_modules', 'dist', '.git', 'test']) expect(ignored).toContain(p);
    // and everything the build stage copies stays in
    const copied = DOCKERFILE.flat().filter((i) => i.op === 'COPY' && !i.args.startsWith('--from=')).flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const c of copied) expect(ignored).not.toContain(c);
  });
});

describe('the image command, run from the packed package', () => {
  let dir = '';
  let app = '';
  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'naftiko-deploy-'));
    const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    const tarball = path.join(dir, (JSON.parse(out) as { filename: string }[])[0]!.filename);
    execFileSync('npm', ['install', '--prefix', path.join(dir, 'image'), '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--no-save', tarball], { cwd: dir, stdio: 'pipe', timeout: 240_000 });
    app = path.join(dir, 'image', 'node_modules', 'naftiko-run');
    // readable by the image's non-root user below (mkdtemp makes 0700 folders)
    chmodSync(dir, 0o755);
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const hostCommand = () => [process.execPath, ...ENTRYPOINT.slice(1).map(onHost(app))] as [string, ...string[]];

  it('starts, is live and ready, passes its HEALTHCHECK, drains on SIGTERM with exit 0, writes nothing to HOME or the working directory', async () => {
    const home = path.join(dir, 'home');
    const work = path.join(dir, 'work');
    mkdirSync(home);
    mkdirSync(work);
    // the image's arguments with loopback and free ports (tests listen on 127.0.0.1 only; the exact
    // arguments run in a network namespace of their own in the next test)
    const args = CMD.map(onHost(app)).map((a, i, all) => (all[i - 1] === '--host' ? '127.0.0.1' : all[i - 1] === '--control-port' ? '0' : a));
    const env = { PATH: process.env.PATH ?? '', HOME: home, ...IMAGE_ENV };
    const s = new Serving([...args, '--port', `${REST_NS}=0`, '--port', `${MCP_NS}=0`], env, app, work, hostCommand());
    let stopped = false;
    try {
      const [, port] = await s.waitFor(/^CONTROL\s+\S+\s+http:\/\/127\.0\.0\.1:(\d+)/m, 15_000);
      const control = `http://127.0.0.1:${port}`;
      expect((await call(`${control}/health/live`)).json).toEqual({ status: 'UP' });
      const ready = await call(`${control}/health/ready`);
      expect(ready.status).toBe(200);
      expect(ready.json.adapters.map((a: { type: string }) => a.type).sort()).toEqual(['control', 'mcp', 'rest']);
      const healthEnv = { ...env, NAFTIKO_CONTROL_PORT: port! };
      expect(exitCode(HEALTHCHECK.map((a, i) => (i === 0 ? process.execPath : a)), healthEnv)).toBe(0);
      const exit = await s.stop();
      stopped = true;
      expect(exit.code).toBe(0);
      expect(exit.stdout).toContain('SIGTERM received');
      // the same check fails once nothing listens: it can tell
      expect(exitCode(HEALTHCHECK.map((a, i) => (i === 0 ? process.execPath : a)), healthEnv)).toBe(1);
      expect(readdirSync(home)).toEqual([]);
      expect(readdirSync(work)).toEqual([]);
    } finally {
      if (!stopped) await s.stop();
    }
  }, 30_000);

  // unshare (util-linux) as root: a private mount, PID and network namespace, as a container has
  const containerLike = process.platform === 'linux' && process.getuid?.() === 0 && exitCode(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'mount -o remount,bind,ro / && ! touch /.naftiko-ro-probe 2>/dev/null']) === 0 && exitCode(['setpriv', '--help']) === 0 && exitCode(['nsenter', '--help']) === 0 && exitCode(['ip', '-V']) === 0;

  /** The image command (plus `extra`) as a container runs it; `during` gets node's pid as seen from here. */
  async function asContainer(extra: readonly string[], during: (pid: number, inNetwork: (argv: string[]) => number, s: Serving) => Promise<void>): Promise<string> {
    const [uid, gid] = only('USER').split(':');
    const env = Object.entries({ PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/nonexistent', ...IMAGE_ENV }).map(([k, v]) => `${k}=${v}`);
    // lo up, / read-only (there is no writable /tmp either), then exec: node keeps PID 1
    const inside = `ip link set lo up && mount -o remount,bind,ro / && exec setpriv --reuid=${uid} --regid=${gid} --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs env -i "$@"`;
    const command: [string, ...string[]] = ['unshare', '--mount', '--pid', '--fork', '--mount-proc', '--net', '--propagation', 'private', 'sh', '-c', inside, 'sh', ...env, ...hostCommand()];
    const s = new Serving([...CMD.map(onHost(app)), ...extra], { PATH: process.env.PATH ?? '' }, app, '/', command);
    let pid = 0;
    try {
      await s.waitFor(/^CONTROL\s+\S+\s+http:\/\/0\.0\.0\.0:(\d+)/m, 20_000);
      // the node process, seen from here (unshare forked it)
      pid = Number(readFileSync(`/proc/${s.child.pid}/task/${s.child.pid}/children`, 'utf8').trim());
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      expect(status).toMatch(/^NSpid:\s+\d+\s+1$/m);
      expect(status).toMatch(new RegExp(`^Uid:\\s+${uid}\\s`, 'm'));
      expect(status).toMatch(/^CapEff:\s+0+$/m);
      const inNetwork = (argv: string[]) => exitCode(['nsenter', '--target', String(pid), '--net', ...argv], { PATH: process.env.PATH, ...IMAGE_ENV });
      expect(inNetwork([process.execPath, '-e', `fetch('http://127.0.0.1:${IMAGE_ENV.NAFTIKO_CONTROL_PORT}/health/ready').then(r=>process.exit(r.status===200?0:1),()=>process.exit(2))`])).toBe(0);
      expect(inNetwork(HEALTHCHECK.map((a, i) => (i === 0 ? process.execPath : a)))).toBe(0);
      // a REST call that reads the capability and answers (401: no key, and none was given)
      expect(inNetwork([process.execPath, '-e', `fetch('http://127.0.0.1:8080/v1/api/bulk/syncs').then(r=>process.exit(r.status===401?0:1),()=>process.exit(2))`])).toBe(0);
      await during(pid, inNetwork, s);
      process.kill(pid, 'SIGTERM');
      const exit = await s.exited;
      expect(exit.stdout).toContain('SIGTERM received');
      expect(exit.stderr).not.toMatch(/EROFS|EACCES/);
      expect(exit.code).toBe(0);
      return exit.stdout;
    } finally {
      if (s.child.exitCode === null) {
        if (pid) process.kill(pid, 'SIGKILL');
        await s.exited;
      }
    }
  }

  it.skipIf(!containerLike)('the exact ENTRYPOINT + CMD as PID 1, uid 1000, no capabilities, read-only root: ready, HEALTHCHECK passes, SIGHUP reloads, SIGTERM exits 0', async () => {
    await asContainer([], async (pid, _inNetwork, s) => {
      // SIGHUP reaches PID 1 too (a handler is installed): the files are loaded again
      process.kill(pid, 'SIGHUP');
      await s.waitFor(/"msg":"reloaded"/);
    });
  }, 30_000);

  it.skipIf(!containerLike)('with --workers 2 as PID 1: the primary drains and waits for its workers itself, so SIGTERM exits 0 with no init', async () => {
    const stdout = await asContainer(['--workers', '2'], async (pid) => {
      expect(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)).toHaveLength(2);
    });
    // the primary told both workers and exited 0 only once each had drained and exited
    expect(stdout).toContain('draining 2 workers');
    expect(stdout.match(/finishing in-flight calls/g)).toHaveLength(2);
  }, 40_000);

  it("compose.yaml's two services, run together: the sandbox's token and address reach the capability", async () => {
    const sandbox = COMPOSE.services.sandbox;
    const runtime = COMPOSE.services['naftiko-run'];
    expect(runtime.environment.POLYTOMIC_API_KEY).toBe(flagValue(sandbox.command, '--token'));
    const baseUri = flagValue(runtime.command, '--base-uri')!;
    expect(baseUri).toBe(`${CONSUMES_NS}=http://sandbox:${flagValue(sandbox.command, '--port')}`);
    const loopback = (args: string[]) => args.map((a, i) => (args[i - 1] === '--host' ? '127.0.0.1' : args[i - 1] === '--port' || args[i - 1] === '--control-port' ? '0' : a));
    const env = { PATH: process.env.PATH ?? '' };
    const [, sandboxScript] = sandbox.entrypoint as string[];
    const up = new Serving(loopback(sandbox.command), env, onHost(app)(sandboxScript!), dir);
    let s: Serving | undefined;
    try {
      const [sandboxUrl] = await up.waitFor(/^http:\/\/127\.0\.0\.1:\d+$/m);
      const args = loopback(runtime.command).map((a) => (a === baseUri ? `${CONSUMES_NS}=${sandboxUrl}` : a)).map(onHost(app));
      s = new Serving([...args, '--port', `${REST_NS}=0`, '--port', `${MCP_NS}=0`], { ...env, ...runtime.environment }, app, dir, hostCommand());
      const [, rest] = await s.waitFor(new RegExp(`^REST\\s+${REST_NS}\\s+(http://127\\.0\\.0\\.1:\\d+)$`, 'm'), 15_000);
      const list = await call(`${rest}/v1/api/bulk/syncs`);
      expect(list.status).toBe(200);
      expect(Array.isArray(list.json.data)).toBe(true);
      expect(list.json.data.length).toBeGreaterThan(0);
      expect((await s.stop()).code).toBe(0);
    } finally {
      await s?.stop();
      await up.stop();
    }
  }, 30_000);
});

describe('the Kubernetes manifests (deploy/kubernetes)', () => {
  it('kustomization.yaml lists every manifest in the folder; each parses and is of a known kind', () => {
    const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
    expect([...MANIFESTS.keys()].sort()).toEqual(files);
    expect([...MANIFESTS.values()].map((m) => m.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Secret', 'Service', 'Service', 'Service']);
  });

  it('each manifest validates against the Kubernetes API schema of its kind', () => {
    const models: Record<string, new (m: any) => { validate(): void }> = { Deployment, ConfigMap, Secret, Service, PodDisruptionBudget, HorizontalPodAutoscaler };
    for (const [file, m] of MANIFESTS) {
      const Model = models[m.kind]!;
      expect(() => new Model(m).validate(), file).not.toThrow();
    }
    // and the validator does catch a wrong type
    const broken = structuredClone(DEPLOYMENT);
    broken.spec.template.spec.containers[0].ports[0].containerPort = '8080a';
    expect(() => new Deployment(broken).validate()).toThrow(/containerPort/);
  });

  it('probes use the control adapter routes, on the port the container arguments give --control-port', () => {
    const controlPort = Number(flagValue(CONTAINER.args, '--control-port'));
    const named = new Map<string, number>(CONTAINER.ports.map((p: any) => [p.name, p.containerPort]));
    const portOf = (p: string | number) => (typeof p === 'number' ? p : named.get(p));
    expect(portOf(CONTAINER.livenessProbe.httpGet.port)).toBe(controlPort);
    expect(portOf(CONTAINER.readinessProbe.httpGet.port)).toBe(controlPort);
    expect(portOf(CONTAINER.startupProbe.httpGet.port)).toBe(controlPort);
    expect(CONTAINER.livenessProbe.httpGet.path).toBe('/health/live');
    expect(CONTAINER.startupProbe.httpGet.path).toBe('/health/live');
    expect(CONTAINER.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(DEPLOYMENT.spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/port': String(controlPort), 'prometheus.io/path': '/metrics' });
    expect(CONTAINER.env.find((e: any) => e.name === 'NAFTIKO_CONTROL_PORT').value).toBe(String(controlPort));
    // the container ports are the capability's, the arguments those of the image plus --watch
    const model = loadCapability(BULKSYNC).model;
    for (const a of model.exposes) if ('port' in a && a.type !== 'control') expect([...named.values()]).toContain(a.port);
    expect(CONTAINER.args).toEqual([...CMD.map((a) => (a === '/app/capabilities/bulksync.yaml' ? '/etc/naftiko-run/bulksync.yaml' : a)), '--watch', '--redis', 'redis://naftiko-run-redis:6379']);
  });

  it('the routes the probes name are the ones the control adapter serves (a live --control-port process)', async () => {
    ensureBuilt();
    const s = new Serving([BULKSYNC, '--control-port', '0', '--port', `${REST_NS}=0`, '--port', `${MCP_NS}=0`], { PATH: process.env.PATH ?? '' });
    try {
      const [, control] = await s.waitFor(/^CONTROL\s+\S+\s+(http:\/\/127\.0\.0\.1:\d+)/m, 15_000);
      for (const probe of [CONTAINER.livenessProbe, CONTAINER.readinessProbe, CONTAINER.startupProbe]) expect((await call(`${control}${probe.httpGet.path}`)).status).toBe(200);
      const metrics = await call(`${control}${DEPLOYMENT.spec.template.metadata.annotations['prometheus.io/path']}`);
      expect(metrics.status).toBe(200);
      expect(metrics.text).toContain('naftiko_capability_active');
    } finally {
      expect((await s.stop()).code).toBe(0);
    }
  }, 30_000);

  it('the Services select the pods and target named container ports; the control port has a Service of its own', () => {
    const podLabels = DEPLOYMENT.spec.template.metadata.labels;
    expect(DEPLOYMENT.spec.selector.matchLabels).toEqual(podLabels);
    const names = new Set(CONTAINER.ports.map((p: any) => p.name));
    const services = ofKind('Service').filter((s) => s.metadata.name !== 'naftiko-run-redis');
    for (const svc of services) {
      expect(svc.spec.selector).toEqual(podLabels);
      for (const p of svc.spec.ports) expect(names).toContain(p.targetPort);
    }
    const [main, control] = [services.find((s) => s.metadata.name === 'naftiko-run'), services.find((s) => s.metadata.name === 'naftiko-run-control')];
    expect(main.spec.ports.map((p: any) => p.targetPort).sort()).toEqual(['mcp', 'rest']);
    expect(control.spec.ports.map((p: any) => p.targetPort)).toEqual(['control']);
    const pdb = ofKind('PodDisruptionBudget')[0];
    expect(pdb.spec.selector.matchLabels).toEqual(podLabels);
    expect(pdb.spec.minAvailable).toBeLessThan(DEPLOYMENT.spec.replicas);
  });

  it('rolling updates drop nothing: surge before unavailability, a preStop wait, a grace period beyond preStop + drain', () => {
    expect(DEPLOYMENT.spec.strategy.rollingUpdate).toMatchObject({ maxUnavailable: 0 });
    const preStop = CONTAINER.lifecycle.preStop.sleep.seconds;
    expect(preStop).toBeGreaterThan(0);
    const drainS = Number(flagValue(CONTAINER.args, '--drain-timeout') ?? 10_000) / 1000;
    expect(POD.terminationGracePeriodSeconds).toBeGreaterThan(preStop + drainS);
  });

  it('the pod is locked down: non-root, read-only root file system with a /tmp emptyDir, no capabilities, resources bounded', () => {
    expect(POD.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: Number(only('USER').split(':')[0]), seccompProfile: { type: 'RuntimeDefault' } });
    expect(POD.automountServiceAccountToken).toBe(false);
    expect(CONTAINER.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    const tmp = CONTAINER.volumeMounts.find((v: any) => v.mountPath === '/tmp');
    expect(POD.volumes.find((v: any) => v.name === tmp.name).emptyDir).toBeDefined();
    expect(CONTAINER.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(CONTAINER.resources.limits.memory).toBeDefined();
  });

  it('the ConfigMap holds capabilities/bulksync.yaml as generated, mounted as a folder (no subPath, so updates arrive), and it validates', () => {
    const source = readFileSync(BULKSYNC, 'utf8');
    const text = readFileSync(path.join(K8S, 'configmap.yaml'), 'utf8');
    expect(text, 'deploy/kubernetes/configmap.yaml is out of date: run npm run deploy:configmap').toBe(configMapText(source));
    const cm = ofKind('ConfigMap')[0];
    expect(cm.data['bulksync.yaml']).toBe(source);
    const served = flagValue(CONTAINER.args, 'serve')!;
    const mount = CONTAINER.volumeMounts.find((v: any) => served.startsWith(`${v.mountPath}/`));
    expect(mount.subPath).toBeUndefined();
    expect(POD.volumes.find((v: any) => v.name === mount.name).configMap.name).toBe(cm.metadata.name);
    expect(path.basename(served)).toBe('bulksync.yaml');
    expect(loadCapabilityText(served, cm.data['bulksync.yaml']).warnings).toEqual([]);
  });

  it("the Secret holds one clearly marked placeholder per bind variable of the capability, passed as environment", () => {
    const secret = ofKind('Secret')[0];
    const variables = [...loadCapability(BULKSYNC).model.variables.values()].filter((v) => !v.location).map((v) => v.source);
    expect(Object.keys(secret.stringData).sort()).toEqual([...new Set(variables)].sort());
    for (const v of Object.values(secret.stringData)) expect(v).toMatch(/^REPLACE-ME/);
    expect(CONTAINER.envFrom).toContainEqual({ secretRef: { name: secret.metadata.name } });
  });

  it('Redis wiring: --redis names the Redis Service, which selects the Redis pods on their named port; no persistence', () => {
    const url = new URL(flagValue(CONTAINER.args, '--redis')!);
    const svc = ofKind('Service').find((s) => s.metadata.name === url.hostname);
    expect(svc.spec.selector).toEqual(REDIS.spec.template.metadata.labels);
    expect(REDIS.spec.selector.matchLabels).toEqual(REDIS.spec.template.metadata.labels);
    const container = REDIS.spec.template.spec.containers[0];
    const port = container.ports.find((p: any) => p.name === svc.spec.ports[0].targetPort);
    expect([svc.spec.ports[0].port, port.containerPort]).toEqual([Number(url.port), 6379]);
    expect(flagValue(container.args, '--save')).toBe('');
    expect(flagValue(container.args, '--appendonly')).toBe('no');
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
  });

  it('the HorizontalPodAutoscaler scales the naftiko-run Deployment by CPU, from at least the PDB floor + 1', () => {
    const hpa = ofKind('HorizontalPodAutoscaler')[0];
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: DEPLOYMENT.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThan(ofKind('PodDisruptionBudget')[0].spec.minAvailable);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    expect(hpa.spec.metrics[0].resource).toMatchObject({ name: 'cpu', target: { type: 'Utilization' } });
    // Utilization is of the request: the pod must request CPU
    expect(CONTAINER.resources.requests.cpu).toBeDefined();
  });

  const kubectl = exitCode(['kubectl', 'version', '--client']) === 0;
  it.skipIf(!kubectl)('kubectl kustomize renders the folder (offline)', () => {
    const out = execFileSync('kubectl', ['kustomize', K8S], { encoding: 'utf8', timeout: 30_000 });
    const kinds = YAML.parseAllDocuments(out).map((d) => d.toJS().kind).sort();
    expect(kinds).toEqual(['ConfigMap', 'Deployment', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Secret', 'Service', 'Service', 'Service']);
  });
});
