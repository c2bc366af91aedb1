/**
 * HTTP Digest client (RFC 7616, FEATURES §11): the first request to an origin goes without credentials;
 * a 401 `Digest` challenge is answered once; the nonce is then reused with an incremented `nc` for later
 * calls until the upstream asks again (`stale=true`, or a new nonce).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { UpstreamSession } from './session.js';

type Algorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';

const HASHES: Record<string, { readonly hash: string; readonly strength: number }> = {
  MD5: { hash: 'md5', strength: 1 },
  'SHA-256': { hash: 'sha256', strength: 2 },
  'SHA-512-256': { hash: 'sha512-256', strength: 3 },
};

interface Challenge {
  readonly realm: string;
  readonly nonce: string;
  readonly opaque?: string;
  readonly algorithm: Algorithm;
  /** 'auth', or absent for an RFC 2069 challenge without qop */
  readonly qop?: 'auth';
  readonly userhash: boolean;
  readonly stale: boolean;
}

/** One origin's current nonce and how many requests used it. */
interface NonceState {
  readonly challenge: Challenge;
  nc: number;
}

export class DigestSession implements UpstreamSession {
  private readonly nonces = new Map<string, NonceState>();
  constructor(private readonly username: string, private readonly password: string, private readonly cnonce: () => string = () => randomBytes(16).toString('hex')) {}

  authorize(origin: string, method: string, target: string): string | undefined {
    const state = this.nonces.get(origin);
    if (!state) return undefined;
    state.nc += 1;
    return this.answer(state.challenge, state.nc, method, target);
  }

  retry(origin: string, challenges: string | string[] | undefined, method: string, target: string, sent: string | undefined): string | undefined {
    const challenge = pickChallenge(parseChallenges(challenges));
    if (!challenge) return undefined;
    const previous = this.nonces.get(origin)?.challenge;
    // credentials sent with this very nonce and refused without `stale`: they are wrong, a retry would be too
    if (sent !== undefined && !challenge.stale && previous?.nonce === challenge.nonce) return undefined;
    this.nonces.set(origin, { challenge, nc: 0 });
    return this.authorize(origin, method, target);
  }

  private answer(c: Challenge, nc: number, method: string, target: string): string {
    const hash = HASHES[c.algorithm.replace(/-sess$/, '')]!.hash;
    const H = (s: string) => createHash(hash).update(s, 'utf8').digest('hex');
    const cnonce = this.cnonce();
    const ncText = nc.toString(16).padStart(8, '0');
    const response = digestResponse({
      hash, username: this.username, realm: c.realm, password: this.password, nonce: c.nonce, nc: ncText, cnonce,
      ...(c.qop ? { qop: c.qop } : {}), method, uri: target, sess: c.algorithm.endsWith('-sess'),
    });
    const parts = [
      `username=${quote(c.userhash ? H(`${this.username}:${c.realm}`) : this.username)}`,
      `realm=${quote(c.realm)}`,
      `nonce=${quote(c.nonce)}`,
      `uri=${quote(target)}`,
      `algorithm=${c.algorithm}`,
      `response=${quote(response)}`,
    ];
    if (c.qop) parts.push(`qop=${c.qop}`, `nc=${ncText}`, `cnonce=${quote(cnonce)}`);
    if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
    if (c.userhash) parts.push('userhash=true');
    return `Digest ${parts.join(', ')}`;
  }
}

/** The `response` of RFC 7616 §3.4.1, for the client that sends it and the server that checks it. */
export function digestResponse(a: {
  readonly hash: string; readonly username: string; readonly realm: string; readonly password: string;
  readonly nonce: string; readonly nc: string; readonly cnonce: string; readonly qop?: 'auth';
  readonly method: string; readonly uri: string; readonly sess?: boolean;
}): string {
  const H = (s: string) => createHash(a.hash).update(s, 'utf8').digest('hex');
  let ha1 = H(`${a.username}:${a.realm}:${a.password}`);
  if (a.sess) ha1 = H(`${ha1}:${a.nonce}:${a.cnonce}`);
  const ha2 = H(`${a.method}:${a.uri}`);
  return a.qop ? H(`${ha1}:${a.nonce}:${a.nc}:${a.cnonce}:${a.qop}:${ha2}`) : H(`${ha1}:${a.nonce}:${ha2}`);
}

function quote(s: string): string {
  return `"${s.replace(/["\\]/g, (ch) => `\\${ch}`)}"`;
}

/** The strongest challenge this client can answer: a known algorithm and qop `auth` (or none). */
function pickChallenge(challenges: readonly AuthChallenge[]): Challenge | undefined {
  let best: Challenge | undefined;
  for (const { scheme, params } of challenges) {
    if (scheme !== 'digest' || params.realm === undefined || params.nonce === undefined) continue;
    const algorithm = canonicalAlgorithm(params.algorithm ?? 'MD5');
    if (!algorithm) continue;
    const qops = params.qop?.split(',').map((q) => q.trim().toLowerCase());
    if (qops && !qops.includes('auth')) continue; // auth-int alone: the body would have to be hashed
    const c: Challenge = {
      realm: params.realm, nonce: params.nonce, algorithm,
      ...(params.opaque !== undefined ? { opaque: params.opaque } : {}),
      ...(qops ? { qop: 'auth' as const } : {}),
      userhash: params.userhash?.toLowerCase() === 'true',
      stale: params.stale?.toLowerCase() === 'true',
    };
    if (!best || strength(c) > strength(best)) best = c;
  }
  return best;
}

const strength = (c: Challenge) => HASHES[c.algorithm.replace(/-sess$/, '')]!.strength;

function canonicalAlgorithm(name: string): Algorithm | undefined {
  const upper = name.toUpperCase();
  const sess = upper.endsWith('-SESS');
  const base = Object.keys(HASHES).find((k) => k === (sess ? upper.slice(0, -5) : upper));
  return base === undefined ? undefined : ((sess ? `${base}-sess` : base) as Algorithm);
}

export interface AuthChallenge {
  /** lower case */
  readonly scheme: string;
  /** parameter names lower case, values unquoted */
  readonly params: Readonly<Record<string, string>>;
}

/**
 * `WWW-Authenticate` values (RFC 9110 §11.6.1): one header may carry several challenges, each a scheme
 * followed by comma-separated `name=value` parameters (token or quoted string).
 */
export function parseChallenges(header: string | string[] | undefined): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  for (const text of header === undefined ? [] : Array.isArray(header) ? header : [header]) {
    let i = 0;
    let current: { scheme: string; params: Record<string, string> } | undefined;
    const skip = (re: RegExp) => {
      while (i < text.length && re.test(text[i]!)) i++;
    };
    while (i < text.length) {
      skip(/[\s,]/);
      const start = i;
      skip(/[^\s,=]/);
      const token = text.slice(start, i);
      if (token === '') break;
      skip(/\s/);
      if (text[i] !== '=') {
        current = { scheme: token.toLowerCase(), params: {} };
        out.push(current);
        continue;
      }
      i++; // '='
      skip(/\s/);
      let value = '';
      if (text[i] === '"') {
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\') i++;
          value += text[i] ?? '';
          i++;
        }
        i++;
      } else {
        const from = i;
        skip(/[^\s,]/);
        value = text.slice(from, i);
      }
      if (current) current.params[token.toLowerCase()] = value;
    }
  }
  return out;
}
