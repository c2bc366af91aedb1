/**
 * undici's Pool and its request API, without the rest of the package. `import 'undici'` also loads
 * fetch, WebSocket, EventSource, the mock agents, the cache and cookie code (a megabyte of source,
 * about 60 ms of every start on the benchmark machine); naftiko-run uses only `Pool#request`. The
 * package's own index does the same two steps: load the Pool, and give every dispatcher the request API.
 */
import { createRequire } from 'node:module';
import type { Pool as UndiciPool } from 'undici';

const require = createRequire(import.meta.url);

const Dispatcher = require('undici/lib/dispatcher/dispatcher.js') as { prototype: object };
const api = require('undici/lib/api/index.js') as object;
if (!('request' in Dispatcher.prototype)) Object.assign(Dispatcher.prototype, api);

export const Pool = require('undici/lib/dispatcher/pool.js') as typeof UndiciPool;
export type Pool = UndiciPool;
