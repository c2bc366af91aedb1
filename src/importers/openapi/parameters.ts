/** One operation's OpenAPI parameters and request body → consumed `inputParameters`. */
import { pointerOf } from '../../spec/diagnostics.js';
import type { ParamType } from '../../spec/model.js';
import { isParameterName, placeholderName } from './names.js';
import { objectShape, schemaType } from './schema-types.js';
import type { OpenApiVersion } from './read.js';
import type { ImportWarnings } from './warnings.js';

export interface ConsumedParam {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie' | 'body';
  type?: ParamType;
  required?: true;
  description?: string;
}

export interface OperationInput {
  readonly version: OpenApiVersion;
  readonly path: string;
  readonly method: string;
  readonly pathItem: Record<string, any>;
  readonly operation: Record<string, any>;
  /** the document's `consumes` (2.0) */
  readonly documentConsumes?: unknown;
  /** `in:name` (lower case) of what the authentication already sends */
  readonly supplies: ReadonlySet<string>;
}

/** Headers OpenAPI 3 says a parameter cannot set (the content negotiation and the authorization). */
const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization']);
const LOCATIONS = new Set(['path', 'query', 'header', 'cookie']);

/** The parameters, and the renaming of path placeholders whose OpenAPI names the format does not accept. */
export function operationParameters(input: OperationInput, warnings: ImportWarnings): { params: ConsumedParam[]; renamed: Map<string, string> } {
  const { path, method } = input;
  const merged = new Map<string, { p: Record<string, any>; at: (string | number)[] }>();
  const add = (list: unknown, at: (string | number)[]) => {
    if (!Array.isArray(list)) return;
    list.forEach((p, i) => {
      if (!p || typeof p !== 'object' || typeof p.name !== 'string' || typeof p.in !== 'string') return; // an unresolved $ref was reported already
      merged.set(`${p.in}:${p.name}`, { p, at: [...at, i] }); // the operation's own wins over the path's
    });
  };
  add(input.pathItem.parameters, ['paths', path, 'parameters']);
  add(input.operation.parameters, ['paths', path, method, 'parameters']);

  const params: ConsumedParam[] = [];
  const renamed = new Map<string, string>();
  const names = new Set<string>();
  let body: { schema: unknown; required: boolean; description?: string; at: (string | number)[] } | undefined;
  for (const { p, at } of merged.values()) {
    const pointer = pointerOf(at);
    if (p.in === 'body') {
      body = { schema: p.schema, required: p.required === true, ...(typeof p.description === 'string' ? { description: p.description } : {}), at };
      continue;
    }
    if (p.in === 'formData') {
      warnings.add('NR_WARN_IMPORT_BODY', pointer, `form field "${p.name}" is not imported: only JSON request bodies are mapped; add a formUrlEncoded or multipartForm body by hand`);
      continue;
    }
    if (!LOCATIONS.has(p.in)) {
      warnings.add('NR_WARN_IMPORT_PARAMETER', pointer, `parameter "${p.name}" in "${p.in}" is not imported: naftiko-run maps path, query, header and cookie parameters`);
      continue;
    }
    const lower = String(p.name).toLowerCase();
    if (p.in === 'header' && IGNORED_HEADERS.has(lower) && (input.version !== '2.0' || lower !== 'authorization')) continue;
    if (input.supplies.has(`${p.in}:${lower}`)) continue; // the imported authentication sends it
    let name: string = p.name;
    if (p.in === 'path') {
      name = placeholderName(p.name);
      if (name !== p.name) renamed.set(p.name, name);
    } else if (!isParameterName(name)) {
      warnings.add('NR_WARN_IMPORT_PARAMETER', pointer, `${p.in} parameter "${p.name}" is not imported: a consumed parameter name may only hold letters, digits, "-", "_" and "*"; add it by hand as a constant (a parameter with a value) if the API needs it`);
      continue;
    }
    if (names.has(name)) {
      warnings.add('NR_WARN_IMPORT_PARAMETER', pointer, `${p.in} parameter "${p.name}" is not imported: another parameter of this operation has the name "${name}", and inputs are matched by name`);
      continue;
    }
    names.add(name);
    params.push(parameter(name, p, pointer, input.version, warnings));
  }

  // placeholders of the path that no parameter declares still need a value
  for (const m of path.matchAll(/\{([^{}]+)\}/g)) {
    const name = placeholderName(m[1]!);
    if (name !== m[1]) renamed.set(m[1]!, name);
    if (!params.some((p) => p.in === 'path' && p.name === name)) {
      names.add(name);
      params.push({ name, in: 'path', type: 'string', required: true });
    }
  }

  const requestBody = input.version === '2.0' ? swaggerBody(body, input, warnings) : openApiBody(input, warnings);
  if (requestBody) params.push(...bodyParameters(requestBody, names, warnings));
  return { params, renamed };
}

function parameter(name: string, p: Record<string, any>, pointer: string, version: OpenApiVersion, warnings: ImportWarnings): ConsumedParam {
  const schema = version === '2.0' ? p : p.schema ?? firstMediaSchema(p.content);
  let type = version === '2.0' && p.type === 'file' ? undefined : schemaType(schema);
  let description: string | undefined = typeof p.description === 'string' ? p.description.trim() : undefined;
  if (type === 'array' && !exploded(p, version)) {
    // a delimited list is one value to the upstream: the caller writes it as such
    const separator = delimiter(p, version);
    type = 'string';
    description = [description, `A list written as one value, items separated by "${separator}".`].filter(Boolean).join(' ');
  }
  if (type === 'object' && p.in !== 'body') {
    warnings.add('NR_WARN_IMPORT_PARAMETER', pointer, `${p.in} parameter "${p.name}" is an object${p.style ? ` (style ${p.style})` : ''}: naftiko-run sends it as JSON text, not in the OpenAPI serialization`);
  }
  return {
    name,
    in: p.in,
    ...(type ? { type } : {}),
    ...(p.required === true || p.in === 'path' ? { required: true as const } : {}),
    ...(description ? { description } : {}),
  };
}

/** Whether an array parameter is sent as repeated `name=v` pairs (what naftiko-run sends for an array). */
function exploded(p: Record<string, any>, version: OpenApiVersion): boolean {
  if (version === '2.0') return p.collectionFormat === 'multi';
  if (p.in !== 'query' && p.in !== 'cookie') return false;
  const style = p.style ?? 'form';
  return style === 'form' && p.explode !== false;
}

function delimiter(p: Record<string, any>, version: OpenApiVersion): string {
  const style = version === '2.0' ? p.collectionFormat : p.style;
  return style === 'ssv' || style === 'spaceDelimited' ? ' ' : style === 'tsv' ? '\t' : style === 'pipes' || style === 'pipeDelimited' ? '|' : ',';
}

function firstMediaSchema(content: unknown): unknown {
  if (!content || typeof content !== 'object') return undefined;
  const first = Object.values(content as Record<string, any>)[0];
  return first?.schema;
}

interface RequestBody {
  schema: unknown;
  required: boolean;
  description?: string;
  at: (string | number)[];
}

const isJson = (mediaType: string) => /^application\/(.+\+)?json\b/i.test(mediaType) || mediaType === '*/*';

function openApiBody(input: OperationInput, warnings: ImportWarnings): RequestBody | undefined {
  const rb = input.operation.requestBody;
  if (!rb || typeof rb !== 'object' || !rb.content || typeof rb.content !== 'object') return undefined;
  const at = ['paths', input.path, input.method, 'requestBody'];
  const types = Object.keys(rb.content);
  const json = types.find(isJson);
  if (json === undefined) {
    if (types.length) warnings.add('NR_WARN_IMPORT_BODY', pointerOf([...at, 'content']), `request body ${types.join(', ')} is not imported: only JSON request bodies are mapped; add a multipartForm, formUrlEncoded, text or xml body by hand`);
    return undefined;
  }
  return { schema: rb.content[json]?.schema, required: rb.required === true, ...(typeof rb.description === 'string' ? { description: rb.description.trim() } : {}), at: [...at, 'content', json] };
}

function swaggerBody(body: RequestBody | undefined, input: OperationInput, warnings: ImportWarnings): RequestBody | undefined {
  if (!body) return undefined;
  const consumes: unknown = input.operation.consumes ?? input.documentConsumes;
  if (Array.isArray(consumes) && consumes.length > 0 && !consumes.some((c) => typeof c === 'string' && isJson(c))) {
    warnings.add('NR_WARN_IMPORT_BODY', pointerOf(body.at), `request body (${consumes.join(', ')}) is not imported: only JSON request bodies are mapped`);
    return undefined;
  }
  return body;
}

/**
 * An object body with named properties becomes one `in: body` parameter per property (the caller
 * gives fields; `readOnly` ones are the server's); anything else, or a property whose name the format
 * does not accept or that another parameter has, is one parameter named `body`: the whole body.
 */
function bodyParameters(body: RequestBody, taken: Set<string>, warnings: ImportWarnings): ConsumedParam[] {
  const type = schemaType(body.schema);
  const shape = type === 'object' ? objectShape(body.schema) : undefined;
  const fields = shape ? [...shape.properties].filter(([, s]) => s.readOnly !== true) : [];
  const byField = fields.length > 0 && fields.every(([k]) => isParameterName(k) && !taken.has(k));
  if (byField) {
    return fields.map(([k, s]) => {
      const t = schemaType(s);
      const description = typeof s.description === 'string' ? s.description.trim() : undefined;
      return { name: k, in: 'body' as const, ...(t ? { type: t } : {}), ...(body.required && shape!.required.has(k) ? { required: true as const } : {}), ...(description ? { description } : {}) };
    });
  }
  if (taken.has('body')) {
    warnings.add('NR_WARN_IMPORT_BODY', pointerOf(body.at), 'request body is not imported: another parameter of this operation is named "body", the name a whole body takes');
    return [];
  }
  return [{ name: 'body', in: 'body', ...(type ? { type } : {}), ...(body.required ? { required: true as const } : {}), description: body.description || 'The request body (JSON).' }];
}
