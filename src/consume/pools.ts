/** One keep-alive undici Pool per upstream origin, created on first use and closed together. */
import { Pool } from 'undici';

export interface PoolOptions {
  /** ms to establish a connection (SEMANTICS §7: 10 s) */
  readonly connectTimeout: number;
  /** max sockets per origin */
  readonly connections: number;
}

export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();
  constructor(private readonly options: PoolOptions) {}

  get(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.options.connections,
        connect: { timeout: this.options.connectTimeout },
        keepAliveTimeout: 4_000,
        pipelining: 1,
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
  }
}
