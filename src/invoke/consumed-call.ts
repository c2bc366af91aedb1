/**
 * One consumed operation, prepared once (request plan, credential, decoder) and called many times:
 * what a simple call and an orchestration's call step share.
 */
import type { BoundVariable, ConsumedApi, ConsumedOperation } from '../spec/model.js';
import { staticTemplate } from '../spec/template.js';
import type { UpstreamPools } from '../consume/pools.js';
import { buildUpstreamRequest, prepareRequest, type UpstreamRequest } from '../consume/request.js';
import { readBody, sendUpstream, type Timeouts, type UpstreamResponse } from '../consume/send.js';
import { prepareDecoder, type Decoder } from '../consume/decode.js';
import { InvokeError } from '../consume/errors.js';
import { MAX_JSON_DEPTH, valueNestingExceeds } from '../consume/json-depth.js';
import type { CallSignal } from '../consume/call-signal.js';
import type { ResponseCache } from '../shared/response-cache.js';
import { sendCached } from '../shared/cached-send.js';

export interface CallDeps {
  readonly pools: UpstreamPools;
  readonly timeouts: Timeouts;
  readonly variables: ReadonlyMap<string, BoundVariable>;
  readonly maxResponseBytes: number;
  /** `--base-uri NAMESPACE=URL` for this operation's namespace */
  readonly baseUriOverride?: string;
  /** keeps GET answers of operations with `x-cache` */
  readonly responseCache?: ResponseCache;
}

export interface SentCall {
  readonly request: UpstreamRequest;
  readonly response: UpstreamResponse;
}

export interface ConsumedCall {
  readonly operation: ConsumedOperation;
  send(args: ReadonlyMap<string, unknown>, signal?: CallSignal): Promise<SentCall>;
  /** the whole body, within the size limit */
  read(sent: SentCall): Promise<Buffer>;
  /** the body decoded per `outputRawFormat`; 502 naming the format and the position when it is malformed */
  decode(body: Buffer, sent: SentCall): unknown;
}

/** `decodes`: the answer will be decoded, so the decoder (and an avro/protobuf schema) is prepared now, at start. */
export function prepareCall(api: ConsumedApi, operation: ConsumedOperation, deps: CallDeps, decodes: boolean): ConsumedCall {
  const plan = prepareRequest(deps.baseUriOverride ? { ...api, baseUri: staticTemplate(deps.baseUriOverride) } : api, operation, deps.variables, { pools: deps.pools, tokenTimeoutMs: deps.timeouts.response });
  // avro/protobuf answers cannot be read without their schema: such a call fails before it is sent
  const binary = operation.outputRawFormat === 'avro' || operation.outputRawFormat === 'protobuf';
  const missingSchema = decodes && binary && operation.outputSchema === undefined
    ? new InvokeError('NR_ERR_NOT_IMPLEMENTED', 501, 'Not implemented', `${operation.ref} answers ${operation.outputRawFormat}, which can only be decoded with its schema: add "outputSchema" to the operation (a mapped output or a step needs the decoded answer)`)
    : undefined;
  const makeDecoder = (): Decoder => prepareDecoder(operation.outputRawFormat, operation.outputSchema !== undefined ? { outputSchema: operation.outputSchema } : {});
  let decoder: Decoder | undefined = decodes && !missingSchema ? makeDecoder() : undefined;
  const what = (sent: SentCall) => sent.request.label;
  const cache = operation.cache && operation.method === 'GET' ? deps.responseCache : undefined;
  const ttlMs = operation.cache?.ttlMs ?? 0;
  return {
    operation,
    async send(args, signal) {
      if (missingSchema) throw missingSchema;
      const request = buildUpstreamRequest(plan, { args, variables: deps.variables });
      if (cache) return { request, response: await sendCached(cache, ttlMs, request, deps.maxResponseBytes, () => sendUpstream(deps.pools, request, deps.timeouts, signal)) };
      return { request, response: await sendUpstream(deps.pools, request, deps.timeouts, signal) };
    },
    read(sent) {
      return readBody(sent.response.body as unknown as AsyncIterable<Buffer>, sent.response.headers, deps.maxResponseBytes, () => what(sent));
    },
    decode(body, sent) {
      decoder ??= makeDecoder();
      try {
        const value = decoder(body);
        // each level takes at least a byte: a short body cannot nest that deep, and is not walked
        if (body.length > MAX_JSON_DEPTH && valueNestingExceeds(value, MAX_JSON_DEPTH)) throw new Error(`it is nested deeper than ${MAX_JSON_DEPTH} levels`);
        return value;
      } catch (e) {
        throw new InvokeError('NR_ERR_UPSTREAM_BAD_BODY', 502, 'Upstream response unreadable',
          `${what(sent)} answered ${sent.response.statusCode} with a body that is not valid ${operation.outputRawFormat}: ${(e as Error).message.split('\n')[0]}`);
      }
    },
  };
}
