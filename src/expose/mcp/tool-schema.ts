/** Exposed operation → MCP tool definition (name, title, description, inputSchema, annotations, outputSchema). */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ExposedOperation, OutputNode } from '../../spec/model.js';

export function toolDefinition(op: ExposedOperation): Tool {
  const visible = op.inputs.filter((i) => !i.credential && i.constant === undefined);
  const properties: Record<string, object> = {};
  for (const input of visible) {
    properties[input.name] = {
      type: input.type,
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.pattern !== undefined ? { pattern: input.pattern } : {}),
    };
  }
  const required = visible.filter((i) => i.required).map((i) => i.name);
  const node = outputNodeOf(op);
  // an orchestration writes null where a mapping resolves to nothing: its declared fields may be null
  const outputSchema = node ? objectSchema(node, op.handler.kind === 'steps') : undefined;
  const h = op.hints;
  const annotations = h
    ? {
        ...(h.readOnly !== undefined ? { readOnlyHint: h.readOnly } : {}),
        ...(h.destructive !== undefined ? { destructiveHint: h.destructive } : {}),
        ...(h.idempotent !== undefined ? { idempotentHint: h.idempotent } : {}),
        ...(h.openWorld !== undefined ? { openWorldHint: h.openWorld } : {}),
      }
    : undefined;
  return {
    name: op.name,
    ...(op.label !== undefined ? { title: op.label } : {}),
    ...(op.description !== undefined ? { description: op.description } : {}),
    inputSchema: { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: false },
    ...(outputSchema ? { outputSchema } : {}),
    ...(annotations ? { annotations } : {}),
  } as Tool;
}

/** The declared shape of what a tool answers, when there is one. */
function outputNodeOf(op: ExposedOperation): OutputNode | undefined {
  const h = op.handler;
  if (h.kind === 'mock') return h.output;
  if (h.kind === 'call') return h.output.kind === 'mapped' ? h.output.root : undefined;
  if (h.kind === 'steps') {
    if (h.mappings.length > 0) return h.declaredOutput;
    return h.output.kind === 'mapped' ? h.output.root : undefined;
  }
  return undefined;
}

/** outputSchema only for outputs that are always a JSON object. */
function objectSchema(node: OutputNode, nullable: boolean): Tool['outputSchema'] | undefined {
  if (node.kind !== 'object' && node.kind !== 'named') return undefined;
  const s = schemaOf(node, nullable) as { properties?: Record<string, object> };
  if (!s.properties || Object.keys(s.properties).length === 0) return undefined;
  return { type: 'object', properties: s.properties };
}

function schemaOf(node: OutputNode, nullable: boolean): object {
  const type = (t: string) => (nullable ? [t, 'null'] : t);
  switch (node.kind) {
    case 'scalar':
      return { type: type(node.type) };
    case 'array':
      return node.items ? { type: type('array'), items: schemaOf(node.items, nullable) } : { type: type('array') };
    case 'object':
      return node.properties.size ? { type: type('object'), properties: Object.fromEntries([...node.properties].map(([k, n]) => [k, schemaOf(n, nullable)])) } : { type: type('object') };
    case 'named':
      return { type: 'object', properties: Object.fromEntries([...node.fields].map(([k, n]) => [k, schemaOf(n, nullable)])) };
  }
}
