/**
 * RFC 9728 protected-resource metadata: served unauthenticated at `/.well-known/oauth-protected-resource`
 * followed by the path of `resource`, and at the bare root path (MCP clients probe both), so a client that
 * knows only this adapter's URL finds the authorization server.
 */
import type { OAuth2ResourceServer } from '../../spec/model.js';

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** the path of `resource` without a trailing slash ('' for an origin) */
function resourcePath(resource: string): string {
  return new URL(resource).pathname.replace(/\/+$/, '');
}

/** The URL a `WWW-Authenticate` points at: the origin of `resource`, then the path-suffixed form. */
export function resourceMetadataUrl(resource: string): string {
  return `${new URL(resource).origin}${WELL_KNOWN}${resourcePath(resource)}`;
}

export interface ResourceMetadata {
  readonly paths: readonly string[];
  readonly body: string;
}

export function resourceMetadata(namespace: string, config: OAuth2ResourceServer): ResourceMetadata {
  const suffixed = `${WELL_KNOWN}${resourcePath(config.resource)}`;
  return {
    paths: [...new Set([suffixed, WELL_KNOWN])],
    body: JSON.stringify({
      resource: config.resource,
      authorization_servers: [config.issuer],
      ...(config.scopes.length ? { scopes_supported: config.scopes } : {}),
      bearer_methods_supported: ['header'],
      resource_name: namespace,
    }),
  };
}
