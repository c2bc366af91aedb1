/** Exposed REST paths (`/x/{id}`, `/x/{{id}}`) → fastify route URLs (`/x/:id`). */
export function toFastifyPath(path: string): string {
  // a literal ':' (Google-style `/jobs/{id}:cancel`) is written '::' for fastify, else it starts a
  // parameter; a parameter right before one needs a pattern to end it, or it swallows the rest
  let p = '';
  let last = 0;
  for (const m of path.matchAll(/\{\{\s*([^{}\s]+)\s*\}\}|\{([^{}\s/]+)\}/g)) {
    const colonNext = path[m.index + m[0].length] === ':';
    p += path.slice(last, m.index).replace(/:/g, '::') + `:${safeParamName(m[1] ?? m[2] ?? '')}${colonNext ? '(^[^/:]+)' : ''}`;
    last = m.index + m[0].length;
  }
  p += path.slice(last).replace(/:/g, '::');
  return p.startsWith('/') ? p : `/${p}`;
}

/** fastify params are word characters; other characters are mapped and mapped back on read. */
export function safeParamName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, (c) => `_${c.charCodeAt(0).toString(16)}_`);
}

export const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
