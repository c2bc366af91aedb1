/** Exposed operation → MCP tool definition (name, title, description, inputSchema, annotations, outputSchema). */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ExposedOperation, OutputNode } from '../../spec/model.js';
import { outputMayHoldNulls, outputNodeOf, outputSchema } from '../output-schema.js';

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
  const toolOutput = node ? objectSchema(node, outputMayHoldNulls(op)) : undefined;
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
    ...(toolOutput ? { outputSchema: toolOutput } : {}),
    ...(annotations ? { annotations } : {}),
  } as Tool;
}

/** outputSchema only for outputs that are always a JSON object. */
function objectSchema(node: OutputNode, nullable: boolean): Tool['outputSchema'] | undefined {
  if (node.kind !== 'object' && node.kind !== 'named') return undefined;
  const s = outputSchema(node, nullable) as { properties?: Record<string, object> };
  if (!s.properties || Object.keys(s.properties).length === 0) return undefined;
  return { type: 'object', properties: s.properties };
}
