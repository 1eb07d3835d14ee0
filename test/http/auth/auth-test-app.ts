import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Redis } from 'ioredis';
import { AccountService } from '../../../src/accounts/account-service';
import { Argon2Hasher } from '../../../src/accounts/password';
import { SqliteAccountStore } from '../../../src/accounts/sqlite-account-store';
import { ManualClock } from '../../../src/core/clock';
import { isSiaga112Error } from '../../../src/core/errors';
import { silentLogger } from '../../../src/core/logger';
import { createAuth, type Auth, type AuthOptions } from '../../../src/http/auth';
import { freshRedis } from '../../support/redis';

export const PASSWORDS = { admin: 'kunci-rahasia-1', op1: 'kata-sandi-01', sup: 'pengawas-pw-01' } as const;

export interface Reply {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string; details?: { issues?: Array<{ field: string }> } } };
  headers: Headers;
  setCookies: string[];
}

export interface RequestOptions {
  body?: unknown;
  rawBody?: string;
  contentType?: string;
  cookie?: string;
  csrf?: string;
  ip?: string;
}

export interface Login {
  cookie: string;
  csrf: string;
}

/** A stand-in for the app's error handler: the one JSON error shape. */
function errorHandler(err: unknown, _req: Request, res: Response, _next: NextFunction): void {
  if (isSiaga112Error(err)) {
    res.status(err.httpStatus).json({ error: { code: err.code, message: err.message, details: err.details } });
    return;
  }
  res.status(500).json({ error: { code: 'internal', message: String(err) } });
}

/** A small Express app with the auth router, a few protected probe routes, and three accounts. */
export class AuthTestApp {
  readonly clock = new ManualClock();
  redis!: Redis;
  store!: SqliteAccountStore;
  accounts!: AccountService;
  auth!: Auth;
  private server!: Server;
  url = '';

  static async start(options: Partial<Pick<AuthOptions, 'publicUrl' | 'throttle' | 'sessions'>> = {}): Promise<AuthTestApp> {
    const t = new AuthTestApp();
    t.redis = await freshRedis();
    t.store = SqliteAccountStore.open(':memory:', t.clock);
    // Cheap argon2 parameters: the tests check behaviour, not cost.
    t.accounts = new AccountService(t.store, new Argon2Hasher({ memoryCost: 1024, timeCost: 1 }), t.clock);
    t.auth = createAuth({ accounts: t.accounts, redis: t.redis, clock: t.clock, logger: silentLogger(), ...options });
    const app = express();
    app.set('trust proxy', true); // tests choose the client address with X-Forwarded-For
    app.use(t.auth.router);
    app.get('/api/probe/any', t.auth.requireAuth, (req, res) => res.json({ who: req.auth?.account.id }));
    app.post('/api/probe/any', t.auth.requireAuth, (_req, res) => res.json({ changed: true }));
    app.post('/api/probe/supervisor', t.auth.requireRole('supervisor', 'admin'), (_req, res) => res.json({ ok: true }));
    app.use(errorHandler);
    await new Promise<void>((resolve) => (t.server = app.listen(0, '127.0.0.1', () => resolve())));
    t.url = `http://127.0.0.1:${(t.server.address() as AddressInfo).port}`;
    await t.accounts.create({ username: 'admin', displayName: 'Admin', role: 'admin', password: PASSWORDS.admin });
    await t.accounts.create({ username: 'op1', displayName: 'Operator 1', role: 'operator', endpoint: 'PJSIP/op1', password: PASSWORDS.op1 });
    await t.accounts.create({ username: 'sup', displayName: 'Supervisor', role: 'supervisor', password: PASSWORDS.sup });
    return t;
  }

  async request(method: string, path: string, o: RequestOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { 'x-forwarded-for': o.ip ?? '10.0.0.1' };
    if (o.cookie) headers.cookie = o.cookie;
    if (o.csrf) headers['x-csrf-token'] = o.csrf;
    let body: string | undefined;
    if (o.rawBody !== undefined || o.body !== undefined) {
      headers['content-type'] = o.contentType ?? 'application/json';
      body = o.rawBody ?? JSON.stringify(o.body);
    }
    const res = await fetch(this.url + path, { method, headers, body });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Reply['body']) : {}, headers: res.headers, setCookies: res.headers.getSetCookie() };
  }

  /** Log in; fails the test unless it succeeds. */
  async login(username: string, password: string, ip?: string): Promise<Login> {
    const reply = await this.request('POST', '/api/auth/login', { body: { username, password }, ip });
    if (reply.status !== 200) throw new Error(`login ${username} failed: ${reply.status} ${JSON.stringify(reply.body)}`);
    const cookie = (reply.setCookies[0] ?? '').split(';')[0] as string;
    return { cookie, csrf: reply.body.csrfToken as string };
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.store.close();
    this.redis.disconnect();
  }
}

export function issueFields(reply: Reply): string[] {
  return (reply.body.error?.details?.issues ?? []).map((i) => i.field);
}
