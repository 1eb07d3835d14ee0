import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { AccountService } from '../../src/accounts/account-service';
import { Argon2Hasher } from '../../src/accounts/password';
import { SqliteAccountStore } from '../../src/accounts/sqlite-account-store';
import { CallCenter, type IncomingCall } from '../../src/app/call-center';
import { dispatchPortFor, queueObserverFor } from '../../src/app/dispatch-bridge';
import { systemClock, type Clock } from '../../src/core/clock';
import { silentLogger } from '../../src/core/logger';
import { configSchema } from '../../src/config/schema';
import { DomainEventBus, type DomainEvent } from '../../src/domain/events';
import { loadIvrMenu, type IvrMenu } from '../../src/domain/ivr/menu';
import { agencyList } from '../../src/domain/outcome/outcome';
import { createHttpApp } from '../../src/http/app';
import { createAuth, type Auth } from '../../src/http/auth';
import { createConsoleApi } from '../../src/http/api';
import { createLiveChannel, type LiveChannel } from '../../src/http/live';
import { createMetrics, type Metrics } from '../../src/http/metrics';
import type { DispatchObserver as CallCenterObserver } from '../../src/ports/dispatch';
import type { Offer, OperatorRinger, RingResult, WaitingCallerControl } from '../../src/ports/telephony';
import { createDispatch, type Dispatch } from '../../src/queue';
import { SqliteCallStore } from '../../src/store';
import { listen } from '../support/http';
import { freshRedis, testRedisUrl } from '../support/redis';

export const PASSWORDS = { op1: 'kata-sandi-satu', op2: 'kata-sandi-dua2', sup: 'pengawas-pw-01', admin: 'kunci-rahasia-1' } as const;
export type Username = keyof typeof PASSWORDS;

/** Poll (test side, real time) until `cond` holds. */
export async function waitFor<T>(cond: () => T | Promise<T>, what: string, timeoutMs = 5000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A softphone double: each ring waits until the test answers or refuses it. */
export class TestRinger implements OperatorRinger {
  readonly rings: Offer[] = [];
  private readonly open = new Map<string, (r: RingResult) => void>();

  ring(offer: Offer): Promise<RingResult> {
    this.rings.push(offer);
    return new Promise((resolve) => this.open.set(offer.callId, resolve));
  }

  ringing(callId: string): boolean {
    return this.open.has(callId);
  }

  /** The operator picks up (or the phone says `result`). */
  settle(callId: string, result: RingResult = 'answered'): void {
    const resolve = this.open.get(callId);
    if (!resolve) throw new Error(`no ring open for ${callId}`);
    this.open.delete(callId);
    resolve(result);
  }

  /** Settle whatever still rings (at the end of a test). */
  settleAll(result: RingResult = 'no_answer'): void {
    for (const id of [...this.open.keys()]) this.settle(id, result);
  }
}

const noWaiting: WaitingCallerControl = { reassure: async () => undefined, transfer: async () => undefined };

/** The call centre is made after the dispatcher it observes: bind late. */
function lateCenter(center: () => CallCenter): CallCenterObserver {
  return {
    onOffered: (...a) => center().onOffered(...a),
    onAnswered: (...a) => center().onAnswered(...a),
    onMissed: (...a) => center().onMissed(...a),
    onAbandoned: (...a) => center().onAbandoned(...a),
    onReassured: (...a) => center().onReassured(...a),
    onOverflow: (...a) => center().onOverflow(...a),
    onWrapUpEnded: (...a) => center().onWrapUpEnded(...a),
  };
}

export interface Reply {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string; details?: { issues?: Array<{ field: string; message: string }> } } };
  text: string;
  headers: Headers;
}

export interface Login {
  cookie: string;
  csrf: string;
}

export interface HarnessOptions {
  clock?: Clock;
  /** Serve public/ (the console page). @defaultValue true */
  staticFiles?: boolean;
  metricsToken?: string;
}

/**
 * The console's HTTP service as the lead composes it, on real parts: Redis
 * (sessions and dispatcher), a SQLite call store in a temporary directory,
 * the real dispatcher with a test ringer, the CallCenter, and the bridge
 * between them that the service uses (src/app/dispatch-bridge.ts).
 */
export class ConsoleHarness {
  clock!: Clock;
  redis!: Redis;
  dir!: string;
  store!: SqliteCallStore;
  accountStore!: SqliteAccountStore;
  accounts!: AccountService;
  auth!: Auth;
  events!: DomainEventBus;
  seen: DomainEvent[] = [];
  menu!: IvrMenu;
  dispatch!: Dispatch;
  ringer = new TestRinger();
  center!: CallCenter;
  live!: LiveChannel;
  metrics!: Metrics;
  url = '';
  private closeServer!: () => Promise<void>;
  private channels = 0;

  static async start(options: HarnessOptions = {}): Promise<ConsoleHarness> {
    const h = new ConsoleHarness();
    h.clock = options.clock ?? systemClock;
    const logger = silentLogger();
    h.redis = await freshRedis();
    h.dir = mkdtempSync(path.join(os.tmpdir(), 'siaga112-api-'));
    h.store = SqliteCallStore.open({ path: path.join(h.dir, 'calls.sqlite'), clock: h.clock });
    h.accountStore = SqliteAccountStore.open(':memory:', h.clock);
    h.accounts = new AccountService(h.accountStore, new Argon2Hasher({ memoryCost: 1024, timeCost: 1 }), h.clock);
    h.auth = createAuth({ accounts: h.accounts, redis: h.redis, clock: h.clock, logger });
    h.events = new DomainEventBus();
    h.events.subscribe((e) => h.seen.push(e));
    h.menu = loadIvrMenu(path.resolve(__dirname, '../../config/ivr.yaml'));
    const agencies = agencyList([{ id: 'pln', name: 'PLN (listrik)', number: '123' }]);
    h.dispatch = createDispatch({
      redisUrl: testRedisUrl(),
      clock: h.clock,
      config: configSchema.shape.dispatch.parse({}),
      ivrReassuranceMs: 0,
      ringer: h.ringer,
      waiting: noWaiting,
      observer: queueObserverFor(lateCenter(() => h.center), logger),
      events: h.events,
      instanceId: 'api-test',
      logger,
      prefix: `siaga112-test-${process.pid}-${Date.now()}`,
    });
    h.center = new CallCenter({ store: h.store, dispatch: dispatchPortFor(h.dispatch), clock: h.clock, logger, menu: h.menu, events: h.events, agencies, maskCallerNumbers: true });
    await h.dispatch.start();
    h.live = createLiveChannel({ events: h.events, auth: h.auth, clock: h.clock, logger, heartbeatMs: 60_000 });
    h.metrics = createMetrics({ events: h.events, dispatch: h.dispatch, store: h.store, clock: h.clock, logger, processMetrics: false, token: options.metricsToken });
    const api = createConsoleApi({ callCenter: h.center, dispatch: h.dispatch, store: h.store, auth: h.auth, clock: h.clock, menu: h.menu, agencies, logger });
    const app = createHttpApp({
      logger,
      readiness: [],
      trustProxy: true,
      routers: [h.auth.router, api, h.live.router, h.metrics.router],
      ...(options.staticFiles === false ? {} : { staticDir: path.resolve(__dirname, '../../public') }),
    });
    const server = await listen(app);
    h.url = server.url;
    h.closeServer = server.close;

    await h.accounts.create({ username: 'op1', displayName: 'Operator Satu', role: 'operator', endpoint: 'PJSIP/op1', password: PASSWORDS.op1 });
    await h.accounts.create({ username: 'op2', displayName: 'Operator Dua', role: 'operator', endpoint: 'PJSIP/op2', password: PASSWORDS.op2 });
    await h.accounts.create({ username: 'sup', displayName: 'Pengawas', role: 'supervisor', password: PASSWORDS.sup });
    await h.accounts.create({ username: 'admin', displayName: 'Admin', role: 'admin', password: PASSWORDS.admin });
    // At start the service defines every operator in the pool; the PBX reports the softphones.
    for (const id of ['op1', 'op2']) {
      await h.dispatch.operators.define({ id, displayName: id, endpoint: `PJSIP/${id}` });
      await h.dispatch.operators.setSoftphone(id, true);
    }
    return h;
  }

  async request(method: string, path: string, o: { body?: unknown; rawBody?: string; login?: Login; csrf?: string | false; headers?: Record<string, string> } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...o.headers };
    if (o.login) headers.cookie = o.login.cookie;
    const csrf = o.csrf === undefined ? o.login?.csrf : o.csrf;
    if (csrf) headers['x-csrf-token'] = csrf;
    let body: string | undefined;
    if (o.rawBody !== undefined || o.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = o.rawBody ?? JSON.stringify(o.body);
    }
    const res = await fetch(this.url + path, { method, headers, body });
    const text = await res.text();
    let parsed: Reply['body'] = {};
    if (text && (res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text) as Reply['body'];
    return { status: res.status, body: parsed, text, headers: res.headers };
  }

  async login(username: Username): Promise<Login> {
    const res = await fetch(`${this.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: PASSWORDS[username] }),
    });
    const body = (await res.json()) as { csrfToken?: string };
    if (res.status !== 200 || !body.csrfToken) throw new Error(`login ${username} failed: ${res.status}`);
    return { cookie: (res.headers.getSetCookie()[0] ?? '').split(';')[0] as string, csrf: body.csrfToken };
  }

  /** A call reaches siaga112 and the caller presses `digit` (2 = medical). Returns its id once queued. */
  async queueCall(callerNumber = '081234567890', digit = '2', location?: IncomingCall['location']): Promise<string> {
    this.channels += 1;
    const { call } = await this.center.callArrived({ backend: 'asterisk', channelId: `chan-${process.pid}-${this.channels}-${Date.now()}`, callerNumber, dialedNumber: '112', ...(location ? { location } : {}) });
    await this.center.ivrEvent(call.id, { type: 'prompt_finished', promptId: 'greeting' });
    await this.center.ivrEvent(call.id, { type: 'digit', digit });
    await waitFor(async () => (await this.store.getCall(call.id))?.state !== 'in_ivr', `call ${call.id} queued`);
    return call.id;
  }

  async stop(): Promise<void> {
    this.ringer.settleAll();
    this.live.close();
    this.metrics.stop();
    await this.closeServer();
    await this.dispatch.stop();
    await this.store.close();
    await this.accountStore.close();
    this.redis.disconnect();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function issueFields(reply: Reply): string[] {
  return (reply.body.error?.details?.issues ?? []).map((i) => i.field);
}
