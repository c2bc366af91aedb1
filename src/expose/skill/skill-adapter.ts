/**
 * The skill adapter (FEATURES §14): a read-only catalog over HTTP. It executes nothing; it says which
 * sibling REST operation or MCP tool each skill tool is, and serves the files of the skill's location.
 *
 *   GET /skills                          {count, skills: [{name, description, license?, tools: [names]}]}
 *   GET /skills/{name}                   the frontmatter fields and the tools (with invocationRef.endpoint)
 *   GET /skills/{name}/contents          {name, files: [{path, size, type, generated?}]}
 *   GET /skills/{name}/contents/{file…}  the file; SKILL.md is generated when the skill has none
 *   GET /skills/{name}/download          application/zip of the same files
 *
 * HEAD works everywhere, a trailing slash is tolerated, other methods get 405 + Allow, and every error
 * is problem+json.
 */
import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { ExposedAdapter, ExposedSkill, SkillAdapter } from '../../spec/model.js';
import { PROBLEM_CONTENT_TYPE, problem, type Problem } from '../problem.js';
import { serverOptions } from '../logging.js';
import type { ServerFor } from '../server-slot.js';
import { isLocalRequest, isLoopback } from '../local-origin.js';
import { installInboundAuth, type PreparedInboundAuth } from '../inbound-auth.js';
import { SkillFilesError, contentTypeHeader, decodeSegments, isCompressed, listSkillFiles, mediaTypeOf, openSkillFile, type SkillFile } from './files.js';
import { generateSkillMd, type ToolView } from './skill-md.js';
import { ZipLimitError, zipStream, type ZipEntry } from './zip.js';
import { observeRequests, routeOperation, type RequestObservation } from '../observe-requests.js';

export interface SkillEndpoint {
  readonly mode: 'mcp' | 'rest';
  /** `http://host:port` of the listening sibling (a trailing `/mcp` is accepted for MCP) */
  readonly baseUrl: string;
}

export interface SkillAppOptions {
  readonly logger: FastifyServerOptions['logger'] | false;
  /** where a sibling adapter listens; called per request (ports are known only after listen) */
  readonly endpointOf: (namespace: string) => SkillEndpoint | undefined;
  /** a REST sibling operation's method and path by operation name (see restOperationLookup) */
  readonly operationOf?: (namespace: string, action: string) => { method: string; path: string } | undefined;
  /** the address the adapter listens on; loopback turns on the Host/Origin check (as REST and MCP) */
  readonly host?: string;
  /** the adapter's inbound `authentication`, prepared; it guards every route */
  readonly auth?: PreparedInboundAuth;
  /** metrics and spans per request (a control adapter is served) */
  readonly observe?: RequestObservation;
  /** the server to listen with (hot reload); default: one of its own */
  readonly serverFor?: ServerFor;
}

const ALLOW = 'GET, HEAD';
const SKILL_MD = 'SKILL.md';
const GENERATED_MODE = 0o100644;
/** the routes, for 405 (a known path, another method) versus 404 */
const SKILL_PATH = /^\/skills(?:\/[^/]+(?:\/contents(?:\/.*)?|\/download)?)?\/?$/;

/** `operationOf` for buildSkillApp from the capability's REST adapters. */
export function restOperationLookup(adapters: readonly ExposedAdapter[]): (namespace: string, action: string) => { method: string; path: string } | undefined {
  const ops = new Map<string, { method: string; path: string }>();
  for (const a of adapters) {
    if (a.type !== 'rest') continue;
    for (const op of a.operations) {
      const key = `${a.namespace}\0${op.name}`;
      if (!ops.has(key)) ops.set(key, { method: op.method ?? 'GET', path: op.path?.startsWith('/') ? op.path : `/${op.path ?? ''}` });
    }
  }
  return (namespace, action) => ops.get(`${namespace}\0${action}`);
}

export function buildSkillApp(adapter: SkillAdapter, options: SkillAppOptions): FastifyInstance {
  const app = Fastify({
    ...serverOptions(options.logger, 1024, options.serverFor),
    exposeHeadRoutes: false,
    // a malformed %-escape in the path is the only router error a GET can cause
    frameworkErrors: (err, req, reply) => {
      void sendProblem(reply, problem('NR_ERR_BAD_PATH', 400, 'Bad path', `the request path is not a valid URL path (${err.message})`, pathOf(req)));
    },
  });
  if (options.observe) observeRequests(app, options.observe, 'skill', routeOperation);
  if (options.host !== undefined && isLoopback(options.host)) {
    // a web page the operator visits must not read the skill files through DNS rebinding
    app.addHook('onRequest', async (req, reply) => {
      if (!isLocalRequest(req.headers.host, req.headers.origin)) {
        return sendProblem(reply, problem('NR_ERR_ORIGIN_REJECTED', 403, 'Forbidden',
          'this adapter listens on a loopback address and serves only requests whose Host and Origin name this machine (DNS-rebinding and cross-site protection)', pathOf(req)));
      }
    });
  }
  installInboundAuth(app, options.auth);
  const skills = new Map(adapter.skills.map((s) => [s.name, s]));
  const known = [...skills.keys()].join(', ') || 'none';
  const skillNotFound = (req: FastifyRequest, reply: FastifyReply, name: string) =>
    sendProblem(reply, problem('NR_ERR_SKILL_NOT_FOUND', 404, 'Skill not found', `no skill named ${JSON.stringify(name)} in "${adapter.namespace}" (skills: ${known})`, pathOf(req)));

  const route = (url: string, handler: (req: FastifyRequest, reply: FastifyReply, skill: ExposedSkill) => Promise<unknown> | unknown) => {
    const withSkill = async (req: FastifyRequest, reply: FastifyReply) => {
      const name = (req.params as { name: string }).name;
      const skill = skills.get(name);
      if (!skill) return skillNotFound(req, reply, name);
      return handler(req, reply, skill);
    };
    for (const u of [url, `${url}/`]) app.route({ method: ['GET', 'HEAD'], url: u, handler: withSkill });
  };

  const catalog = (_req: FastifyRequest, reply: FastifyReply) =>
    sendJson(reply, {
      count: adapter.skills.length,
      skills: adapter.skills.map((s) => ({
        name: s.name,
        description: s.description,
        ...(s.license !== undefined ? { license: s.license } : {}),
        tools: s.tools.map((t) => t.name),
      })),
    });
  app.route({ method: ['GET', 'HEAD'], url: '/skills', handler: catalog });
  app.route({ method: ['GET', 'HEAD'], url: '/skills/', handler: catalog });

  const toolViews = (skill: ExposedSkill, req: FastifyRequest): ToolView[] => skill.tools.map((t) => {
    if (t.kind === 'instruction') return { name: t.name, description: t.description, type: 'instruction', instruction: t.instruction };
    const endpoint = endpointFor(t.sourceNamespace, t.action, t.mode, options, req);
    return {
      name: t.name,
      description: t.description,
      type: 'derived',
      invocationRef: { targetNamespace: t.sourceNamespace, action: t.action, mode: t.mode, ...(endpoint !== undefined ? { endpoint } : {}) },
    };
  });

  route('/skills/:name', (req, reply, skill) =>
    sendJson(reply, {
      name: skill.name,
      description: skill.description,
      ...(skill.license !== undefined ? { license: skill.license } : {}),
      ...(skill.compatibility !== undefined ? { compatibility: skill.compatibility } : {}),
      ...(skill.argumentHint !== undefined ? { 'argument-hint': skill.argumentHint } : {}),
      ...(skill.allowedTools !== undefined ? { 'allowed-tools': skill.allowedTools } : {}),
      ...(skill.userInvocable !== undefined ? { 'user-invocable': skill.userInvocable } : {}),
      ...(skill.disableModelInvocation !== undefined ? { 'disable-model-invocation': skill.disableModelInvocation } : {}),
      ...(skill.metadata !== undefined ? { metadata: skill.metadata } : {}),
      tools: toolViews(skill, req),
    }),
  );

  /** The served files of a skill, and the generated SKILL.md when it has none. */
  const filesOf = async (skill: ExposedSkill, req: FastifyRequest): Promise<{ files: SkillFile[]; generated?: Buffer }> => {
    let files: SkillFile[] = [];
    if (skill.location !== undefined) {
      const listed = await listSkillFiles(skill.location);
      if (listed === undefined) req.log.warn({ skill: skill.name, location: skill.location }, 'skill location no longer exists; serving the generated SKILL.md only');
      files = listed ?? [];
    }
    if (files.some((f) => f.path === SKILL_MD)) return { files };
    return { files, generated: Buffer.from(generateSkillMd(skill, toolViews(skill, req)), 'utf8') };
  };

  const listing = async (req: FastifyRequest, reply: FastifyReply, skill: ExposedSkill) => {
    const { files, generated } = await filesOf(skill, req);
    const entries: { path: string; size: number; type: string; generated?: true }[] = files.map((f) => ({ path: f.path, size: f.size, type: mediaTypeOf(f.path) }));
    if (generated) entries.push({ path: SKILL_MD, size: generated.length, type: 'text/markdown', generated: true });
    entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return sendJson(reply, { name: skill.name, files: entries });
  };
  route('/skills/:name/contents', listing);

  app.route({
    method: ['GET', 'HEAD'],
    url: '/skills/:name/contents/*',
    handler: async (req, reply) => {
      const name = (req.params as { name: string }).name;
      const skill = skills.get(name);
      if (!skill) return skillNotFound(req, reply, name);
      // the raw (still encoded) segments after /skills/{name}/contents/: fastify's decoded wildcard
      // would turn %2F into a separator
      let raw = pathOf(req).split('/').slice(4);
      if (raw.length > 0 && raw[raw.length - 1] === '') raw = raw.slice(0, -1);
      if (raw.length === 0) return listing(req, reply, skill);
      const decoded = decodeSegments(raw);
      if (!decoded.ok) return sendProblem(reply, problem('NR_ERR_BAD_PATH', 400, 'Bad path', decoded.detail, pathOf(req)));
      const rel = decoded.segments.join('/');
      const found = skill.location !== undefined
        ? await openSkillFile(skill.location, decoded.segments)
        : ({ kind: 'missing', detail: `no file ${rel} in the skill (it has no location)` } as const);
      // no servable SKILL.md of its own (exactly when /contents lists the generated one): ours
      if (found.kind !== 'file' && rel === SKILL_MD) return sendBytes(reply, req, Buffer.from(generateSkillMd(skill, toolViews(skill, req)), 'utf8'), 'text/markdown');
      if (found.kind === 'bad') return sendProblem(reply, problem('NR_ERR_BAD_PATH', 400, 'Bad path', found.detail, pathOf(req)));
      if (found.kind === 'missing') {
        return sendProblem(reply, problem('NR_ERR_SKILL_FILE_NOT_FOUND', 404, 'File not found', `${found.detail}; GET /skills/${skill.name}/contents lists the files`, pathOf(req)));
      }
      const type = mediaTypeOf(found.path);
      fileHeaders(reply, type).header('content-length', String(found.size)).header('last-modified', found.mtime.toUTCString());
      if (req.method === 'HEAD') {
        await found.handle.close();
        return reply.send();
      }
      return reply.send(found.handle.createReadStream({ autoClose: true }));
    },
  });

  route('/skills/:name/download', async (req, reply, skill) => {
    const { files, generated } = await filesOf(skill, req);
    const entries: ZipEntry[] = files.map((f) => ({
      name: f.path,
      mtime: f.mtime,
      mode: f.mode,
      stored: isCompressed(mediaTypeOf(f.path)),
      data: async () => {
        const opened = await openSkillFile(skill.location!, f.path.split('/'));
        return opened.kind === 'file' ? opened.handle.createReadStream({ autoClose: true }) : undefined;
      },
    }));
    if (generated) entries.push({ name: SKILL_MD, mtime: new Date(), mode: GENERATED_MODE, data: generated });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    reply
      .header('content-type', 'application/zip')
      .header('content-disposition', `attachment; filename="${skill.name.replace(/[^A-Za-z0-9._-]/g, '_')}.zip"`)
      .header('x-content-type-options', 'nosniff');
    if (req.method === 'HEAD') return reply.send();
    const stream = Readable.from(zipStream(entries), { objectMode: false });
    stream.on('error', (err) => req.log.error({ err, skill: skill.name }, 'skill download failed mid-stream'));
    return reply.send(stream);
  });

  app.setNotFoundHandler((req, reply) => {
    const p = pathOf(req);
    if (SKILL_PATH.test(p) && req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(req, reply);
    return sendProblem(reply, problem('NR_ERR_ROUTE_NOT_FOUND', 404, 'Not found', `no route at ${req.method} ${p}; this skill adapter serves GET /skills, /skills/{name}, /skills/{name}/contents[/{file}] and /skills/{name}/download`, p));
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    if (req.method !== 'GET' && req.method !== 'HEAD' && SKILL_PATH.test(pathOf(req))) return methodNotAllowed(req, reply);
    if (err instanceof SkillFilesError || err instanceof ZipLimitError) {
      return sendProblem(reply, problem('NR_ERR_SKILL_TOO_LARGE', 500, 'Skill too large', `${err.message}; naftiko-run serves skills of at most that size`, pathOf(req)));
    }
    // GET and HEAD bodies are ignored, so a 4xx here can only be about a body fastify refused
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err }, 'internal error');
    const code = status === 500 ? 'NR_ERR_INTERNAL' : status === 413 ? 'NR_ERR_BODY_TOO_LARGE' : status === 415 ? 'NR_ERR_UNSUPPORTED_MEDIA_TYPE' : 'NR_ERR_BAD_BODY';
    return sendProblem(reply, problem(code, status, status === 500 ? 'Internal error' : 'Bad request', status === 500 ? 'internal error; see the server log' : err.message, pathOf(req)));
  });
  return app;
}

function endpointFor(namespace: string, action: string, mode: 'mcp' | 'rest', options: SkillAppOptions, req: FastifyRequest): string | undefined {
  const ep = options.endpointOf(namespace);
  if (!ep) return undefined;
  const base = reachableBase(ep.baseUrl.replace(/\/+$/, ''), req);
  if (mode === 'mcp') return base.endsWith('/mcp') ? base : `${base}/mcp`;
  const op = options.operationOf?.(namespace, action);
  if (!op) return undefined;
  return `${op.method.toUpperCase()} ${base}${op.path.startsWith('/') ? op.path : `/${op.path}`}`;
}

/** A sibling bound to every interface is reached at the host name the caller used for this server. */
function reachableBase(base: string, req: FastifyRequest): string {
  const m = /^(https?:\/\/)(0\.0\.0\.0|\[::\]|\[0*:?(?::0*)*\])(:\d+)?(.*)$/.exec(base);
  if (!m) return base;
  const host = req.hostname;
  if (!host || !/^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9.-]+)$/.test(host)) return base;
  return `${m[1]}${host}${m[3] ?? ''}${m[4]}`;
}

/** The request path as sent (undecoded, no query; an absolute-form target loses its origin). */
function pathOf(req: FastifyRequest): string {
  let url = req.raw.url ?? req.url;
  const origin = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(url);
  if (origin) url = url.slice(origin[0].length) || '/';
  const q = url.search(/[?#]/);
  return q === -1 ? url : url.slice(0, q);
}

function fileHeaders(reply: FastifyReply, mediaType: string): FastifyReply {
  // skill files are the operator's, but a browser must not run an html or svg one in this origin
  return reply
    .header('content-type', contentTypeHeader(mediaType))
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox");
}

function sendBytes(reply: FastifyReply, req: FastifyRequest, bytes: Buffer, mediaType: string): FastifyReply {
  fileHeaders(reply, mediaType).header('content-length', String(bytes.length));
  return req.method === 'HEAD' ? reply.send() : reply.send(bytes);
}

function sendJson(reply: FastifyReply, value: unknown): FastifyReply {
  return reply.header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(value));
}

function methodNotAllowed(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header('allow', ALLOW);
  return sendProblem(reply, problem('NR_ERR_METHOD_NOT_ALLOWED', 405, 'Method not allowed', `${req.method} is not allowed on ${pathOf(req)}; the skill adapter is read-only (allowed: ${ALLOW})`, pathOf(req)));
}

function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(p));
}
