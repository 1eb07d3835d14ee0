import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { Timer } from '../../core/clock';
import type { PbxEvent } from '../model/events';
import type { Pbx } from '../model/pbx';
import { PbxError } from '../model/pbx-error';
import { resourceDocument, resourceListing } from './api-docs';
import { HANDLERS, type AriRequest, type AriResponse } from './handlers';
import { ariMessagesFor, type Json } from './json';
import { OPERATIONS, type OperationSpec } from './operations';

export interface AriServerOptions {
  pbx: Pbx;
  host?: string;
  port?: number;
  username?: string;
  password?: string;
}

interface Route {
  op: OperationSpec;
  regex: RegExp;
  names: string[];
}

interface Session {
  ws: WebSocket;
  apps: string[];
}

/** Faults the tests and the demo can switch on (see control in index.ts). */
export interface AriFaults {
  /** Every REST response waits this long (ms of the PBX clock). */
  responseDelayMs: number;
  /** The next N events are each sent twice. */
  duplicateNext: number;
  /** The next N events are each held back and sent after the one that follows. */
  reorderNext: number;
  /**
   * A held event goes out after this long (ms of the PBX clock) when no other event follows.
   * Asterisk may deliver late, never not at all: without a bound a StasisStart held while the
   * PBX waits for the app's answer would be held forever.
   */
  reorderMaxHoldMs: number;
}

const ROUTES: Route[] = OPERATIONS.filter((op) => op.nickname !== 'eventWebsocket').map((op) => {
  const names: string[] = [];
  const pattern = op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { op, regex: new RegExp(`^${pattern}$`), names };
});

/** Literal segments win over parameters (/channels/create before /channels/{channelId}). */
function specificity(r: Route): number {
  return r.op.path.split('/').filter((s) => s && !s.startsWith('{')).length;
}

/**
 * ARI over HTTP and WebSocket on one port, as Asterisk's res_ari: REST under
 * /ari/, events at /ari/events, generated Swagger under /ari/api-docs/.
 */
export class AriServer {
  readonly pbx: Pbx;
  readonly faults: AriFaults = { responseDelayMs: 0, duplicateNext: 0, reorderNext: 0, reorderMaxHoldMs: 1000 };
  private readonly host: string;
  private port: number;
  private readonly username: string;
  private readonly password: string;
  private server?: http.Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<Socket>();
  private readonly owners = new Map<string, Session>();
  private readonly sessions = new Set<Session>();
  private refuseUpgradesUntil = 0;
  private held?: { session: Session; text: string; timer: Timer };
  private unsubscribe?: () => void;
  /** Handles /sim/... (the simulator's own control API), set by index.ts. */
  controlHandler?: (method: string, path: string, body: unknown) => Promise<AriResponse> | AriResponse;

  constructor(opts: AriServerOptions) {
    this.pbx = opts.pbx;
    this.host = opts.host ?? '127.0.0.1';
    this.port = opts.port ?? 8088;
    this.username = opts.username ?? 'siaga112';
    this.password = opts.password ?? 'demo';
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  async start(): Promise<void> {
    if (!this.unsubscribe) this.unsubscribe = this.pbx.onAny((e) => this.deliver(e));
    const server = http.createServer((req, res) => this.onRequest(req, res));
    server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket as Socket, head));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Close the port and every connection (apps lose their WebSockets). */
  async close(): Promise<void> {
    for (const s of [...this.sessions]) s.ws.terminate();
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async stop(): Promise<void> {
    await this.close();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.wss.close();
  }

  get listening(): boolean {
    return !!this.server;
  }

  /** Drop every ARI WebSocket (abnormal close) and refuse new ones for `ms`. */
  dropWebSockets(ms: number): void {
    this.refuseUpgradesUntil = this.pbx.clock.now() + ms;
    for (const s of [...this.sessions]) s.ws.terminate();
  }

  /**
   * Send a raw message to the WebSocket of `app` as if Asterisk sent it (fault
   * injection: unknown event types, malformed events). Returns false when no socket has the app.
   */
  injectEvent(app: string, msg: Json): boolean {
    const session = this.owners.get(app);
    if (!session) return false;
    this.raw(session, JSON.stringify(msg));
    return true;
  }

  /** Number of open WebSockets (tests). */
  get connections(): number {
    return this.sessions.size;
  }

  // ------------------------------------------------------------------ auth

  private authorised(req: http.IncomingMessage, url: URL): boolean {
    const apiKey = url.searchParams.get('api_key');
    if (apiKey !== null) return apiKey === `${this.username}:${this.password}`;
    const header = req.headers.authorization;
    if (!header?.startsWith('Basic ')) return false;
    return Buffer.from(header.slice(6), 'base64').toString('utf8') === `${this.username}:${this.password}`;
  }

  // ------------------------------------------------------------------ REST

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const pathname = new URL(req.url ?? '/', 'http://sim').pathname;
      if (pathname.startsWith('/sim/') && this.controlHandler) {
        void this.control(req, res, pathname, raw);
        return;
      }
      const answer = this.handle(req, raw);
      const send = (): void => {
        if (answer.status === 204 || answer.body === undefined) {
          res.writeHead(answer.status, { 'Content-Length': '0' });
          res.end();
          return;
        }
        const text = JSON.stringify(answer.body);
        const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) };
        if (answer.status === 401) headers['WWW-Authenticate'] = 'Basic realm="Asterisk REST Interface"';
        res.writeHead(answer.status, headers);
        res.end(text);
      };
      if (this.faults.responseDelayMs > 0 && !(req.url ?? '').startsWith('/ari/api-docs/')) this.pbx.clock.setTimer(this.faults.responseDelayMs, send);
      else send();
    });
  }

  private async control(req: http.IncomingMessage, res: http.ServerResponse, pathname: string, raw: string): Promise<void> {
    let answer: AriResponse;
    if (!this.authorised(req, new URL(req.url ?? '/', 'http://sim'))) answer = { status: 401, body: { message: 'Authentication required' } };
    else {
      try {
        answer = await (this.controlHandler as NonNullable<AriServer['controlHandler']>)(req.method ?? 'GET', pathname.slice(4), raw.trim() === '' ? null : (JSON.parse(raw) as unknown));
      } catch (err) {
        answer = { status: err instanceof PbxError ? err.status : 400, body: { message: err instanceof Error ? err.message : String(err) } };
      }
    }
    const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
    res.writeHead(answer.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private handle(req: http.IncomingMessage, rawBody: string): AriResponse {
    const url = new URL(req.url ?? '/', 'http://sim');
    const basePath = `http://${req.headers.host ?? `${this.host}:${this.port}`}/ari`;
    if (!url.pathname.startsWith('/ari/')) return { status: 404, body: { message: 'Resource not found' } };
    const path = url.pathname.slice(4);
    if (path.startsWith('/api-docs/')) {
      const name = path.slice('/api-docs/'.length).replace(/\.json$/, '');
      const doc = name === 'resources' ? resourceListing(basePath) : resourceDocument(name, basePath);
      return doc ? { status: 200, body: doc } : { status: 404, body: { message: 'Resource not found' } };
    }
    if (!this.authorised(req, url)) return { status: 401, body: { message: 'Authentication required' } };
    const method = req.method ?? 'GET';
    const matches = ROUTES.filter((r) => r.regex.test(path)).sort((a, b) => specificity(b) - specificity(a));
    if (matches.length === 0) return { status: 404, body: { message: 'Resource not found' } };
    const best = specificity(matches[0]);
    const route = matches.find((r) => r.op.httpMethod === method && specificity(r) === best) ?? matches.find((r) => r.op.httpMethod === method);
    if (!route) return { status: 405, body: { message: 'Invalid method' } };
    const m = route.regex.exec(path) as RegExpExecArray;
    const pathParams: Record<string, string> = {};
    route.names.forEach((n, i) => (pathParams[n] = decodeURIComponent(m[i + 1])));
    const params = new Map<string, string[]>();
    for (const [k, v] of url.searchParams) if (k !== 'api_key') params.set(k, [...(params.get(k) ?? []), v]);
    let body: unknown = null;
    if (rawBody.trim() !== '') {
      try {
        body = JSON.parse(rawBody);
      } catch {
        return { status: 400, body: { message: 'Failed to parse body' } };
      }
      if (body && typeof body === 'object' && !Array.isArray(body)) {
        for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
          if (k !== 'variables' && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) params.set(k, [String(v)]);
        }
      }
    }
    const handler = HANDLERS[`${route.op.resource}.${route.op.nickname}`];
    if (!handler) return { status: 501, body: { message: 'Not implemented' } };
    const ariReq: AriRequest = { path: pathParams, params, body };
    try {
      return handler(ariReq, this.pbx);
    } catch (err) {
      if (err instanceof PbxError) return { status: err.status, body: { [err.bodyKey]: err.message } };
      return { status: 500, body: { message: err instanceof Error ? err.message : 'Internal Server Error' } };
    }
  }

  // ------------------------------------------------------------------ WebSocket

  private onUpgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://sim');
    const refuse = (status: number, text: string, message: string): void => {
      const body = JSON.stringify({ message });
      socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    };
    if (url.pathname !== '/ari/events') return refuse(404, 'Not Found', 'Resource not found');
    if (this.pbx.clock.now() < this.refuseUpgradesUntil) {
      socket.destroy();
      return;
    }
    if (!this.authorised(req, url)) return refuse(401, 'Unauthorized', 'Authentication required');
    const apps = (url.searchParams.get('app') ?? '').split(',').map((a) => a.trim()).filter(Boolean);
    if (apps.length === 0) return refuse(400, 'Bad Request', "Missing parameter 'app'");
    const subscribeAll = url.searchParams.get('subscribeAll') === 'true';
    this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws, apps, subscribeAll));
  }

  private attach(ws: WebSocket, apps: string[], subscribeAll: boolean): void {
    const session: Session = { ws, apps };
    this.sessions.add(session);
    for (const app of apps) {
      const previous = this.owners.get(app);
      if (previous && previous !== session) {
        // Asterisk tells the old socket and stops sending it this app's events.
        this.sendTo(previous, { type: 'ApplicationReplaced', timestamp: new Date(this.pbx.clock.now()).toISOString().replace('Z', '+0000'), application: app, asterisk_id: this.pbx.entityId });
      }
      this.owners.set(app, session);
      this.pbx.activateApp(app, subscribeAll);
    }
    ws.on('close', () => {
      this.sessions.delete(session);
      for (const app of apps) {
        if (this.owners.get(app) !== session) continue;
        this.owners.delete(app);
        this.pbx.deactivateApp(app);
      }
    });
    ws.on('error', () => ws.terminate());
  }

  private deliver(e: PbxEvent): void {
    for (const app of e.apps) {
      const session = this.owners.get(app);
      if (!session) continue; // Asterisk: "Inactive Stasis app missed message"
      for (const msg of ariMessagesFor(e, app, this.pbx)) {
        const full: Json = msg.type === 'DeviceStateChanged' ? { ...msg, asterisk_id: this.pbx.entityId } : { ...msg, asterisk_id: this.pbx.entityId, application: app };
        this.sendTo(session, full);
      }
    }
  }

  /** Sends one message, applying the duplicate/reorder faults. */
  private sendTo(session: Session, msg: Json): void {
    const text = JSON.stringify(msg);
    if (this.faults.reorderNext > 0 && !this.held) {
      this.faults.reorderNext -= 1;
      const timer = this.pbx.clock.setTimer(this.faults.reorderMaxHoldMs, () => this.releaseHeld());
      this.held = { session, text, timer };
      return;
    }
    this.raw(session, text);
    if (this.faults.duplicateNext > 0) {
      this.faults.duplicateNext -= 1;
      this.raw(session, text);
    }
    this.releaseHeld();
  }

  private releaseHeld(): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    held.timer.cancel();
    this.raw(held.session, held.text);
  }

  private raw(session: Session, text: string): void {
    if (session.ws.readyState === WebSocket.OPEN) session.ws.send(text);
  }
}
