import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DialplanAdmin } from '../../src/asterisk/ami/dialplan-admin';
import { AsteriskManagerLink } from '../../src/asterisk/ami/ami-link';
import { SqliteAuditLog } from '../../src/audit';
import { silentLogger } from '../../src/core/logger';
import { DialplanAdminService } from '../../src/dialplan-check/dialplan-admin-service';
import { createHttpApp } from '../../src/http/app';
import { accountAudit, createAdminApi } from '../../src/http/admin';
import { createConsoleApi } from '../../src/http/api';
import { createSupervisorApi } from '../../src/http/supervisor';
import { agencyList } from '../../src/domain/outcome/outcome';
import { ReportService } from '../../src/reports';
import { startAmiServer, type AmiServer } from '../../src/sim/ami/server';
import { ConsoleHarness, PASSWORDS, type Login, type Reply, type Username } from '../http/api-harness';
import { listen } from '../support/http';

const ROOT = path.resolve(__dirname, '../..');

/**
 * The console harness (real Redis, SQLite, dispatcher, CallCenter, live
 * channel) served with the supervisor and admin routers as the composition
 * root mounts them, plus the simulator's AMI server reading a copy of
 * dialplans/ that a test may break and fix.
 */
export class SupervisorHarness {
  h!: ConsoleHarness;
  url = '';
  dialplanDir = '';
  audit!: SqliteAuditLog;
  reports!: ReportService;
  amiServer!: AmiServer;
  ami!: AsteriskManagerLink;
  private close!: () => Promise<void>;
  private tmp = '';

  static async start(): Promise<SupervisorHarness> {
    const s = new SupervisorHarness();
    const logger = silentLogger();
    s.h = await ConsoleHarness.start({ staticFiles: false });
    const h = s.h;
    s.tmp = mkdtempSync(path.join(os.tmpdir(), 'siaga112-admin-'));
    s.dialplanDir = path.join(s.tmp, 'dialplans');
    cpSync(path.join(ROOT, 'dialplans'), s.dialplanDir, { recursive: true });
    s.audit = SqliteAuditLog.open(path.join(h.dir, 'calls.sqlite'), h.clock);
    s.amiServer = await startAmiServer({ users: [{ name: 'siaga', secret: 'ami-secret-1' }], dialplanDir: s.dialplanDir, clock: h.clock, authFailDelayMs: 0 });
    s.ami = new AsteriskManagerLink({ host: '127.0.0.1', port: s.amiServer.port, user: 'siaga', password: 'ami-secret-1', clock: h.clock, logger, actionTimeoutMs: 3000, reconnectMaxMs: 1000 });
    await s.ami.start();
    const dialplan = new DialplanAdminService({ dir: s.dialplanDir, app: 'siaga112', control: new DialplanAdmin(s.ami), audit: s.audit, clock: h.clock, logger });
    s.reports = new ReportService({ store: h.store, clock: h.clock, timeZone: 'Asia/Jakarta' });
    const agencies = agencyList([]);
    const app = createHttpApp({
      logger,
      readiness: [],
      trustProxy: true,
      routers: [
        accountAudit({ audit: s.audit, clock: h.clock, logger }),
        h.auth.router,
        createConsoleApi({ callCenter: h.center, dispatch: h.dispatch, store: h.store, auth: h.auth, clock: h.clock, menu: h.menu, agencies, logger }),
        h.live.router,
        createSupervisorApi({ reports: s.reports, dispatch: h.dispatch, auth: h.auth, clock: h.clock, menu: h.menu }),
        createAdminApi({ dialplan, audit: s.audit, auth: h.auth, logger }),
      ],
      staticDir: path.join(ROOT, 'public'),
    });
    const server = await listen(app);
    s.url = server.url;
    s.close = server.close;
    return s;
  }

  async login(username: Username): Promise<Login> {
    const res = await fetch(`${this.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORDS[username] }) });
    const body = (await res.json()) as { csrfToken?: string };
    if (res.status !== 200 || !body.csrfToken) throw new Error(`login ${username} failed: ${res.status}`);
    return { cookie: (res.headers.getSetCookie()[0] ?? '').split(';')[0] as string, csrf: body.csrfToken };
  }

  async request(method: string, p: string, o: { body?: unknown; login?: Login; csrf?: string | false } = {}): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (o.login) headers.cookie = o.login.cookie;
    const csrf = o.csrf === undefined ? o.login?.csrf : o.csrf;
    if (csrf) headers['x-csrf-token'] = csrf;
    let body: string | undefined;
    if (o.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(o.body);
    }
    const res = await fetch(this.url + p, { method, headers, body });
    const text = await res.text();
    const parsed = text && (res.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(text) as Reply['body']) : {};
    return { status: res.status, body: parsed, text, headers: res.headers };
  }

  async stop(): Promise<void> {
    await this.close?.();
    await this.ami?.stop();
    await this.amiServer?.stop();
    await this.audit?.close();
    await this.h?.stop();
    rmSync(this.tmp, { recursive: true, force: true });
  }
}
