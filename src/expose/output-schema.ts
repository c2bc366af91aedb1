/**
 * The declared shape of what an exposed operation answers, as JSON Schema: the MCP tool's
 * `outputSchema` and the OpenAPI document's response schemas come from here.
 */
import type { ExposedOperation, OutputNode } from '../spec/model.js';

/** The declared output of an operation, when it has one (a mock, a mapped call, an orchestration's declared outputs). */
export function outputNodeOf(op: ExposedOperation): OutputNode | undefined {
  const h = op.handler;
  if (h.kind === 'mock') return h.output;
  if (h.kind === 'call') return h.output.kind === 'mapped' ? h.output.root : undefined;
  if (h.kind === 'steps') {
    if (h.mappings.length > 0) return h.declaredOutput;
    return h.output.kind === 'mapped' ? h.output.root : undefined;
  }
  return undefined;
}

/** An orchestration writes null where a mapping resolves to nothing: its declared fields may be null. */
export function outputMayHoldNulls(op: ExposedOperation): boolean {
  return op.handler.kind === 'steps';
}

/** JSON Schema (2020-12) of an output node; `nullable` lets every field be null as well. */
export function outputSchema(node: OutputNode, nullable: boolean): Record<string, unknown> {
  const type = (t: string) => (nullable ? [t, 'null'] : t);
  switch (node.kind) {
    case 'scalar':
      return { type: type(node.type) };
    case 'array':
      return node.items ? { type: type('array'), items: outputSchema(node.items, nullable) } : { type: type('array') };
    case 'object':
      return node.properties.size ? { type: type('object'), properties: Object.fromEntries([...node.properties].map(([k, n]) => [k, outputSchema(n, nullable)])) } : { type: type('object') };
    case 'named':
      return { type: 'object', properties: Object.fromEntries([...node.fields].map(([k, n]) => [k, outputSchema(n, nullable)])) };
  }
}
