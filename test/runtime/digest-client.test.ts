/**
 * The digest client against RFC 7616's own examples (§3.9.1: MD5 and SHA-256, same cnonce), and the
 * WWW-Authenticate parsing it depends on (several challenges in one header, quoted escapes).
 */
import { describe, expect, it } from 'vitest';
import { DigestSession, parseChallenges } from '../../src/consume/digest.js';

const RFC_CHALLENGE = (algorithm: string) =>
  `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`;
const CNONCE = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';

function field(header: string, name: string): string | undefined {
  return new RegExp(`(?:^Digest |, )${name}=(?:"([^"]*)"|([^,]*))`).exec(header)?.slice(1).find((v) => v !== undefined);
}

describe('digest client', () => {
  it.each([
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
  ])('RFC 7616 §3.9.1 %s example', (algorithm, response) => {
    const session = new DigestSession('Mufasa', 'Circle of Life', () => CNONCE);
    expect(session.authorize('http://example.org', 'GET', '/dir/index.html')).toBeUndefined();
    const header = session.retry('http://example.org', RFC_CHALLENGE(algorithm), 'GET', '/dir/index.html', undefined)!;
    expect(field(header, 'response')).toBe(response);
    expect(field(header, 'username')).toBe('Mufasa');
    expect(field(header, 'nc')).toBe('00000001');
    expect(field(header, 'qop')).toBe('auth');
    expect(field(header, 'algorithm')).toBe(algorithm);
    expect(field(header, 'opaque')).toBe('FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS');
    // the next request reuses the nonce, counted up, per origin
    expect(field(session.authorize('http://example.org', 'GET', '/x')!, 'nc')).toBe('00000002');
    expect(session.authorize('http://other.example', 'GET', '/x')).toBeUndefined();
  });

  it('takes the strongest challenge it can answer, and none that needs auth-int only or an unknown algorithm', () => {
    const session = new DigestSession('u', 'p', () => 'c');
    const both = `${RFC_CHALLENGE('MD5')}, ${RFC_CHALLENGE('SHA-256')}`;
    expect(field(session.retry('o', both, 'GET', '/', undefined)!, 'algorithm')).toBe('SHA-256');
    expect(session.retry('o2', 'Digest realm="r", nonce="n", qop="auth-int"', 'GET', '/', undefined)).toBeUndefined();
    expect(session.retry('o3', 'Digest realm="r", nonce="n", algorithm=SHA-1', 'GET', '/', undefined)).toBeUndefined();
    expect(session.retry('o4', 'Basic realm="r"', 'GET', '/', undefined)).toBeUndefined();
  });

  it('does not retry credentials refused with the same nonce and no stale flag; does with stale=true', () => {
    const session = new DigestSession('u', 'p', () => 'c');
    const first = session.retry('o', 'Digest realm="r", nonce="n1", qop="auth"', 'GET', '/', undefined)!;
    expect(session.retry('o', 'Digest realm="r", nonce="n1", qop="auth"', 'GET', '/', first)).toBeUndefined();
    const again = session.retry('o', 'Digest realm="r", nonce="n1", qop="auth", stale=TRUE', 'GET', '/', first)!;
    expect(field(again, 'nc')).toBe('00000001');
  });

  it('RFC 2069 (no qop), userhash, and quoting in the username', () => {
    const session = new DigestSession('a"b', 'p', () => 'c');
    const plain = session.retry('o', 'Digest realm="r", nonce="n"', 'GET', '/', undefined)!;
    expect(field(plain, 'nc')).toBeUndefined();
    expect(plain).toContain('username="a\\"b"');
    const hashed = new DigestSession('u', 'p', () => 'c').retry('o', 'Digest realm="r", nonce="n", qop=auth, userhash=true', 'GET', '/', undefined)!;
    expect(field(hashed, 'username')).toMatch(/^[0-9a-f]{32}$/);
    expect(hashed).toContain('userhash=true');
  });

  it('parses several challenges in one header, quoted commas and escapes included', () => {
    expect(parseChallenges(['Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"', 'Digest realm="a, b", nonce=xyz'])).toEqual([
      { scheme: 'newauth', params: { realm: 'apps', type: '1', title: 'Login to "apps"' } },
      { scheme: 'basic', params: { realm: 'simple' } },
      { scheme: 'digest', params: { realm: 'a, b', nonce: 'xyz' } },
    ]);
  });
});
