/** resources/* and prompts/* handlers on one SDK server (loaded with the SDK, by protocol.ts). */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  GetPromptRequestSchema, ListPromptsRequestSchema, ListResourcesRequestSchema, ListResourceTemplatesRequestSchema, ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { McpContent } from './content.js';

/** The `capabilities` entries to advertise: only what the adapter declares (no subscribe, no list changes). */
export function contentCapabilities(content: McpContent) {
  return {
    ...(content.resources ? { resources: { subscribe: false, listChanged: false } } : {}),
    ...(content.prompts ? { prompts: { listChanged: false } } : {}),
  };
}

export function registerContent(server: Server, content: McpContent): void {
  const { resources, prompts } = content;
  if (resources) {
    const templates = { resourceTemplates: [...resources.templates] };
    server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: await resources.list() }));
    server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => templates);
    server.setRequestHandler(ReadResourceRequestSchema, async (req, extra) => resources.read(req.params.uri, extra.signal));
  }
  if (prompts) {
    const list = { prompts: [...prompts.list] };
    server.setRequestHandler(ListPromptsRequestSchema, async () => list);
    server.setRequestHandler(GetPromptRequestSchema, async (req) => prompts.get(req.params.name, req.params.arguments ?? {}));
  }
}
