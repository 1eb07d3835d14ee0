import http from 'node:http';
import https from 'node:https';
import type { Clock } from '../../core/clock';
import { TelephonyError, errorMessage } from '../../core/errors';
import { ariFailure } from './ari-errors';

export type QueryValue = string | number | boolean | undefined;

export interface AriRestOptions {
  /** The ARI base as for ari-client: `http://host:8088` (the `/ari` prefix is added here). */
  url: string;
  user: string;
  password: string;
  clock: Clock;
  /** Per request: a PBX that stops answering fails the request instead of hanging the call. */
  timeoutMs: number;
  /** Connections kept open to Asterisk at most (its http.conf sessionlimit is 100 by default). */
  maxSockets?: number;
}

export type AriReply = { ok: true; body: unknown } | { ok: false; status: number; reason: string };

interface Reply {
  status: number;
  body: unknown;
}

/**
 * ARI's REST half over one keep-alive HTTP agent. ari-client builds every
 * request through its swagger model (a model walk, a fresh base64 of the
 * credentials, a URL parse and a new TCP connection per request, and an
 * Error with a stack trace for every 404); on the bench this was the largest
 * CPU cost left on the call path. ARI's requests are simple (every parameter
 * in the query string, JSON back), so they are made here directly.
 *
 * Failures are TelephonyErrors carrying Asterisk's own message (`Channel not
 * found`, `Allocation failed`) and the HTTP status.
 */
export class AriRest {
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private readonly hostname: string;
  private readonly port: number;
  private readonly prefix: string;
  private readonly authorization: string;

  constructor(private readonly opts: AriRestOptions) {
    const base = new URL(opts.url);
    const secure = base.protocol === 'https:';
    this.transport = secure ? https : http;
    this.hostname = base.hostname.replace(/^\[|\]$/g, '');
    this.port = base.port ? Number(base.port) : secure ? 443 : 80;
    this.prefix = `${base.pathname.replace(/\/+$/, '')}/ari`;
    this.authorization = `Basic ${Buffer.from(`${opts.user}:${opts.password}`).toString('base64')}`;
    const agentOptions = { keepAlive: true, maxSockets: opts.maxSockets ?? 32, scheduling: 'lifo' as const };
    this.agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  /** `path` segments are encoded by the caller with `seg`. Resolves with the JSON body (undefined for 204). */
  async request(what: string, method: 'GET' | 'POST' | 'DELETE', path: string, query?: Record<string, QueryValue>): Promise<unknown> {
    const reply = await this.exchange(what, method, path, query);
    if (reply.ok) return reply.body;
    throw ariFailure(what, reply.status, reply.reason);
  }

  /**
   * The same, but a refusal by Asterisk is returned rather than thrown (no
   * Error built): for answers that are expected, such as a SIP header the
   * INVITE did not carry. A network failure or a timeout still throws.
   */
  async exchange(what: string, method: 'GET' | 'POST' | 'DELETE', path: string, query?: Record<string, QueryValue>): Promise<AriReply> {
    let reply: Reply;
    try {
      reply = await this.send(what, method, this.prefix + path + queryString(query), true);
    } catch (err) {
      if (err instanceof TelephonyError) throw err;
      throw new TelephonyError(`${what}: ${errorMessage(err)}`, false, { reason: errorMessage(err) }, { cause: err });
    }
    if (reply.status >= 200 && reply.status < 300) return { ok: true, body: reply.body };
    return { ok: false, status: reply.status, reason: reasonOf(reply) };
  }

  /** Close the kept connections (the service is stopping). */
  close(): void {
    this.agent.destroy();
  }

  private send(what: string, method: string, target: string, mayRetry: boolean): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        timer.cancel();
        fn();
      };
      const req = this.transport.request({
        agent: this.agent,
        hostname: this.hostname,
        port: this.port,
        method,
        path: target,
        headers: { authorization: this.authorization, accept: 'application/json', 'content-length': 0 },
      });
      const timer = this.opts.clock.setTimer(this.opts.timeoutMs, () => {
        finish(() => reject(new TelephonyError(`${what}: no answer from the PBX within ${this.opts.timeoutMs} ms`, false, { timeoutMs: this.opts.timeoutMs })));
        req.destroy();
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = chunks.length === 0 ? '' : Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          if (text !== '') {
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
          finish(() => resolve({ status: res.statusCode ?? 0, body }));
        });
        res.on('error', (err) => finish(() => reject(err)));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A kept connection the server closed while it sat idle: the request
        // never reached Asterisk, so sending it once more on a fresh one is safe.
        if (mayRetry && req.reusedSocket && err.code === 'ECONNRESET' && !settled) {
          settled = true;
          timer.cancel();
          this.send(what, method, target, false).then(resolve, reject);
          return;
        }
        finish(() => reject(err));
      });
      req.end();
    });
  }
}

/** One path segment, encoded (channel ids hold dots; names may hold anything). */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  let out = '';
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    out += `${out === '' ? '?' : '&'}${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`;
  }
  return out;
}

/** Asterisk's JSON error body: `{"message": …}`, or `{"error": …}` for an originate that failed to allocate. */
function reasonOf(reply: Reply): string {
  const body = reply.body;
  if (body && typeof body === 'object') {
    const rec = body as Record<string, unknown>;
    if (typeof rec.message === 'string') return rec.message;
    if (typeof rec.error === 'string') return rec.error;
  }
  if (typeof body === 'string' && body.trim() !== '') return body.trim().slice(0, 200);
  return `HTTP ${reply.status}`;
}
