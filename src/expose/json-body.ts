/**
 * The JSON body parser of every adapter: fastify's own (prototype-poisoning protection included), after
 * a nesting check that is a plain loop over the text — a body nested thousands of levels deep is a
 * clear 400, never a stack overflow answered as an internal error (probe F11).
 */
import type { FastifyInstance } from 'fastify';
import { MAX_JSON_DEPTH, textNestingExceeds } from '../consume/json-depth.js';

export function installJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'ignore');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (textNestingExceeds(body as string, MAX_JSON_DEPTH)) {
      const err = new Error(`the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`) as Error & { statusCode: number; code: string };
      err.statusCode = 400;
      err.code = 'NR_JSON_TOO_DEEP';
      return done(err, undefined);
    }
    parse(req, body as string, done);
  });
}
