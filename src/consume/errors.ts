/**
 * Failures of a call, each with a stable code and the HTTP status a REST caller gets; the MCP adapter
 * maps the same errors onto JSON-RPC errors or `isError` results. Messages never carry secret values.
 */
export interface InvalidParam {
  readonly name: string;
  readonly reason: string;
}

export class InvokeError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly invalidParams: readonly InvalidParam[] = [],
  ) {
    super(detail);
    this.name = 'InvokeError';
  }
  /** seconds a caller should wait before trying again (sent as `Retry-After`) */
  retryAfterSeconds?: number;
  /** the orchestration step that failed, when one did (problem extension members `step` and `call`) */
  step?: { readonly name: string; readonly call?: string };
  get detail(): string {
    return this.message;
  }
}

/**
 * `text` with every URL origin (scheme://host:port) replaced by `upstream`: for adapters reachable
 * from other machines, whose callers should not learn the internal network from a 502's detail.
 */
export function hideOrigins(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s/"'?#<>]+/gi, 'upstream');
}

export const badInput = (params: readonly InvalidParam[]): InvokeError =>
  new InvokeError('NR_ERR_BAD_INPUT', 400, 'Bad request input', params.map((p) => `${p.name}: ${p.reason}`).join('; '), params);
