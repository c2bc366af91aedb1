/**
 * A local OAuth authorization server for the bench's OAuth rows: RFC 8414 metadata at the path-inserted
 * URL, a JWKS with one ES256 key generated at start, and GET /mint?aud=… answering a signed access
 * token (scope mcp.tools, 1 h) for the load generator. Usage: node bench/jwks-issuer.js PORT
 */
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { HOST } from './lib.js';

const port = Number(process.argv[2] ?? 0);
const origin = `http://${HOST}:${port}`;
const issuer = `${origin}/realms/bench`;
const { privateKey, publicKey } = await generateKeyPair('ES256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'ES256', use: 'sig' };
let jwksFetches = 0;

const json = (res, status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', origin);
  req.resume();
  if (url.pathname === '/.well-known/oauth-authorization-server/realms/bench') {
    return json(res, 200, { issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`, response_types_supported: ['code'] });
  }
  if (url.pathname === '/realms/bench/jwks') {
    jwksFetches++;
    return json(res, 200, { keys: [jwk] });
  }
  if (url.pathname === '/mint') {
    const token = await new SignJWT({ iss: issuer, aud: url.searchParams.get('aud') ?? '', sub: 'bench', scope: 'mcp.tools', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600 })
      .setProtectedHeader({ alg: 'ES256', kid: 'bench-1', typ: 'at+jwt' }).sign(privateKey);
    return json(res, 200, { token });
  }
  if (url.pathname === '/stats') return json(res, 200, { jwksFetches });
  json(res, 404, { error: 'not_found' });
}).listen(port, HOST);
process.on('SIGTERM', () => process.exit(0));
