import type { EventEmitter } from 'node:events';
import type { Clock } from '../../core/clock';
import { TelephonyError, errorMessage } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { CappedBackoff, sleep, withTimeout } from '../timing';
import { ariFailure } from './ari-errors';
import { AriRest, seg, type QueryValue } from './ari-rest';
import type { AriBridge, AriChannel, AriConnection, AriEndpoint, AriEvent, OriginateRequest } from './ari-types';

// ari-client ships no types: the part siaga112 uses (connect, the
// WebSocket, its events), described here and nowhere else.
interface WsLike {
  listeners(event: string): Array<(...args: unknown[]) => void>;
  removeAllListeners(event: string): void;
  on(event: string, fn: (...args: unknown[]) => void): void;
}
interface AriClient extends EventEmitter {
  start(apps: string): PromiseLike<void>;
  stop(): void;
  _ws?: WsLike;
  _swagger?: { apis?: { events?: { models?: Record<string, unknown> } } };
}
interface AriClientModule {
  connect(url: string, user: string, password: string): PromiseLike<AriClient>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ariClient = require('ari-client') as AriClientModule;

export interface AriClientConnectionOptions {
  url: string;
  user: string;
  password: string;
  app: string;
  clock: Clock;
  logger: Logger;
  /** Per request. */
  actionTimeoutMs: number;
  /** Longest wait between reconnect attempts (asterisk.reconnectMaxSeconds). */
  reconnectMaxMs: number;
  /** Event sources to subscribe the app to after every connect (default `endpoint:PJSIP`). */
  subscriptions?: string[];
}

/**
 * ARI: the WebSocket (events, reconnects) through the unmodified
 * `ari-client` package, the REST requests through AriRest (one keep-alive
 * agent; see ari-rest.ts for why). ari-client's weak spots, covered:
 *  - it gives up reconnecting for good after ~43 s (WebSocketMaxRetries):
 *    a supervisor here starts it again, forever, with capped backoff;
 *  - an event type missing from its swagger event model makes its WebSocket
 *    handler throw (an uncaught exception): the socket's message listener is
 *    wrapped, and such events are delivered here directly;
 *  - per-instance listeners (channel.on(...)) are never removed by it: this
 *    class uses only client-level listeners, so nothing accumulates per call;
 *  - its requests have no timeout and turn an HTTP error into an Error that
 *    keeps only the body (the status is lost): AriRest has neither fault.
 */
export class AriClientConnection implements AriConnection {
  private client?: AriClient;
  private stopped = false;
  private up = false;
  private readonly eventHandlers: Array<(event: AriEvent) => void> = [];
  private readonly connectionHandlers: Array<(up: boolean) => void> = [];
  private readonly backoff: CappedBackoff;
  private restarting = false;
  /** The first connection's subscriptions are awaited by start(); later ones run from the event. */
  private firstConnect = true;

  private readonly http: AriRest;

  constructor(private readonly opts: AriClientConnectionOptions) {
    this.backoff = new CappedBackoff(500, opts.reconnectMaxMs);
    this.http = new AriRest({ url: opts.url, user: opts.user, password: opts.password, clock: opts.clock, timeoutMs: opts.actionTimeoutMs });
  }

  get connected(): boolean {
    return this.up;
  }

  onEvent(handler: (event: AriEvent) => void): void {
    this.eventHandlers.push(handler);
  }

  onConnection(handler: (up: boolean) => void): void {
    this.connectionHandlers.push(handler);
  }

  /** Resolves once connected the first time; keeps trying (forever) until then. */
  async start(): Promise<void> {
    this.stopped = false;
    while (!this.stopped) {
      let client: AriClient | undefined;
      try {
        client = await withTimeout(this.opts.clock, this.opts.actionTimeoutMs * 2, 'ARI connect', ariClient.connect(this.opts.url, this.opts.user, this.opts.password));
        this.attach(client);
        this.client = client;
        this.firstConnect = true;
        await this.startSocket(client);
        this.firstConnect = false;
        await this.subscribeAll();
        return;
      } catch (err) {
        if (client) {
          // Drop this client (its supervisor sees it is no longer current) and start afresh.
          if (this.client === client) this.client = undefined;
          client.removeAllListeners();
          try {
            client.stop();
          } catch {
            // never opened
          }
        }
        const delay = this.backoff.next();
        this.opts.logger.warn('ARI not reachable, retrying', { error: errorMessage(err), retryInMs: delay });
        await sleep(this.opts.clock, delay);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners();
      try {
        client.stop();
      } catch {
        // the socket was never opened
      }
    }
    this.http.close();
    this.setUp(false);
  }

  private async startSocket(client: AriClient): Promise<void> {
    // ari-client's own start() retries ~10 times (~43 s) and then rejects.
    await Promise.resolve(client.start(this.opts.app));
  }

  private attach(client: AriClient): void {
    client.on('WebSocketConnected', () => {
      this.guardSocket(client);
      this.backoff.reset();
      this.setUp(true);
      if (!this.firstConnect) void this.subscribeAll();
    });
    client.on('WebSocketReconnecting', (err: unknown) => {
      if (this.up) this.opts.logger.warn('ARI WebSocket lost, ari-client is reconnecting', { error: err ? errorMessage(err) : 'closed' });
      this.setUp(false);
    });
    client.on('WebSocketMaxRetries', () => {
      this.setUp(false);
      void this.supervise(client);
    });
    client.on('APILoadError', (err: unknown) => this.opts.logger.warn('ARI API documents could not be loaded', { error: errorMessage(err) }));
    client.on('*', (event: unknown) => this.deliver(event));
  }

  /** ari-client stopped for good: start its socket again after our own backoff, forever. */
  private async supervise(client: AriClient): Promise<void> {
    if (this.restarting) return;
    this.restarting = true;
    try {
      while (!this.stopped && this.client === client && !this.up) {
        const delay = this.backoff.next();
        this.opts.logger.warn('ARI gave up reconnecting; siaga112 restarts it', { retryInMs: delay });
        await sleep(this.opts.clock, delay);
        if (this.stopped || this.client !== client) return;
        try {
          await this.startSocket(client);
          return;
        } catch (err) {
          this.opts.logger.warn('ARI WebSocket still down', { error: errorMessage(err) });
        }
      }
    } finally {
      this.restarting = false;
    }
  }

  /**
   * Wrap the socket's message listener (ari-client's processMessage) so an
   * unknown event type or a malformed message can never throw out of it.
   */
  private guardSocket(client: AriClient): void {
    const ws = client._ws;
    if (!ws) return;
    const originals = ws.listeners('message');
    if (originals.some((fn) => (fn as { siagaGuard?: boolean }).siagaGuard)) return;
    ws.removeAllListeners('message');
    const guard = (...args: unknown[]): void => {
      let event: unknown;
      try {
        event = JSON.parse(String(args[0]));
      } catch {
        this.opts.logger.warn('ARI sent a message that is not JSON; ignored');
        return;
      }
      const type = event && typeof event === 'object' ? (event as { type?: unknown }).type : undefined;
      const models = client._swagger?.apis?.events?.models;
      if (typeof type !== 'string' || !models || !Object.prototype.hasOwnProperty.call(models, type)) {
        // ari-client would throw on this one: deliver it ourselves.
        this.deliver(event);
        return;
      }
      for (const fn of originals) {
        try {
          fn.apply(ws, args);
        } catch (err) {
          this.opts.logger.warn('ari-client failed on an ARI event; delivered directly', { type, error: errorMessage(err) });
          this.deliver(event);
        }
      }
    };
    (guard as { siagaGuard?: boolean }).siagaGuard = true;
    ws.on('message', guard);
  }

  private deliver(event: unknown): void {
    if (!event || typeof event !== 'object' || typeof (event as { type?: unknown }).type !== 'string') return;
    for (const handler of this.eventHandlers) {
      try {
        handler(event as AriEvent);
      } catch (err) {
        this.opts.logger.error('ARI event handler failed', { type: (event as AriEvent).type, error: errorMessage(err) });
      }
    }
  }

  private setUp(up: boolean): void {
    if (this.up === up) return;
    this.up = up;
    if (up) this.opts.logger.info('ARI connected', { app: this.opts.app });
    for (const handler of this.connectionHandlers) {
      try {
        handler(up);
      } catch (err) {
        this.opts.logger.error('ARI connection handler failed', { error: errorMessage(err) });
      }
    }
  }

  private async subscribeAll(): Promise<void> {
    for (const source of this.opts.subscriptions ?? ['endpoint:PJSIP']) {
      await this.subscribe(source).catch((err: unknown) => this.opts.logger.warn('ARI subscription failed', { source, error: errorMessage(err) }));
    }
  }

  // ------------------------------------------------------------ requests

  /** Requests go out only while the app is started (a stopped or never-started connection refuses them). */
  private rest(what: string): AriRest {
    if (!this.client) throw new TelephonyError(`${what}: ARI is not connected`, false, { reason: 'ARI is not connected' });
    return this.http;
  }

  private request(what: string, method: 'GET' | 'POST' | 'DELETE', path: string, query?: Record<string, QueryValue>): Promise<unknown> {
    return this.rest(what).request(what, method, path, query);
  }

  async answer(channelId: string): Promise<void> {
    await this.request('answer', 'POST', `/channels/${seg(channelId)}/answer`);
  }

  async hangup(channelId: string, reason = 'normal'): Promise<void> {
    await this.request('hang up', 'DELETE', `/channels/${seg(channelId)}`, { reason });
  }

  async play(channelId: string, playbackId: string, media: string, lang?: string): Promise<void> {
    await this.request('play', 'POST', `/channels/${seg(channelId)}/play/${seg(playbackId)}`, { media, lang });
  }

  async stopPlayback(playbackId: string): Promise<void> {
    await this.request('stop playback', 'DELETE', `/playbacks/${seg(playbackId)}`);
  }

  async getVariable(channelId: string, variable: string): Promise<string | undefined> {
    const reply = await this.rest('get variable').exchange('get variable', 'GET', `/channels/${seg(channelId)}/variable`, { variable });
    if (reply.ok) {
      const value = (reply.body as { value?: unknown } | undefined)?.value;
      return typeof value === 'string' ? value : undefined;
    }
    // 404 "Provided variable was not found" and 500 "Unable to read provided
    // function" (a SIP header the INVITE did not carry) both mean: no value.
    if (/variable was not found|unable to read/i.test(reply.reason)) return undefined;
    throw ariFailure('get variable', reply.status, reply.reason);
  }

  async startMoh(channelId: string, mohClass = 'default'): Promise<void> {
    await this.request('start music on hold', 'POST', `/channels/${seg(channelId)}/moh`, { mohClass });
  }

  async stopMoh(channelId: string): Promise<void> {
    await this.request('stop music on hold', 'DELETE', `/channels/${seg(channelId)}/moh`);
  }

  async createBridge(bridgeId: string, type: 'holding' | 'mixing', name?: string): Promise<void> {
    await this.request('create bridge', 'POST', `/bridges/${seg(bridgeId)}`, { type, name });
  }

  async addToBridge(bridgeId: string, channelIds: string[]): Promise<void> {
    await this.request('add to bridge', 'POST', `/bridges/${seg(bridgeId)}/addChannel`, { channel: channelIds.join(',') });
  }

  async removeFromBridge(bridgeId: string, channelId: string): Promise<void> {
    await this.request('remove from bridge', 'POST', `/bridges/${seg(bridgeId)}/removeChannel`, { channel: channelId });
  }

  async destroyBridge(bridgeId: string): Promise<void> {
    await this.request('destroy bridge', 'DELETE', `/bridges/${seg(bridgeId)}`);
  }

  async startBridgeMoh(bridgeId: string, mohClass = 'default'): Promise<void> {
    await this.request('start bridge music on hold', 'POST', `/bridges/${seg(bridgeId)}/moh`, { mohClass });
  }

  async stopBridgeMoh(bridgeId: string): Promise<void> {
    await this.request('stop bridge music on hold', 'DELETE', `/bridges/${seg(bridgeId)}/moh`);
  }

  async playOnBridge(bridgeId: string, playbackId: string, media: string, lang?: string): Promise<void> {
    await this.request('play on bridge', 'POST', `/bridges/${seg(bridgeId)}/play/${seg(playbackId)}`, { media, lang });
  }

  async originate(req: OriginateRequest): Promise<void> {
    await this.request('originate', 'POST', '/channels', {
      endpoint: req.endpoint,
      app: req.app,
      appArgs: req.appArgs,
      channelId: req.channelId,
      callerId: req.callerId || undefined,
      timeout: req.timeoutSeconds || undefined,
    });
  }

  async continueInDialplan(channelId: string, context: string, extension: string, priority = 1): Promise<void> {
    await this.request('continue in dialplan', 'POST', `/channels/${seg(channelId)}/continue`, { context, extension, priority });
  }

  async subscribe(eventSource: string): Promise<void> {
    await this.request('subscribe', 'POST', `/applications/${seg(this.opts.app)}/subscription`, { eventSource });
  }

  async listEndpoints(technology: string): Promise<AriEndpoint[]> {
    const list = await this.request('list endpoints', 'GET', `/endpoints/${seg(technology)}`);
    return Array.isArray(list) ? (list as AriEndpoint[]).map((e) => ({ technology: e.technology, resource: e.resource, ...(e.state ? { state: e.state } : {}) })) : [];
  }

  async listChannels(): Promise<AriChannel[]> {
    const list = await this.request('list channels', 'GET', '/channels');
    return Array.isArray(list) ? (list as AriChannel[]).map((c) => ({ id: c.id, name: c.name, state: c.state, caller: c.caller, ...(c.dialplan ? { dialplan: { ...c.dialplan } } : {}) })) : [];
  }

  async listBridges(): Promise<AriBridge[]> {
    const list = await this.request('list bridges', 'GET', '/bridges');
    return Array.isArray(list)
      ? (list as AriBridge[]).map((b) => ({ id: b.id, ...(b.name ? { name: b.name } : {}), bridge_type: b.bridge_type, channels: Array.isArray(b.channels) ? [...b.channels] : [] }))
      : [];
  }
}
