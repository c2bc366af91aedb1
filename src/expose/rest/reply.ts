/**
 * Writing an invoker result or a problem as the HTTP answer, on the raw response: the one writer of
 * the fastify routes (operation and forward alike, through `resultSender`) and of the direct routes
 * (direct-routes.ts).
 *
 * Fastify's send path (onSend hooks, serialisers, two end-of-stream watchers and a pipe per streamed
 * body) cost about 15 % of a pass-through request's CPU, and none of it applies to an answer that is
 * already bytes or JSON text (BENCHMARKS.md). A fastify reply is hijacked first; fastify's
 * end-of-response listeners still run, so the access line, metrics and spans see every answer.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import type { InvokeResult } from '../../invoke/invoker.js';
import { bodyReadFailure, discardBody } from '../../consume/send.js';
import { InvokeError } from '../../consume/errors.js';
import { PROBLEM_CONTENT_TYPE, problem, problemFromInvokeError, type Problem } from '../problem.js';

type Body = Extract<InvokeResult, { kind: 'stream' }>['body'];
export type AnswerHeaders = Record<string, string | number | string[]>;

/** What the writer needs of the request it answers. */
export interface Answering {
  readonly method: string;
  /** the request target, for a problem's `instance` */
  readonly url: string;
  readonly log: Pick<FastifyBaseLogger, 'warn'>;
}

export type SendResult = (reply: FastifyReply, result: InvokeResult) => FastifyReply;

/**
 * `hookHeaders`: an onRequest hook may have put headers on the reply (CORS does) and they are copied
 * into the answer. Reading them costs as much as the rest of the write, so an app without such hooks
 * says so.
 */
export function resultSender(hookHeaders: boolean): SendResult {
  return (reply, result) => {
    const headers = hookHeaders ? withHookHeaders(reply, result.headers) : { ...result.headers };
    reply.hijack();
    writeResult(reply.raw, result, headers, reply.request, hookHeaders ? () => reply.getHeaders() as AnswerHeaders : noHeaders);
    return reply;
  };
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(p));
}

/**
 * The answer to `result`. `headers` is the result's headers (the writer may change it). `ownHeaders`:
 * the headers an answer of ours (a problem) keeps, besides those already set on `res`.
 */
export function writeResult(res: ServerResponse, result: InvokeResult, headers: AnswerHeaders, request: Answering, ownHeaders: () => AnswerHeaders = noHeaders): void {
  const noBody = result.status === 204 || result.status === 304;
  if (result.kind === 'value' && !noBody) {
    const text = JSON.stringify(result.value);
    headers['content-length'] = Buffer.byteLength(text);
    res.writeHead(result.status, headers).end(text);
    return;
  }
  if (result.kind === 'value' || noBody || request.method === 'HEAD') {
    if (result.kind === 'stream') discardBody(result.body);
    if (noBody) delete headers['content-type'];
    res.writeHead(result.status, headers).end();
    return;
  }
  streamBody(res, result.status, headers, result.body, request, ownHeaders);
}

/** A problem as the answer, with `headers` (hooks' headers, Retry-After). */
export function writeProblem(res: ServerResponse, p: Problem, headers: AnswerHeaders = {}): void {
  const text = JSON.stringify(p);
  res.writeHead(p.status, { ...headers, 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) }).end(text);
}

/**
 * The problem that answers an error a route's handler threw: an InvokeError says its own (and may ask
 * for Retry-After); anything else is a request-body error of fastify's or a fault of ours (500, logged).
 */
export function errorAnswer(err: Error & { statusCode?: number; code?: string }, url: string, hideUpstream: boolean | undefined, contentType: string | undefined): { problem: Problem; retryAfter?: string; internal: boolean } {
  if (err instanceof InvokeError) {
    return { problem: problemFromInvokeError(err, url, hideUpstream), ...(err.retryAfterSeconds !== undefined ? { retryAfter: String(err.retryAfterSeconds) } : {}), internal: false };
  }
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
  const code = status === 415 ? 'NR_ERR_UNSUPPORTED_MEDIA_TYPE' : status === 413 ? 'NR_ERR_BODY_TOO_LARGE' : status === 500 ? 'NR_ERR_INTERNAL' : 'NR_ERR_BAD_BODY';
  const detail = status === 500 ? 'internal error; see the server log' : status === 415 ? unsupportedTypeDetail(contentType) : bodyErrorDetail(err);
  const title = status === 500 ? 'Internal error' : status === 415 ? 'Unsupported media type' : 'Bad request body';
  return { problem: problem(code, status, title, detail, url), internal: status === 500 };
}

function unsupportedTypeDetail(type: string | undefined): string {
  return `operation routes take JSON request bodies only (Content-Type: application/json)${type ? `; got ${JSON.stringify(type.split(';')[0]!.trim())}` : '; the body has no Content-Type'}`;
}

function bodyErrorDetail(err: Error & { code?: string }): string {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'request body must be JSON (Content-Type: application/json)';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'Content-Type is application/json but the body is empty';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return err.message;
    default:
      return `request body is not valid JSON: ${err.message}`;
  }
}

const noHeaders = (): AnswerHeaders => ({});

/** What fastify's hooks set on the reply (CORS), then the result's own headers (those set on the raw response, x-request-id, stay). */
function withHookHeaders(reply: FastifyReply, own: Readonly<Record<string, string>>): AnswerHeaders {
  const set = reply.getHeaders() as AnswerHeaders;
  for (const name in own) set[name] = own[name]!;
  return set;
}

/**
 * Streams an upstream body to the caller with backpressure. The status line waits for the first byte:
 * a body that fails before any (the deadline passed, the connection broke) is answered as a problem,
 * not as a 200 cut short. Once bytes are out, a failure can only cut the answer (the connection closes).
 * A caller who goes away stops the upstream body.
 */
function streamBody(res: ServerResponse, status: number, headers: AnswerHeaders, body: Body, request: Answering, ownHeaders: () => AnswerHeaders): void {
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
      // the hooks' headers (CORS), not the upstream's: this answer is ours
      writeProblem(res, problemFromInvokeError(bodyReadFailure(err, 'the upstream answer'), request.url), ownHeaders());
      return;
    }
    request.log.warn({ err }, 'the upstream body failed after the answer had started; the connection is closed');
    res.destroy();
  });
  res.once('close', () => {
    if (!body.readableEnded) body.destroy();
  });
}
