/**
 * Resources and prompts of an MCP adapter, compiled once (like its tools) and registered on each SDK
 * server by protocol.ts. Loads nothing of the SDK at run time.
 */
import type { McpAdapter } from '../../spec/model.js';
import type { Invoker } from '../../invoke/invoker.js';
import type { ResultLimits } from './tool-result.js';
import { compileResources, type ResourceTable } from './resources.js';
import { compilePrompts, type PromptTable } from './prompts.js';

export interface McpContent {
  /** absent when the adapter declares no resources (nothing is advertised) */
  readonly resources?: ResourceTable;
  /** absent when the adapter declares no prompts */
  readonly prompts?: PromptTable;
}

export function compileContent(adapter: McpAdapter, invoker: Invoker, limits: ResultLimits): McpContent {
  return {
    ...(adapter.resources.length ? { resources: compileResources(adapter, invoker, limits) } : {}),
    ...(adapter.prompts.length ? { prompts: compilePrompts(adapter) } : {}),
  };
}
