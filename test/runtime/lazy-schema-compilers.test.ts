/**
 * fastify apps made with the adapters' server options do not load Ajv or fast-json-stringify
 * (src/expose/lazy-schema-compilers.ts), and a route that does declare a schema is still validated and
 * serialized by them. A child process, so that nothing else in it has loaded the compilers.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ensureBuilt } from '../build-dist.js';

const run = (body: string) => {
  ensureBuilt();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
    import { createRequire } from 'node:module';
    import Fastify from 'fastify';
    import { serverOptions } from ${JSON.stringify(new URL('../../dist/expose/logging.js', import.meta.url).href)};
    const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => /@fastify[\\\\/](ajv-compiler|fast-json-stringify-compiler)[\\\\/]/.test(k)).length > 0;
    const { serverFactory, ...options } = serverOptions(false, 1024);
    const app = Fastify(options);
    ${body}
  `], { encoding: 'utf8', cwd: new URL('../..', import.meta.url).pathname });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

describe('fastify schema compilers', () => {
  it('are not loaded for routes without schemas', () => {
    expect(run(`
      app.get('/x', async () => ({ ok: true }));
      await app.ready();
      const res = await app.inject({ method: 'GET', url: '/x' });
      console.log(JSON.stringify({ loaded: loaded(), status: res.statusCode }));
    `)).toEqual({ loaded: false, status: 200 });
  });

  it('validate and serialize a route that declares a schema', () => {
    expect(run(`
      app.post('/x', { schema: { body: { type: 'object', required: ['a'], properties: { a: { type: 'integer' } } }, response: { 200: { type: 'object', properties: { a: { type: 'integer' } } } } } },
        async (req) => ({ a: req.body.a, dropped: 'by the response schema' }));
      await app.ready();
      const bad = await app.inject({ method: 'POST', url: '/x', payload: { b: 1 } });
      const good = await app.inject({ method: 'POST', url: '/x', payload: { a: 2 } });
      console.log(JSON.stringify({ loaded: loaded(), bad: bad.statusCode, good: good.statusCode, body: good.json() }));
    `)).toEqual({ loaded: true, bad: 400, good: 200, body: { a: 2 } });
  });
});
