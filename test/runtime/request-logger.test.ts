/** The request logger fastify gets (childLoggerFactory): the child is made only when a line is written, and then carries the request's bindings. */
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { lazyRequestLogger } from '../../src/expose/request-logger.js';

function parent(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new PassThrough();
  stream.on('data', (d: Buffer) => lines.push(...d.toString().trim().split('\n').map((l) => JSON.parse(l))));
  const logger = pino({ level }, stream);
  let children = 0;
  const child = logger.child.bind(logger);
  (logger as unknown as { child: typeof child }).child = (...args: Parameters<typeof child>) => {
    children++;
    return child(...args);
  };
  return { logger: logger as unknown as FastifyBaseLogger, lines, children: () => children, flush: () => new Promise((r) => setImmediate(r)) };
}

describe('lazy request logger', () => {
  it('makes no child for lines below the level, and one child for lines at or above it, with the bindings', async () => {
    const p = parent('warn');
    const log = lazyRequestLogger(p.logger, { reqId: 'r-1' }, {});
    log.info({ a: 1 }, 'dropped');
    log.debug('dropped');
    expect(p.children()).toBe(0);
    expect(log.level).toBe('warn');
    log.error({ code: 'X' }, 'kept');
    log.warn('kept too');
    await p.flush();
    expect(p.children()).toBe(1);
    expect(p.lines).toHaveLength(2);
    expect(p.lines[0]).toMatchObject({ level: 50, reqId: 'r-1', code: 'X', msg: 'kept' });
    expect(p.lines[1]).toMatchObject({ level: 40, reqId: 'r-1', msg: 'kept too' });
  });

  it('answers isLevelEnabled like its parent and passes a level change to its own child', async () => {
    const p = parent('info');
    const log = lazyRequestLogger(p.logger, { reqId: 'r-2' }, {}) as FastifyBaseLogger & { isLevelEnabled(l: string): boolean };
    expect(log.isLevelEnabled('info')).toBe(true);
    expect(log.isLevelEnabled('debug')).toBe(false);
    log.level = 'debug';
    expect(p.logger.level).toBe('info');
    log.debug('now on');
    await p.flush();
    expect(p.lines).toEqual([expect.objectContaining({ level: 20, reqId: 'r-2', msg: 'now on' })]);
  });
});
