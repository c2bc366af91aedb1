/** CORS settings of the REST adapters (`--cors-origin`, `--cors-methods`, `--cors-headers`) and their checks; no dependency, so the CLI parses them cheaply. */

export interface CorsSettings {
  /** exact origins (`https://app.example.com`, `http://localhost:5173`) */
  readonly origins: readonly string[];
  /** default GET, HEAD, POST, PUT, PATCH, DELETE */
  readonly methods?: readonly string[];
  /** default: the headers the preflight asks for */
  readonly headers?: readonly string[];
}

export const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export const DEFAULT_CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Why `value` is not an exact origin, or undefined when it is one. */
export function corsOriginProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'expected an origin such as https://app.example.com';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'expected an http: or https: origin';
  if (url.origin !== value) return `expected exactly an origin (scheme, host and port, no path or trailing /): ${url.origin}`;
  return undefined;
}
