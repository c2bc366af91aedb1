/**
 * Writing an invoker result or a problem onto a fastify reply (operation and forward routes alike).
 *
 * Results are written on the raw response (the reply is hijacked): fastify's send path (onSend hooks,
 * serialisers, two end-of-stream watchers and a pipe per streamed body) cost about 15 % of a
 * pass-through request's CPU, and none of it applies to an answer that is already bytes or JSON text
 * (BENCHMARKS.md). Fastify's end-of-response listeners still run, so the access line, metrics and
 * spans see every answer.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { InvokeResult } from '../../invoke/invoker.js';
import { bodyReadFailure, discardBody } from '../../consume/send.js';
import { PROBLEM_CONTENT_TYPE, problemFromInvokeError, type Problem } from '../problem.js';

type Body = Extract<InvokeResult, { kind: 'stream' }>['body'];
type Headers = Record<string, string | number | string[]>;

export type SendResult = (reply: FastifyReply, result: InvokeResult) => FastifyReply;

/**
 * `hookHeaders`: an onRequest hook may have put headers on the reply (CORS does) and they are copied
 * into the answer. Reading them costs as much as the rest of the write, so an app without such hooks
 * says so.
 */
export function resultSender(hookHeaders: boolean): SendResult {
  return hookHeaders ? (reply, result) => sendResult(reply, result, answerHeaders(reply, result.headers)) : (reply, result) => sendResult(reply, result, { ...result.headers });
}

function sendResult(reply: FastifyReply, result: InvokeResult, headers: Headers): FastifyReply {
  reply.hijack();
  const res = reply.raw;
  const noBody = result.status === 204 || result.status === 304;
  if (result.kind === 'value' && !noBody) {
    const text = JSON.stringify(result.value);
    headers['content-length'] = Buffer.byteLength(text);
    res.writeHead(result.status, headers).end(text);
    return reply;
  }
  if (result.kind === 'value' || noBody || reply.request.method === 'HEAD') {
    if (result.kind === 'stream') discardBody(result.body);
    if (noBody) delete headers['content-type'];
    res.writeHead(result.status, headers).end();
    return reply;
  }
  streamBody(reply, res, result.status, headers, result.body);
  return reply;
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(p));
}

/** What fastify's hooks set on the reply (CORS), then the result's own headers (those set on the raw response, x-request-id, stay). */
function answerHeaders(reply: FastifyReply, own: Readonly<Record<string, string>>): Headers {
  const set = reply.getHeaders() as Headers;
  for (const name in own) set[name] = own[name]!;
  return set;
}

/**
 * Streams an upstream body to the caller with backpressure. The status line waits for the first byte:
 * a body that fails before any (the deadline passed, the connection broke) is answered as a problem,
 * not as a 200 cut short. Once bytes are out, a failure can only cut the answer (the connection closes).
 * A caller who goes away stops the upstream body.
 */
function streamBody(reply: FastifyReply, res: ServerResponse, status: number, headers: Headers, body: Body): void {
  let started = false;
  const start = () => {
    started = true;
    res.writeHead(status, headers);
  };
  const resume = () => body.resume();
  body.on('data', (chunk: Buffer) => {
    if (!started) start();
    if (!res.write(chunk)) {
      body.pause();
      res.once('drain', resume);
    }
  });
  body.on('end', () => {
    if (!started) start();
    res.end();
  });
  body.on('error', (err: Error) => {
    if (!started && !res.headersSent) {
      const p = problemFromInvokeError(bodyReadFailure(err, 'the upstream answer'), reply.request.url);
      const text = JSON.stringify(p);
      // the hooks' headers (CORS), not the upstream's: this answer is ours
      res.writeHead(p.status, { ...(reply.getHeaders() as Headers), 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) }).end(text);
      return;
    }
    reply.log.warn({ err }, 'the upstream body failed after the answer had started; the connection is closed');
    res.destroy();
  });
  res.once('close', () => {
    if (!body.readableEnded) body.destroy();
  });
}
