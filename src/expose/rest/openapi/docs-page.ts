/**
 * The interactive docs page (`/docs`): Swagger UI from the swagger-ui-dist package, served by the
 * adapter itself (no CDN, works offline) under a strict Content-Security-Policy: only this origin's
 * scripts, styles, images and fetches, no inline script, no framing.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

export const DOCS_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Files of swagger-ui-dist the page loads, by the name they are served under. */
const VENDOR = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
} as const;

export type DocsAsset = keyof typeof VENDOR | 'init.js';
export const DOCS_ASSETS: readonly DocsAsset[] = [...(Object.keys(VENDOR) as (keyof typeof VENDOR)[]), 'init.js'];

/** Our own start-up script: a file, not inline, so the policy needs no 'unsafe-inline'. */
const INIT_JS = `window.addEventListener('load', function () {
  var node = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({
    url: node.getAttribute('data-url'),
    domNode: node,
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout'
  });
});
`;

const cache = new Map<DocsAsset, Buffer>();
let vendorDir: string | undefined;

export async function docsAsset(name: DocsAsset): Promise<{ body: Buffer; type: string }> {
  if (name === 'init.js') return { body: Buffer.from(INIT_JS), type: 'text/javascript; charset=utf-8' };
  let body = cache.get(name);
  if (!body) {
    vendorDir ??= path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
    body = await readFile(path.join(vendorDir, name));
    cache.set(name, body);
  }
  return { body, type: VENDOR[name] };
}

export function docsHtml(title: string, prefix: string): string {
  const t = escapeHtml(title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t} — API docs</title>
<link rel="icon" type="image/png" href="${prefix}/docs/favicon-32x32.png">
<link rel="stylesheet" href="${prefix}/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-url="${prefix}/openapi.json"></div>
<script src="${prefix}/docs/swagger-ui-bundle.js"></script>
<script src="${prefix}/docs/init.js"></script>
</body>
</html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
