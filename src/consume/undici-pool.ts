/**
 * undici's Pool and its request API, without the rest of the package. `import 'undici'` also loads
 * fetch, WebSocket, EventSource, the mock agents, the cache and cookie code (a megabyte of source,
 * about 60 ms of every start on the benchmark machine); naftiko-run uses only `Pool#request`. The
 * package's own index does the same two steps: load the Pool, and give every dispatcher the request API.
 * Imported statically (not required at run time) so that the CLI bundle holds these files and they are
 * compiled through its code cache (src/cli/code-cache.ts).
 */
import type { Pool as UndiciPool } from 'undici';
import DispatcherModule from 'undici/lib/dispatcher/dispatcher.js';
import api from 'undici/lib/api/index.js';
import PoolModule from 'undici/lib/dispatcher/pool.js';

const Dispatcher = DispatcherModule as { prototype: object };
if (!('request' in Dispatcher.prototype)) Object.assign(Dispatcher.prototype, api as object);

export const Pool = PoolModule as typeof UndiciPool;
export type Pool = UndiciPool;
