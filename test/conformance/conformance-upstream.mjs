/**
 * The upstream behind conformance-capability.yaml: fixed answers for the MCP conformance suite's
 * fixtures. `node conformance-upstream.mjs [PORT]` serves it on 127.0.0.1 (default: any free port).
 */
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

/** A 1×1 red PNG. */
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
/** A WAV header with no samples. */
const WAV = Buffer.from('UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA=', 'base64');

function answer(path) {
  const template = /^\/template\/([^/]+)\/data$/.exec(path);
  if (template) {
    const id = decodeURIComponent(template[1]);
    return [200, 'application/json', JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` })];
  }
  switch (path) {
    case '/simple-text': return [200, 'text/plain', 'This is a simple text response for testing.'];
    case '/error': return [500, 'text/plain', 'This tool intentionally returns an error for testing'];
    case '/image': return [200, 'image/png', PNG];
    case '/audio': return [200, 'audio/wav', WAV];
    case '/embedded': return [200, 'application/octet-stream', Buffer.from('This is an embedded resource content.')];
    case '/static-text': return [200, 'text/plain', 'This is the content of the static text resource.'];
    case '/static-binary': return [200, 'image/png', PNG];
    default: return [404, 'text/plain', `no fixture at ${path}`];
  }
}

/** Starts the upstream on 127.0.0.1; resolves to its URL and a close function. */
export async function startConformanceUpstream(port = 0) {
  const server = createServer((req, res) => {
    const [status, type, body] = answer((req.url ?? '/').split('?')[0]);
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url } = await startConformanceUpstream(Number(process.argv[2] ?? 0));
  console.log(url);
}
