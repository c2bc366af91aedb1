/**
 * OAuth2 client-credentials tokens shared by every replica through Redis (`--redis`): one replica asks
 * the token endpoint, the others read its token until shortly before it expires. The key is a hash of
 * the endpoint, client id, secret and requested scope/audience/resource, so two clients never share a
 * token and no credential appears in a key. Redis failing: the process asks for its own token.
 * Redis then holds bearer tokens: protect it as the secrets it stands for (a password, a private network).
 */
import { createHash } from 'node:crypto';
import type { SharedRedis } from './redis.js';

export interface StoredToken {
  readonly authorization: string;
  readonly expiresAt: number;
}

export interface TokenStore {
  get(key: string): Promise<StoredToken | undefined>;
  set(key: string, token: StoredToken): Promise<void>;
  /** drops `authorization` if it is still the stored one (the upstream refused it) */
  drop(key: string, authorization: string): Promise<void>;
}

export const TOKEN_KEY_PREFIX = 'naftiko-run:token:';

export function tokenKey(parts: readonly (string | undefined)[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
}

export function redisTokenStore(redis: SharedRedis, now: () => number = Date.now): TokenStore {
  return {
    async get(key) {
      try {
        const text = await redis.client.get(TOKEN_KEY_PREFIX + key);
        if (text === null) return undefined;
        const t = JSON.parse(text) as StoredToken;
        return typeof t.authorization === 'string' && typeof t.expiresAt === 'number' && t.expiresAt > now() ? t : undefined;
      } catch (e) {
        redis.failed('token read', e);
        return undefined;
      }
    },
    async set(key, token) {
      const ttl = Math.floor(token.expiresAt - now());
      if (ttl <= 0) return;
      try {
        await redis.client.set(TOKEN_KEY_PREFIX + key, JSON.stringify(token), 'PX', ttl);
      } catch (e) {
        redis.failed('token write', e);
      }
    },
    async drop(key, authorization) {
      try {
        const text = await redis.client.get(TOKEN_KEY_PREFIX + key);
        if (text !== null && (JSON.parse(text) as StoredToken).authorization === authorization) await redis.client.del(TOKEN_KEY_PREFIX + key);
      } catch (e) {
        redis.failed('token drop', e);
      }
    },
  };
}
