/**
 * What a REST request asks of one exposed operation: its inputs, read from the path, query, headers,
 * cookies and body, checked by the shared rules, then the invoker's call. Fastify's routes and the
 * direct routes (direct-routes.ts) both run it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ExposedOperation } from '../../spec/model.js';
import type { InvokeResult, Invoker } from '../../invoke/invoker.js';
import type { CallSignal } from '../../consume/call-signal.js';
import { checkInputs } from '../../invoke/inputs.js';
import { compileJsonPath } from '../../spec/json-path.js';
import type { PreparedInboundAuth } from '../inbound-auth.js';
import { safeParamName } from './routes.js';

/** The parts of a routed request an operation reads (a FastifyRequest is one). */
export interface RoutedRequest {
  readonly params: unknown;
  readonly query: unknown;
  readonly headers: IncomingHttpHeaders;
  readonly body?: unknown;
}

export type OperationCall = (req: RoutedRequest, signal: CallSignal) => Promise<InvokeResult>;

/**
 * `auth`: the credential a caller presents to this adapter (its Authorization, its API key) is the
 * adapter's; it never becomes an upstream value by pass-through or inference (FEATURES §10,
 * credential isolation). Only an input the operation declares itself can read that header.
 * `restOfPath`: the operation sits on a forwarding resource, whose `{path}` takes the rest of the URL.
 */
export function operationCall(op: ExposedOperation, invoker: Invoker, auth: PreparedInboundAuth | undefined, restOfPath = false): OperationCall {
  const invoke = invoker.bind(op);
  const readers = op.inputs.map((input) => {
    const param = safeParamName(input.name);
    const header = input.name.toLowerCase();
    const implicit = input.credential || op.inputsInferred;
    const ownHeader = implicit && ((auth?.usesAuthorization === true && header === 'authorization') || auth?.headerKey === header);
    const ownQuery = auth?.queryKey === input.name;
    const bodyPath = input.bodyPath !== undefined ? compileJsonPath(input.bodyPath) : undefined;
    const wholeBody = input.in === 'body' && input.name === 'body' && op.inputs.filter((i) => i.in === 'body').length === 1;
    return (req: RoutedRequest): unknown => {
      switch (input.in) {
        case 'path':
          return restOfPath && input.name === 'path' ? (req.params as Record<string, string>)['*'] ?? '' : (req.params as Record<string, string>)[param];
        case 'query':
          return ownQuery ? undefined : (req.query as Record<string, unknown>)[input.name];
        case 'header':
          return ownHeader ? undefined : req.headers[header];
        case 'cookie':
          return cookieValue(req.headers.cookie, input.name);
        case 'body': {
          if (wholeBody) return req.body ?? undefined;
          const body = req.body as Record<string, unknown> | undefined;
          if (!body || typeof body !== 'object') return undefined;
          return bodyPath ? bodyPath(body) : body[input.name];
        }
      }
    };
  });
  const names = op.inputs.map((i) => i.name);

  return (req, signal) => {
    const raw: Record<string, unknown> = {};
    for (let i = 0; i < readers.length; i++) {
      const v = readers[i]!(req);
      if (v !== undefined) raw[names[i]!] = v;
    }
    return invoke(checkInputs(op.inputs, raw, { fromStrings: true }), signal);
  };
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}
