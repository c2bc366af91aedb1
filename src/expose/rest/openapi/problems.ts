/**
 * The errors naftiko-run answers itself, as OpenAPI components: one Problem schema (RFC 9457, the
 * shape of src/expose/problem.ts) and one shared response per status.
 */

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

export const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details; `code` is stable (see docs/errors.md of naftiko-run).',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', description: 'a URL naming the error code' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string', description: 'what went wrong and what to do' },
    code: { type: 'string', pattern: '^NR_ERR_[A-Z0-9_]+$', examples: ['NR_ERR_BAD_INPUT'] },
    instance: { type: 'string', description: 'the request path' },
    invalid_params: {
      type: 'array',
      items: { type: 'object', required: ['name', 'reason'], properties: { name: { type: 'string' }, reason: { type: 'string' } } },
    },
    step: { type: 'string', description: 'the orchestration step that failed' },
    call: { type: 'string', description: 'the consumed operation that step calls' },
  },
} as const;

/** Response component name → its status and description. */
export const PROBLEM_RESPONSES = {
  BadRequest: [400, 'Bad input: each bad parameter or body field is named in `invalid_params` (NR_ERR_BAD_INPUT), or a malformed path or body'],
  Unauthorized: [401, 'A credential is missing or not valid (NR_ERR_UNAUTHENTICATED for this adapter\'s own authentication, NR_ERR_CREDENTIAL_MISSING for the upstream\'s)'],
  Forbidden: [403, 'NR_ERR_ORIGIN_REJECTED: the adapter listens on a loopback address and the request\'s Host or Origin does not name this machine (and the Origin is not an allowed CORS origin)'],
  NotFound: [404, 'NR_ERR_ROUTE_NOT_FOUND: no operation is exposed at this method and path'],
  MethodNotAllowed: [405, 'NR_ERR_METHOD_NOT_ALLOWED: the path exists, the method does not; `Allow` lists the methods'],
  PayloadTooLarge: [413, 'NR_ERR_BODY_TOO_LARGE: the request body is larger than the adapter accepts'],
  UnsupportedMediaType: [415, 'NR_ERR_UNSUPPORTED_MEDIA_TYPE: operation routes take JSON request bodies only'],
  TooManyRequests: [429, 'NR_ERR_RATE_LIMITED: the operation\'s rate limit (`x-rate-limit`) is used up for this window; `Retry-After` says when it ends'],
  InternalError: [500, 'NR_ERR_INTERNAL: an unexpected error; the server log has the details'],
  NotImplemented: [501, 'A feature this operation needs is not served by naftiko-run yet'],
  BadGateway: [502, 'The upstream could not be reached, or its answer could not be read or mapped'],
  ServiceUnavailable: [503, 'Busy, circuit open, overloaded or shutting down (NR_ERR_UPSTREAM_BUSY, NR_ERR_CIRCUIT_OPEN, NR_ERR_OVERLOADED, NR_ERR_SHUTTING_DOWN); `Retry-After` says when to try again'],
  GatewayTimeout: [504, 'NR_ERR_UPSTREAM_TIMEOUT: the upstream did not answer in time'],
} as const satisfies Record<string, readonly [number, string]>;

export type ProblemResponse = keyof typeof PROBLEM_RESPONSES;

const HEADERS: Partial<Record<ProblemResponse, Record<string, unknown>>> = {
  Unauthorized: { 'WWW-Authenticate': { description: 'the challenge of the adapter\'s authentication', schema: { type: 'string' } } },
  MethodNotAllowed: { Allow: { description: 'the methods this path serves', schema: { type: 'string' } } },
  TooManyRequests: { 'Retry-After': { description: 'seconds until the window ends', schema: { type: 'integer' } } },
  ServiceUnavailable: { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' } } },
};

export function problemComponents(): Record<string, unknown> {
  return Object.fromEntries(Object.entries(PROBLEM_RESPONSES).map(([name, [, description]]) => [name, {
    description,
    ...(HEADERS[name as ProblemResponse] ? { headers: HEADERS[name as ProblemResponse] } : {}),
    content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
  }]));
}

/** `responses` entries referring to the shared problem responses. */
export function problemRefs(names: readonly ProblemResponse[]): Record<string, unknown> {
  return Object.fromEntries(names.map((n) => [String(PROBLEM_RESPONSES[n][0]), { $ref: `#/components/responses/${n}` }]));
}
