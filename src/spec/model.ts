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
export const DECODED_FORMATS: ReadonlySet<OutputFormat> = new Set(['json', 'yaml', 'csv', 'tsv', 'psv', 'xml', 'html', 'markdown', 'avro', 'protobuf']);

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
  /** the file the location resolved to (the working directory is tried first, then the capability's folder) */
  readonly file?: string;
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
  /** consumes-level `inputParameters` (server-side: every call and forward carries them) */
  readonly parameters: readonly ConsumedParameter[];
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
  /**
   * `outputSchema`: for avro/protobuf the schema file, resolved to an absolute path at load (it must
   * exist); for html a CSS selector; for markdown a heading prefix. Absent when not given.
   */
  readonly outputSchema?: string;
  /** `outputParameters` */
  readonly outputParameters: readonly ConsumedOutputParameter[];
  /** `body` */
  readonly body?: RequestBodySpec;
  /** `x-cache` (naftiko-run extension): GET answers kept and shared */
  readonly cache?: ResponseCacheSpec;
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
  /**
   * declared at the consumes (adapter) level: a server-side value (a header every call carries). It is
   * rendered from binds only; a caller's input never replaces it.
   */
  readonly serverSide?: boolean;
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
  | { readonly type: 'oauth2'; readonly settings: Readonly<Record<string, unknown>>; readonly client?: OAuth2Client };

/**
 * Upstream OAuth2 client credentials (naftiko-run extension, FEATURES §12): present on a consumes
 * `oauth2` that names a `clientId`, a `clientSecret` and a `tokenEndpoint` or `authorizationServerUri`.
 */
export interface OAuth2Client {
  /** rendered from binds only; absent, it is discovered from `authorizationServerUri`'s metadata */
  readonly tokenEndpoint?: Template;
  readonly authorizationServerUri?: Template;
  readonly clientId: Template;
  readonly clientSecret: Template;
  /** how the client authenticates at the token endpoint (RFC 6749 §2.3.1) */
  readonly clientAuthMethod: 'client_secret_basic' | 'client_secret_post';
  readonly scopes: readonly string[];
  readonly audience?: string;
  readonly resource?: string;
}

/**
 * Inbound `type: oauth2` (FEATURES §10): this adapter is an OAuth 2.1 resource server that accepts JWT
 * access tokens of `issuer`, checked against the issuer's JWKS.
 */
export interface OAuth2ResourceServer {
  readonly type: 'oauth2';
  /** `authorizationServerUri`: the `iss` a token must carry, and where its metadata is discovered */
  readonly issuer: string;
  /** `resource` (RFC 8707/9728): this adapter's identifier, and where its metadata document lives */
  readonly resource: string;
  /** `audience ?? resource`: what the token's `aud` must contain */
  readonly audience: string;
  /** every one of them must be granted by the token */
  readonly scopes: readonly string[];
  readonly tokenValidation: 'jwks' | 'introspection';
}

/** What an exposed adapter may require of its callers. */
export type InboundAuthentication = Exclude<Authentication, { readonly type: 'oauth2' }> | OAuth2ResourceServer;

export type RequestBodySpec =
  | { readonly type: 'json'; readonly data: unknown }
  | { readonly type: 'text' | 'xml' | 'sparql'; readonly data: Template }
  | { readonly type: 'formUrlEncoded'; readonly data: Template | ReadonlyMap<string, Template> }
  | { readonly type: 'multipartForm'; readonly parts: readonly { name: string; value: Template; filename?: string; contentType?: string }[] }
  | { readonly type: 'raw'; readonly data: Template };

// ───────────────────────────── exposed side ─────────────────────────────

export type ExposedAdapter = RestAdapter | McpAdapter | SkillAdapter | ControlAdapter;

interface AdapterBase {
  readonly namespace: string;
  readonly description?: string;
  /** `address`, default 127.0.0.1 */
  readonly address: string;
  /** inbound `authentication`: what a caller must present (FEATURES §10) */
  readonly authentication?: InboundAuthentication;
  readonly pointer: string;
}

/** `exposes[]` with `type: rest` */
export interface RestAdapter extends AdapterBase {
  readonly type: 'rest';
  readonly port: number;
  readonly operations: readonly ExposedOperation[];
  /** resources with `forward` */
  readonly forwards: readonly ForwardSpec[];
}

/** `resources[].forward`: a reverse proxy of the rest of the path to a consumed API (FEATURES §7). */
export interface ForwardSpec {
  /** `resources[].path` as written (`/notion/{{path}}`) */
  readonly path: string;
  /** the literal part before the `{path}` placeholder, without a trailing `/` (`/notion`) */
  readonly prefix: string;
  /** true when the resource path ends with a `{path}` / `{{path}}` placeholder (matches the rest of the URL) */
  readonly wildcard: boolean;
  /** `forward.targetNamespace`: a consumes namespace (after import aliasing) */
  readonly targetNamespace: string;
  /** `forward.trustedHeaders`, lower-cased */
  readonly trustedHeaders: readonly string[];
  /** methods that declared operations on the same resource handle themselves */
  readonly operationMethods: readonly HttpMethod[];
  readonly pointer: string;
}

/** `exposes[]` with `type: mcp` */
export interface McpAdapter extends AdapterBase {
  readonly type: 'mcp';
  readonly transport: 'http' | 'stdio';
  /** absent for stdio */
  readonly port?: number;
  readonly tools: readonly ExposedOperation[];
  /** `resources[]` (FEATURES §8), in declaration order */
  readonly resources: readonly McpResource[];
  /** `prompts[]` (FEATURES §9), in declaration order */
  readonly prompts: readonly McpPrompt[];
}

/** `resources[]` of an MCP adapter: files under a folder, or the answer of a call or steps. */
export type McpResource = StaticResource | DynamicResource;

interface McpResourceBase {
  readonly name: string;
  /** `label` (MCP `title`) */
  readonly label?: string;
  readonly description?: string;
  /** `mimeType`; absent: by extension (static) or from the answer (dynamic) */
  readonly mimeType?: string;
  readonly pointer: string;
}

/** `location: file:///dir`: each file under the folder is the resource `uri + "/" + relative path`. */
export interface StaticResource extends McpResourceBase {
  readonly kind: 'static';
  /** `uri` as written: `docs://api` and `docs://api/` both name `docs://api/<path>`; `notes://` names `notes://<path>` */
  readonly uri: string;
  /** `location`, resolved to an existing directory at load */
  readonly directory: string;
}

/** `call` or `steps`: read through the invoker; a templated `uri` makes it a resource template. */
export interface DynamicResource extends McpResourceBase {
  readonly kind: 'dynamic';
  /** `uri` with `{{x}}` written `{x}` (the MCP `uriTemplate` when `variables` is not empty) */
  readonly uri: string;
  /** RFC 6570 level-1 variables of `uri`, in order; empty for a plain URI */
  readonly variables: readonly string[];
  /** what runs; its inputs are the URI variables (strings, percent-decoded) */
  readonly operation: ExposedOperation;
}

/** `prompts[]` of an MCP adapter */
export interface McpPrompt {
  readonly name: string;
  readonly label?: string;
  readonly description?: string;
  readonly arguments: readonly McpPromptArgument[];
  /** `template[]`, or the `location` file (read at load) as one `user` message */
  readonly messages: readonly { readonly role: 'user' | 'assistant'; readonly content: string }[];
  readonly pointer: string;
}

export interface McpPromptArgument {
  readonly name: string;
  readonly label?: string;
  readonly description?: string;
  /** default true (alpha3 schema) */
  readonly required: boolean;
}

/** `exposes[]` with `type: skill`: a read-only catalog of skills over sibling adapters (FEATURES §14) */
export interface SkillAdapter extends AdapterBase {
  readonly type: 'skill';
  readonly port: number;
  readonly skills: readonly ExposedSkill[];
}

/** `skills[]` of a skill adapter; optional Agent Skills frontmatter fields are absent when not given */
export interface ExposedSkill {
  readonly name: string;
  readonly description: string;
  readonly license?: string;
  readonly compatibility?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly allowedTools?: string;
  readonly argumentHint?: string;
  readonly userInvocable?: boolean;
  readonly disableModelInvocation?: boolean;
  /** `location`, resolved to an absolute directory at load */
  readonly location?: string;
  readonly tools: readonly SkillTool[];
  readonly pointer: string;
}

export type SkillTool =
  | {
      readonly kind: 'derived';
      readonly name: string;
      readonly description: string;
      /** `from.sourceNamespace`: a sibling rest or mcp adapter */
      readonly sourceNamespace: string;
      /** `from.action`: a tool of the mcp sibling or an operation name of the rest sibling */
      readonly action: string;
      readonly mode: 'mcp' | 'rest';
    }
  | {
      readonly kind: 'instruction';
      readonly name: string;
      readonly description: string;
      /** `instruction`: a path relative to the skill's location */
      readonly instruction: string;
    };

/** `exposes[]` with `type: control`: health, status, metrics, traces and reload of the running process (FEATURES §15) */
export interface ControlAdapter extends AdapterBase {
  readonly type: 'control';
  readonly port: number;
  readonly management: ControlManagement;
  readonly observability: Observability;
}

export interface ControlManagement {
  /** `/health/live`, `/health/ready` (default true) */
  readonly health: boolean;
  /** `/status` (default false) */
  readonly info: boolean;
  /** `POST /reload` (default false) */
  readonly reload: boolean;
}

export interface Observability {
  /** false: no /metrics, no /traces, nothing measured, no trace context upstream */
  readonly enabled: boolean;
  /** `/metrics` */
  readonly metrics: boolean;
  /** absent when traces are off */
  readonly traces?: { readonly sampling: number; readonly propagation: 'w3c' | 'b3'; readonly bufferSize: number };
  /** `exporters.otlp.endpoint`, binds rendered */
  readonly otlpEndpoint?: string;
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
  /** `x-rate-limit` (naftiko-run extension), or `--rate-limit` */
  readonly rateLimit?: RateLimit;
  readonly pointer: string;
}

/** At most `max` calls per `windowMs`, counted over all callers of one exposed operation or tool. */
export interface RateLimit {
  readonly max: number;
  readonly windowMs: number;
}

/** `x-cache` on a consumed GET operation (naftiko-run extension). */
export interface ResponseCacheSpec {
  readonly ttlMs: number;
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
  /** `value` that is not a JSONPath: a constant the caller cannot override (binds rendered at load) */
  readonly constant?: string;
  /** the consumed parameter is the credential that `authentication` supplies (hidden from MCP) */
  readonly credential: boolean;
}

export interface ToolHints {
  readonly readOnly?: boolean;
  readonly destructive?: boolean;
  readonly idempotent?: boolean;
  readonly openWorld?: boolean;
}

export type OperationHandler = CallHandler | MockHandler | StepsHandler | UnservedHandler;

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

/** `steps` + `mappings`: an orchestration (FEATURES §3–§6) */
export interface StepsHandler {
  readonly kind: 'steps';
  /** the operation's own `with` (and an aggregate function's), applied to the inputs before the first step */
  readonly initial: readonly StepArgument[];
  readonly steps: readonly Step[];
  /** `mappings`; empty means the last call step's answer is the result */
  readonly mappings: readonly StepMapping[];
  /** exposed mapped `outputParameters` applied to the last call's answer when there are no mappings */
  readonly output: OutputShape;
  /** orchestrated `outputParameters` (declarative: outputSchema and scalar coercion) */
  readonly declaredOutput?: OutputNode;
}

export type Step = CallStep | LookupStep | ScriptStep;

interface StepBase {
  readonly name: string;
  /** indexes (into `steps`) of the earlier steps this one reads; independent call steps may run together */
  readonly dependsOn: readonly number[];
  readonly pointer: string;
}

export interface CallStep extends StepBase {
  readonly kind: 'call';
  readonly operation: ConsumedOperation;
  /** the step's `with`, on top of every input passed by name */
  readonly with: readonly StepArgument[];
}

export interface LookupStep extends StepBase {
  readonly kind: 'lookup';
  /** `index`: the name of an earlier call or script step */
  readonly index: string;
  /** `match`: the field of each index entry compared with the value */
  readonly match: string;
  readonly lookupValue: ValueExpr;
  /** `outputParameters`: the fields kept; empty keeps the whole entry */
  readonly fields: readonly string[];
}

export interface ScriptStep extends StepBase {
  readonly kind: 'script';
  readonly language: 'javascript' | 'python' | 'groovy';
  /** dependencies then the file, read at load */
  readonly sources: readonly { readonly file: string; readonly code: string }[];
  readonly with: readonly StepArgument[];
  readonly timeoutMs: number;
  /** false when `management.scripting.enabled: false` (calls answer 503); NAFTIKO_SCRIPTING=false is checked per call */
  readonly enabled: boolean;
}

export interface StepArgument {
  readonly target: string;
  readonly value: ValueExpr;
}

export interface StepMapping {
  /** `targetName` (or `target`), split on `.` */
  readonly target: readonly string[];
  readonly value: ValueExpr;
  /** a declared scalar type to coerce numeric/boolean strings to */
  readonly type?: string;
}

/**
 * A value inside an orchestration (FEATURES §1.2): a step output path, an input, a template over inputs,
 * step outputs and binds, or a literal.
 */
export type ValueExpr =
  | { readonly kind: 'step'; readonly step: string; readonly path: string }
  /** `$.x` where x names no step: the path in the last call step's output (spec §3.14.4) */
  | { readonly kind: 'last-call'; readonly path: string }
  | { readonly kind: 'input'; readonly name: string }
  | { readonly kind: 'template'; readonly template: Template }
  | { readonly kind: 'literal'; readonly value: unknown };

/** `ref`, `forward`: loaded and validated, not served yet */
export interface UnservedHandler {
  readonly kind: 'unserved';
  readonly feature: 'steps' | 'ref' | 'forward' | 'none';
  /** why, when it is not simply "not yet" (python/groovy scripts) */
  readonly detail?: string;
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
