/**
 * The listening servers of a runtime, one per adapter namespace, kept across reloads: an adapter whose
 * address and port did not change gets its new app on the same server (no connection is dropped); one
 * that moved listens anew, and the server it left is drained and closed.
 */
import type { FastifyInstance } from 'fastify';
import type { ControlAdapter, McpAdapter, RestAdapter, SkillAdapter } from '../spec/model.js';
import { ServerSlot, type ServerFor } from '../expose/server-slot.js';
import { trackRequests, type Drain } from '../expose/drain.js';
import { RuntimeError } from '../runtime-error.js';
import { HTTP_SERVER_OPTIONS } from '../expose/logging.js';

type ListeningAdapter = RestAdapter | McpAdapter | SkillAdapter | ControlAdapter;

export interface SlotOptions {
  /** `--port NAMESPACE=PORT` */
  readonly ports?: ReadonlyMap<string, number>;
  /** ms a client has to send a whole request; headers within min(it, 10 s) */
  readonly requestTimeoutMs: number;
  /** fastify's "Server listening" line is held back at info and below (the startup table names every address) */
  readonly quietListen: boolean;
}

/** A slot an app of a generation being built is staged on. */
export interface StagedSlot {
  readonly serverFor: ServerFor;
  /** listens (a new slot) or makes the app ready (a kept one); resolves to the base URL */
  start(app: FastifyInstance): Promise<string>;
  /** the app becomes the one new requests reach */
  activate(): void;
  /** the generation was not used: a new slot stops listening, the app is released */
  abandon(): void;
}

interface Slot {
  readonly slot: ServerSlot;
  readonly host: string;
  readonly requestedPort: number;
  readonly url: string;
  readonly drain: Drain;
  app: FastifyInstance;
}

export class SlotTable {
  private readonly slots = new Map<string, Slot>();
  /** slots left by adapters that moved or went away, until they are drained */
  private readonly leaving: Slot[] = [];

  constructor(private readonly options: SlotOptions) {}

  stage(adapter: ListeningAdapter, file: string, host: string): StagedSlot {
    const requestedPort = this.options.ports?.get(adapter.namespace) ?? adapter.port ?? 0;
    const kept = this.slots.get(adapter.namespace);
    if (kept && kept.host === host && kept.requestedPort === requestedPort) {
      const stage = kept.slot.stage();
      let app: FastifyInstance | undefined;
      return {
        serverFor: stage.serverFor,
        start: async (a) => {
          app = a;
          stage.capture();
          await a.ready();
          return kept.url;
        },
        activate: () => {
          stage.activate();
          kept.app = app!;
        },
        abandon: () => void app?.close(),
      };
    }
    const slot = new ServerSlot(HTTP_SERVER_OPTIONS);
    const stage = slot.stage();
    let fresh: Slot | undefined;
    return {
      serverFor: stage.serverFor,
      start: async (app) => {
        // a new address serves the new app as soon as it listens: no earlier generation answered there
        stage.capture();
        stage.activate();
        const url = await this.listen(app, slot, adapter, file, host, requestedPort);
        fresh = { slot, host, requestedPort, url, drain: trackRequests(slot.server), app };
        return url;
      },
      activate: () => {
        const old = this.slots.get(adapter.namespace);
        if (old) this.leaving.push(old);
        this.slots.set(adapter.namespace, fresh!);
      },
      abandon: () => {
        if (slot.server.listening) slot.server.close();
        slot.server.closeAllConnections();
      },
    };
  }

  /** Drains and closes the slots of adapters that no generation serves any more. */
  async releaseUnused(served: ReadonlySet<string>, drainMs: number): Promise<void> {
    for (const [ns, s] of this.slots) {
      if (!served.has(ns)) {
        this.slots.delete(ns);
        this.leaving.push(s);
      }
    }
    const leaving = this.leaving.splice(0);
    await Promise.all(leaving.map((s) => closeSlot(s, drainMs)));
  }

  /** Stops accepting everywhere; idle and half-received connections go now, running calls get `drainMs`. */
  async close(drainMs: number): Promise<void> {
    const all = [...this.slots.values(), ...this.leaving.splice(0)];
    this.slots.clear();
    await Promise.all(all.map((s) => closeSlot(s, drainMs)));
  }

  /** The namespaces listening now and where. */
  listening(): ReadonlyMap<string, string> {
    return new Map([...this.slots].map(([ns, s]) => [ns, s.url]));
  }

  private async listen(app: FastifyInstance, slot: ServerSlot, adapter: ListeningAdapter, file: string, host: string, port: number): Promise<string> {
    const server = slot.server;
    server.requestTimeout = this.options.requestTimeoutMs;
    server.headersTimeout = Math.min(this.options.requestTimeoutMs, 10_000);
    const level = app.log.level;
    const holdBack = this.options.quietListen && ['info', 'debug', 'trace'].includes(level);
    if (holdBack) app.log.level = 'warn';
    try {
      await app.listen({ host, port });
    } catch (e) {
      throw listenError(e as NodeJS.ErrnoException, adapter.namespace, file, host, port);
    } finally {
      if (holdBack) app.log.level = level;
    }
    const addr = server.address();
    const actualPort = typeof addr === 'object' && addr ? addr.port : port;
    return `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  }
}

async function closeSlot(s: Slot, drainMs: number): Promise<void> {
  // the current app answers 503 to requests arriving on kept-alive connections meanwhile (return503OnClosing)
  const closed = s.app.close();
  if (s.slot.server.listening) s.slot.server.close();
  await s.drain.begin(drainMs);
  await Promise.allSettled([closed]);
}

function listenError(e: NodeJS.ErrnoException, namespace: string, file: string, host: string, port: number): Error {
  if (e.code === 'EADDRINUSE') return new RuntimeError('NR_ERR_PORT_IN_USE', `${file}: adapter "${namespace}" cannot listen on ${host}:${port}: the port is already in use (choose another with --port ${namespace}=PORT)`);
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return new RuntimeError('NR_ERR_ADDRESS_UNAVAILABLE', `${file}: adapter "${namespace}" cannot listen on ${host}: no such local address (use --host 127.0.0.1)`);
  if (e.code === 'EACCES') return new RuntimeError('NR_ERR_PORT_DENIED', `${file}: adapter "${namespace}" may not listen on port ${port} (privileged); choose another with --port ${namespace}=PORT`);
  return e;
}
