/**
 * DNS-rebinding and cross-site protection for loopback servers (REST and MCP): on a loopback bind
 * address, Host and Origin must name this machine, so a web page the operator visits cannot drive the
 * adapter (and the upstream credential it holds) through the browser.
 */
const LOCAL_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1).toLowerCase();
  const colon = hostHeader.lastIndexOf(':');
  return (colon > 0 ? hostHeader.slice(0, colon) : hostHeader).toLowerCase();
}

export function isLocalRequest(host: string | undefined, origin: string | undefined): boolean {
  if (host === undefined || !LOCAL_HOSTNAMES.has(hostnameOf(host))) return false;
  if (origin === undefined) return true;
  try {
    const u = new URL(origin);
    return (u.protocol === 'http:' || u.protocol === 'https:') && LOCAL_HOSTNAMES.has(u.hostname.toLowerCase());
  } catch {
    return false;
  }
}

/** A loopback listen address turns the Host/Origin check on; any other address is reached by other names. */
export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');
}
