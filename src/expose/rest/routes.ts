/** Exposed REST paths (`/x/{id}`, `/x/{{id}}`) → fastify route URLs (`/x/:id`). */
export function toFastifyPath(path: string): string {
  const p = path.replace(/\{\{\s*([^{}\s]+)\s*\}\}|\{([^{}\s/]+)\}/g, (_m, a: string | undefined, b: string | undefined) => `:${safeParamName(a ?? b ?? '')}`);
  return p.startsWith('/') ? p : `/${p}`;
}

/** fastify params are word characters; other characters are mapped and mapped back on read. */
export function safeParamName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, (c) => `_${c.charCodeAt(0).toString(16)}_`);
}

export const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
