/**
 * The typed, immutable model of a capability: what every adapter and the consumer engine work from.
 * Field names follow the spec; comments name the spec field each one comes from.
 */
import type { Template } from './template.js';

export type ParamLocation = 'path' | 'query' | 'header' | 'cookie' | 'body' | 'environment';
export type ParamType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type OutputFormat = 'json' | 'xml' | 'avro' | 'protobuf' | 'csv' | 'tsv' | 'psv' | 'yaml' | 'html' | 'markdown';

/** `outputRawFormat`s naftiko-run decodes for mapped outputs (pass-through works with any). */
export const DECODED_FORMATS: ReadonlySet<OutputFormat> = new Set(['json', 'yaml', 'csv', 'tsv', 'psv']);

export interface CapabilityModel {
  /** Path of the capability file as given by the user (used in every message). */
  readonly file: string;
  /** `naftiko` */
  readonly version: string;
  /** `info` */
  readonly info: { readonly label?: string; readonly description?: string; readonly tags: readonly string[] };
  /** `binds[]` and `capability.binds[]`, resolved. Keyed by `VAR` and by `namespace.VAR`. */
  readonly variables: ReadonlyMap<string, BoundVariable>;
  /** `capability.consumes[]` (inline http adapters) */
  readonly consumes: readonly ConsumedApi[];
  /** `capability.exposes[]` */
  readonly exposes: readonly ExposedAdapter[];
}

/** One key of a `binds[].keys` map. */
export interface BoundVariable {
  /** the key: `POLYTOMIC_API_KEY` */
  readonly name: string;
  /** `binds[].namespace` */
  readonly namespace: string;
  /** the value of the key: the environment variable, or the key in the `location` file */
  readonly source: string;
  /** `binds[].location`, absent for the process environment */
  readonly location?: string;
  /** undefined when unset (never fatal at load; a call that needs it fails naming the variable) */
  readonly value: string | undefined;
}

/** `capability.consumes[]` with `type: http` */
export interface ConsumedApi {
  readonly namespace: string;
  readonly description?: string;
  /** `baseUri`, binds allowed; never ends with '/' */
  readonly baseUri: Template;
  /** `authentication` */
  readonly authentication?: Authentication;
  /** `consumes[].resources[].operations[]` by operation name */
  readonly operations: ReadonlyMap<string, ConsumedOperation>;
  readonly pointer: string;
}

/** `consumes[].resources[].operations[]` */
export interface ConsumedOperation {
  /** `namespace.name`, the form used by `call` */
  readonly ref: string;
  readonly namespace: string;
  /** `resources[].name` */
  readonly resource: string;
  readonly name: string;
  readonly method: HttpMethod;
  readonly description?: string;
  /** `resources[].path`; `{x}` and `{{x}}` are both placeholders */
  readonly path: Template;
  /** consumes-, resource- and operation-level `inputParameters`, merged (the most specific wins) */
  readonly parameters: readonly ConsumedParameter[];
  /** `outputRawFormat` (default json) */
  readonly outputRawFormat: OutputFormat;
  /** `outputParameters` */
  readonly outputParameters: readonly ConsumedOutputParameter[];
  /** `body` */
  readonly body?: RequestBodySpec;
  readonly pointer: string;
}

export interface ConsumedParameter {
  readonly name: string;
  readonly in: ParamLocation;
  /** dialect: `type`, `description`, `required` on consumed parameters */
  readonly type?: ParamType;
  readonly description?: string;
  readonly required: boolean;
  /** `value`: a static value or a `{{template}}` */
  readonly value?: Template;
}

export interface ConsumedOutputParameter {
  readonly name: string;
  readonly type: string;
  /** JSONPath */
  readonly value: string;
}

export type Authentication =
  | { readonly type: 'bearer'; readonly token: Template }
  | { readonly type: 'basic'; readonly username: Template; readonly password: Template }
  | { readonly type: 'apikey'; readonly key: string; readonly value: Template; readonly placement: 'header' | 'query' }
  | { readonly type: 'digest'; readonly username: Template; readonly password: Template }
  | { readonly type: 'oauth2'; readonly settings: Readonly<Record<string, unknown>> };

export type RequestBodySpec =
  | { readonly type: 'json'; readonly data: unknown }
  | { readonly type: 'text' | 'xml' | 'sparql'; readonly data: Template }
  | { readonly type: 'formUrlEncoded'; readonly data: Template | ReadonlyMap<string, Template> }
  | { readonly type: 'multipartForm'; readonly parts: readonly { name: string; value: Template; filename?: string; contentType?: string }[] }
  | { readonly type: 'raw'; readonly data: Template };

// ───────────────────────────── exposed side ─────────────────────────────

export type ExposedAdapter = RestAdapter | McpAdapter | UnservedAdapter;

interface AdapterBase {
  readonly namespace: string;
  readonly description?: string;
  /** `address`, default 127.0.0.1 */
  readonly address: string;
  readonly pointer: string;
}

/** `exposes[]` with `type: rest` */
export interface RestAdapter extends AdapterBase {
  readonly type: 'rest';
  readonly port: number;
  readonly operations: readonly ExposedOperation[];
  /** resources with `forward` (loaded, not served yet) */
  readonly forwards: readonly { path: string; targetNamespace: string; pointer: string }[];
}

/** `exposes[]` with `type: mcp` */
export interface McpAdapter extends AdapterBase {
  readonly type: 'mcp';
  readonly transport: 'http' | 'stdio';
  /** absent for stdio */
  readonly port?: number;
  readonly tools: readonly ExposedOperation[];
}

/** `exposes[]` of a type naftiko-run loads but does not serve yet (skill, control) */
export interface UnservedAdapter extends AdapterBase {
  readonly type: 'skill' | 'control';
  readonly port?: number;
}

/** A REST operation or an MCP tool: one thing a caller can invoke. */
export interface ExposedOperation {
  /** `rest:GET /v1/x` or `mcp:tool-name`, for logs and messages */
  readonly id: string;
  readonly adapter: string;
  readonly name: string;
  /** `label` (MCP `title`) */
  readonly label?: string;
  readonly description?: string;
  /** REST only */
  readonly method?: HttpMethod;
  /** REST only: `resources[].path` */
  readonly path?: string;
  /** declared `inputParameters`, or inferred from the call (SEMANTICS §3) */
  readonly inputs: readonly ExposedInput[];
  readonly inputsInferred: boolean;
  /** what runs: a consumed call, a mock, or a feature not served yet */
  readonly handler: OperationHandler;
  /** `hints` (MCP) */
  readonly hints?: ToolHints;
  readonly pointer: string;
}

export interface ExposedInput {
  readonly name: string;
  /** REST: where the caller puts it. MCP: always an argument; `in` kept for information. */
  readonly in: 'path' | 'query' | 'header' | 'cookie' | 'body';
  readonly type: ParamType;
  readonly description?: string;
  readonly required: boolean;
  readonly pattern?: string;
  /** REST body inputs: a JSONPath into the request body (`value: $.user.id`) */
  readonly bodyPath?: string;
  /** the consumed parameter is the credential that `authentication` supplies (hidden from MCP) */
  readonly credential: boolean;
}

export interface ToolHints {
  readonly readOnly?: boolean;
  readonly destructive?: boolean;
  readonly idempotent?: boolean;
  readonly openWorld?: boolean;
}

export type OperationHandler = CallHandler | MockHandler | UnservedHandler;

/** `call` + `with` + `outputParameters` */
export interface CallHandler {
  readonly kind: 'call';
  readonly operation: ConsumedOperation;
  /** `with`, one entry per consumed argument */
  readonly with: readonly WithArgument[];
  /** true when `with` was absent: inputs pass through by name */
  readonly withImplicit: boolean;
  readonly output: OutputShape;
}

/** outputs with static `value`s and no `call` */
export interface MockHandler {
  readonly kind: 'mock';
  readonly output: OutputNode;
}

/** `steps`, `ref`, `forward`: loaded and validated, not served yet */
export interface UnservedHandler {
  readonly kind: 'unserved';
  readonly feature: 'steps' | 'ref' | 'forward' | 'none';
}

export interface WithArgument {
  /** consumed parameter (or path placeholder) name */
  readonly target: string;
  readonly source: WithSource;
}

export type WithSource =
  | { readonly kind: 'input'; readonly name: string }
  | { readonly kind: 'template'; readonly template: Template }
  | { readonly kind: 'literal'; readonly value: string | number };

/** How the upstream answer becomes the caller's answer. */
export type OutputShape =
  | { readonly kind: 'passthrough' }
  | { readonly kind: 'mapped'; readonly root: OutputNode };

export type OutputNode =
  | { readonly kind: 'scalar'; readonly type: 'string' | 'number' | 'boolean' | 'integer'; readonly path?: string; readonly value?: Template | string | number | boolean }
  | { readonly kind: 'object'; readonly path?: string; readonly properties: ReadonlyMap<string, OutputNode>; readonly value?: unknown }
  | { readonly kind: 'array'; readonly path?: string; readonly items?: OutputNode; readonly value?: unknown }
  /** several top-level named outputs, as `outputParameters: [{name: a, …}, {name: b, …}]` */
  | { readonly kind: 'named'; readonly fields: ReadonlyMap<string, OutputNode> };
