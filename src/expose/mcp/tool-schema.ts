/** Exposed operation → MCP tool definition (name, title, description, inputSchema, annotations, outputSchema). */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ExposedOperation, OutputNode } from '../../spec/model.js';

export function toolDefinition(op: ExposedOperation): Tool {
  const visible = op.inputs.filter((i) => !i.credential);
  const properties: Record<string, object> = {};
  for (const input of visible) {
    properties[input.name] = {
      type: input.type,
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.pattern !== undefined ? { pattern: input.pattern } : {}),
    };
  }
  const required = visible.filter((i) => i.required).map((i) => i.name);
  const outputSchema = op.handler.kind === 'call' && op.handler.output.kind === 'mapped' ? objectSchema(op.handler.output.root) : op.handler.kind === 'mock' ? objectSchema(op.handler.output) : undefined;
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

/** outputSchema only for outputs that are always a JSON object. */
function objectSchema(node: OutputNode): Tool['outputSchema'] | undefined {
  if (node.kind !== 'object' && node.kind !== 'named') return undefined;
  const s = schemaOf(node) as { properties?: Record<string, object> };
  if (!s.properties || Object.keys(s.properties).length === 0) return undefined;
  return { type: 'object', properties: s.properties };
}

function schemaOf(node: OutputNode): object {
  switch (node.kind) {
    case 'scalar':
      return { type: node.type };
    case 'array':
      return node.items ? { type: 'array', items: schemaOf(node.items) } : { type: 'array' };
    case 'object':
      return node.properties.size ? { type: 'object', properties: Object.fromEntries([...node.properties].map(([k, n]) => [k, schemaOf(n)])) } : { type: 'object' };
    case 'named':
      return { type: 'object', properties: Object.fromEntries([...node.fields].map(([k, n]) => [k, schemaOf(n)])) };
  }
}
