/**
 * Inbound HTTP Digest (RFC 7616, qop=auth, SHA-256 and MD5). Nonces carry their issue time and an HMAC
 * keyed from the adapter's own credentials, so every replica that serves the same capability with the
 * same binds verifies any replica's nonce without shared state; an expired one is answered `stale=true`
 * (the client retries without asking the user). `nc` replays are caught per process in a bounded LRU.
 */
import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { digestResponse, parseChallenges } from '../../consume/digest.js';
import { OK, refused, sameSecret, sha256, single, type InboundDecision, type InboundRequest } from './decision.js';

export const DIGEST_REALM = 'naftiko';
const NONCE_LIFETIME_MS = 300_000;
/** a nonce from a replica whose clock runs ahead by up to this much is still accepted */
const CLOCK_SKEW_MS = 5_000;
const NC_MEMORY = 10_000;
const ALGORITHMS = { 'SHA-256': 'sha256', MD5: 'md5' } as const;
type Algorithm = keyof typeof ALGORITHMS;

/** `now`: the clock nonces are issued and aged by (tests move it) */
export function digestCheck(namespace: string, user: string, password: string, now: () => number = Date.now): (req: InboundRequest) => InboundDecision {
  const opaque = createHash('sha256').update(`naftiko-run digest opaque ${namespace}`).digest('base64url').slice(0, 22);
  const nonceKey = Buffer.from(hkdfSync('sha256', password, `${DIGEST_REALM}:${user}`, `naftiko-run digest nonce ${namespace}`, 32));
  const expectedUser = sha256(user);
  const seen = new Map<string, number>();

  const mac = (issued: Buffer) => createHmac('sha256', nonceKey).update(issued).update(opaque).digest().subarray(0, 16);
  const newNonce = () => {
    const issued = Buffer.alloc(8);
    issued.writeBigUInt64BE(BigInt(now()));
    return Buffer.concat([issued, mac(issued)]).toString('base64url');
  };
  const challenge = (stale: boolean) => {
    const nonce = newNonce();
    return (['SHA-256', 'MD5'] as const).map((alg) => `Digest realm="${DIGEST_REALM}", qop="auth", algorithm=${alg}, nonce="${nonce}", opaque="${opaque}", charset=UTF-8${stale ? ', stale=true' : ''}`);
  };
  const deny = (detail: string, stale = false) => refused(401, 'NR_ERR_UNAUTHENTICATED', detail, challenge(stale));
  const nonceState = (nonce: string): 'ok' | 'stale' | 'bad' => {
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== 24 || raw.toString('base64url') !== nonce) return 'bad';
    const issued = raw.subarray(0, 8);
    if (!timingSafeEqual(mac(issued), raw.subarray(8))) return 'bad';
    const age = now() - Number(issued.readBigUInt64BE());
    return age > NONCE_LIFETIME_MS || age < -CLOCK_SKEW_MS ? 'stale' : 'ok';
  };
  const replayed = (nonce: string, nc: number): boolean => {
    const last = seen.get(nonce);
    return last !== undefined && nc <= last;
  };
  const remember = (nonce: string, nc: number) => {
    seen.delete(nonce);
    seen.set(nonce, nc);
    if (seen.size > NC_MEMORY) seen.delete(seen.keys().next().value!);
  };

  return (req) => {
    const header = single(req.headers.authorization) ?? '';
    if (!/^Digest\s/i.test(header)) return deny('send Authorization: Digest (answer the challenge of this 401)');
    const p: Record<string, string | undefined> = parseChallenges(header)[0]?.params ?? {};
    const algorithm = (Object.keys(ALGORITHMS) as Algorithm[]).find((a) => a.toLowerCase() === (p.algorithm ?? 'MD5').toLowerCase());
    const { username, realm, nonce, uri, response, qop, nc, cnonce } = p;
    if (username === undefined || nonce === undefined || uri === undefined || response === undefined || cnonce === undefined || nc === undefined) {
      return deny('the Digest credentials lack username, nonce, uri, response, nc or cnonce');
    }
    if (!algorithm) return deny(`digest algorithm ${p.algorithm} is not offered; use SHA-256 or MD5`);
    if (qop !== 'auth') return deny('the Digest credentials must use qop=auth');
    if (realm !== DIGEST_REALM || p.userhash === 'true') return deny(`the Digest credentials must name realm "${DIGEST_REALM}" (and no userhash)`);
    if (uri !== req.url) return deny('the Digest uri is not this request\'s target');
    if (!/^[0-9a-f]{8}$/i.test(nc)) return deny('the Digest nc must be 8 hex digits');
    const state = nonceState(nonce);
    if (state === 'bad') return deny('the Digest nonce was not issued by this adapter');
    if (state === 'stale') return deny('the Digest nonce has expired: answer the new challenge', true);
    const count = parseInt(nc, 16);
    if (replayed(nonce, count)) return deny('the Digest nc was already used with this nonce (replay)');
    // the configured user name is hashed, not the sent one, and both checks always run: timing tells nothing
    const expected = sha256(digestResponse({ hash: ALGORITHMS[algorithm], username: user, realm: DIGEST_REALM, password, nonce, nc, cnonce, qop, method: req.method, uri }));
    const userOk = sameSecret(username, expectedUser);
    const responseOk = sameSecret(response.toLowerCase(), expected);
    if (!userOk || !responseOk) return deny('the user name or password is not valid');
    remember(nonce, count);
    return OK;
  };
}
