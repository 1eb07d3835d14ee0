import { Router, type Response } from 'express';
import type { Clock, Timer } from '../../core/clock';
import { errorMessage } from '../../core/errors';
import type { Logger } from '../../core/logger';
import type { DomainEvent, DomainEventBus } from '../../domain/events';
import type { Account, Role } from '../../ports/account-store';
import { authOf } from '../auth/auth-context';
import type { AuthMiddleware } from '../auth/auth-middleware';
import { defaultLiveFilter, type LiveFilter } from './live-filter';

export interface LiveOptions {
  events: DomainEventBus;
  /** From createAuth(). */
  auth: Pick<AuthMiddleware, 'requireRole'>;
  clock: Clock;
  logger: Logger;
  /** @defaultValue /api/live */
  path?: string;
  /** Who may connect. @defaultValue every role */
  roles?: Role[];
  /** Which events each account gets. @defaultValue defaultLiveFilter */
  filter?: LiveFilter;
  /** A comment line this often keeps proxies from closing an idle stream. @defaultValue 15000 */
  heartbeatMs?: number;
  /** The browser reconnects after this long when the stream breaks. @defaultValue 3000 */
  retryMs?: number;
  /** A client this far behind (bytes buffered) is dropped; it reconnects and reloads. @defaultValue 1 MiB */
  maxBufferedBytes?: number;
}

export interface LiveChannel {
  /** GET <path>: a text/event-stream of domain events. Mount with `app.use(live.router)`. */
  router: Router;
  /** Open streams (for metrics and tests). */
  clientCount(): number;
  /** End every stream and stop listening (at shutdown, so the HTTP server can close). */
  close(): void;
}

interface Client {
  account: Account;
  res: Response;
}

/**
 * Live updates over Server-Sent Events. Each message is one domain event as
 * JSON (`data: {"type":"call.offered",...}`) with an increasing `id`; the
 * first is `{"type":"live.hello","serverNow":...}`. Events carry ids and
 * states, never caller numbers: a client fetches what it needs through the
 * JSON API, which checks the role again. After a reconnect a client should
 * reload its state (events are not replayed).
 */
export function createLiveChannel(options: LiveOptions): LiveChannel {
  const { events, auth, clock, logger } = options;
  const path = options.path ?? '/api/live';
  const filter = options.filter ?? defaultLiveFilter;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  const clients = new Set<Client>();
  let nextId = 1;
  let heartbeat: Timer | undefined;
  let closed = false;

  const drop = (c: Client): void => {
    clients.delete(c);
    if (!c.res.writableEnded) c.res.end();
  };

  const send = (c: Client, chunk: string): void => {
    if (c.res.writableEnded || c.res.destroyed) return drop(c);
    if (c.res.writableLength > maxBuffered) {
      logger.warn('live client too slow; dropped', { accountId: c.account.id });
      return drop(c);
    }
    c.res.write(chunk);
  };

  const message = (data: unknown): string => `id: ${nextId++}\ndata: ${JSON.stringify(data)}\n\n`;

  const beat = (): void => {
    heartbeat = clock.setTimer(heartbeatMs, () => {
      for (const c of clients) send(c, `: keep-alive ${clock.now()}\n\n`);
      if (!closed) beat();
    });
  };

  const unsubscribe = events.subscribe((event: DomainEvent) => {
    if (clients.size === 0) return;
    let chunk: string | undefined;
    for (const c of clients) {
      try {
        if (!filter(event, c.account)) continue;
        chunk ??= message(event);
        send(c, chunk);
      } catch (err) {
        logger.warn('live send failed', { err: errorMessage(err) });
        drop(c);
      }
    }
  });

  const router = Router();
  router.get(path, auth.requireRole(...(options.roles ?? ['operator', 'supervisor', 'admin'])), (req, res) => {
    if (closed) {
      res.status(503).json({ error: { code: 'unavailable', message: 'The service is stopping' } });
      return;
    }
    const client: Client = { account: authOf(req).account, res };
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      // nginx: do not buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: ${options.retryMs ?? 3000}\n\n`);
    res.write(message({ type: 'live.hello', serverNow: clock.now(), role: client.account.role }));
    clients.add(client);
    if (!heartbeat) beat();
    req.on('close', () => clients.delete(client));
  });

  return {
    router,
    clientCount: () => clients.size,
    close() {
      closed = true;
      heartbeat?.cancel();
      unsubscribe();
      for (const c of [...clients]) drop(c);
    },
  };
}
