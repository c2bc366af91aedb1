/** Writing an invoker result or a problem onto a fastify reply (operation and forward routes alike). */
import type { FastifyReply } from 'fastify';
import type { InvokeResult } from '../../invoke/invoker.js';
import { discardBody } from '../../consume/send.js';
import { PROBLEM_CONTENT_TYPE, type Problem } from '../problem.js';

export function sendResult(reply: FastifyReply, result: InvokeResult): FastifyReply {
  reply.code(result.status).headers(result.headers);
  if (result.kind === 'value') return reply.send(JSON.stringify(result.value));
  if (result.status === 204 || result.status === 304) {
    discardBody(result.body);
    reply.removeHeader('content-type');
    return reply.send();
  }
  return reply.send(result.body);
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(p));
}
