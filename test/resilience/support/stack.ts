/**
 * The resilience tests' world: the PBX simulator in the test process, a
 * private Redis the test may stop, restart or kill, a temp SQLite file, and
 * siaga112 itself running as child processes (test/resilience/support/service-child.ts)
 * that the test may SIGKILL or SIGTERM. The test reads the call records from
 * the same SQLite file and drives operators through the shared Redis pool.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AccountService } from '../../../src/accounts/account-service';
import { Argon2Hasher } from '../../../src/accounts/password';
import { createAccountStore } from '../../../src/accounts/create-account-store';
import { configSchema } from '../../../src/config/schema';
import { systemClock } from '../../../src/core/clock';
import { silentLogger } from '../../../src/core/logger';
import { DomainEventBus } from '../../../src/domain/events';
import type { CallRecord, TimelineEvent } from '../../../src/domain/types';
import { createDispatch, type Dispatch } from '../../../src/queue';
import { startSimulator, type Simulator } from '../../../src/sim';
import type { CallerScript } from '../../../src/sim';
import { openSqliteCallStore, type SqliteCallStore } from '../../../src/store';
import { PrivateRedis } from '../../support/redis';

const ROOT = path.resolve(__dirname, '../../..');
const CHILD = path.join(__dirname, 'service-child.ts');

/** Slow tests (a minute of WebSocket gap, Redis down for 30 s) are skipped with SIAGA112_SKIP_SLOW=1; CI runs them. */
export const skipSlow = process.env.SIAGA112_SKIP_SLOW === '1';

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  url: string;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** SIGTERM, as a graceful stop; resolves with the exit code. */
  terminate(): Promise<number | null>;
  readonly exited: boolean;
}

export interface StackOptions {
  operators?: string[];
  /** Prompt lengths in seconds (the menu is long so callers can be caught in the IVR). */
  menuSeconds?: number;
  ringTimeoutSeconds?: number;
  offerLeaseSeconds?: number;
  inputTimeoutSeconds?: number;
}

/** How a service child is started: lease timings, queue timeout, whether to wait for READY. */
export interface ChildServiceOptions {
  lease?: { ttlMs?: number; renewMs?: number } | false;
  /** ServiceOptions.queueTimeoutMs (default: the call centre's). */
  queueTimeoutMs?: number;
  wait?: boolean;
}

export interface Stack {
  sim: Simulator;
  redis: PrivateRedis;
  dir: string;
  sqlitePath: string;
  store: SqliteCallStore;
  /** Operator account id by name (op1 → acc_...). */
  operatorIds: Record<string, string>;
  /** A dispatch client on the shared Redis (never started: it only drives the operator pool). */
  pool: Dispatch;
  startService(name: string, opts?: ChildServiceOptions): Promise<ServiceProcess>;
  /** Wait until GET /readyz answers 200 (PBX connected, calls taken up) or, with `expect: false`, 503. */
  waitReady(proc: ServiceProcess, expect?: boolean, timeoutMs?: number): Promise<void>;
  ready(operator: string): Promise<void>;
  notReady(operator: string): Promise<void>;
  placeCall(script: Omit<CallerScript, 'from'> & { from?: string }): string;
  record(channelId: string): Promise<CallRecord | undefined>;
  timeline(callId: string): Promise<TimelineEvent[]>;
  allCalls(): Promise<CallRecord[]>;
  /** Wait until the channel's record is in one of these states. */
  waitState(channelId: string, states: string[], timeoutMs?: number): Promise<CallRecord>;
  stop(): Promise<void>;
}

let callerSeq = 0;

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'siaga112-resilience-'));
  const sqlitePath = path.join(dir, 'siaga112.sqlite');
  const redis = await new PrivateRedis().start();
  const user = 'siaga112';
  const password = 'resilience-secret';
  const sim = await startSimulator({ ariPort: 0, username: user, password, clock: systemClock });
  sim.pbx.configureSounds({
    sounds: {
      'siaga112/id/greeting': 0.2,
      'siaga112/id/menu': opts.menuSeconds ?? 1.5,
      'siaga112/id/invalid-choice': 0.2,
      'siaga112/id/queued': 0.2,
      'siaga112/id/reassurance': 0.2,
    },
    unknownSound: 0.2,
  });
  const operators = opts.operators ?? ['op1', 'op2'];
  for (const op of operators) sim.control.addEndpoint(op, { registered: true, behaviour: { kind: 'answer', afterS: 0.3 } });

  // Operator accounts in the shared SQLite (their ids are the pool's operator ids).
  const storeConfig = configSchema.shape.store.parse({ sqlitePath });
  const accountStore = await createAccountStore(storeConfig, systemClock);
  const accounts = new AccountService(accountStore, new Argon2Hasher(), systemClock);
  const operatorIds: Record<string, string> = {};
  for (const op of operators) {
    const account = await accounts.create({ username: op, displayName: op, role: 'operator', password: 'resilience-operator-pw-1', endpoint: `PJSIP/${op}` });
    operatorIds[op] = account.id;
  }
  await accountStore.close();
  const store = openSqliteCallStore({ path: sqlitePath, clock: systemClock });

  const dispatchConfig = {
    ...configSchema.shape.dispatch.parse({}),
    ringTimeoutSeconds: opts.ringTimeoutSeconds ?? 5,
    wrapUpTimeoutSeconds: 1,
    offerLeaseSeconds: opts.offerLeaseSeconds ?? 4,
  };
  const pool = createDispatch({
    redisUrl: redis.url,
    clock: systemClock,
    config: dispatchConfig,
    ivrReassuranceMs: 0,
    ringer: { ring: async () => 'failed' },
    waiting: { reassure: async () => undefined, transfer: async () => undefined },
    events: new DomainEventBus(),
    instanceId: 'resilience-test',
    logger: silentLogger(),
  });
  const children: ServiceProcess[] = [];

  const ivrFile = path.join(ROOT, 'config/ivr.yaml');
  const childConfig = (name: string) => ({
    mode: 'asterisk',
    service: { port: 0, logLevel: process.env.SIAGA112_CHILD_LOG ?? 'info', instanceId: name, maskCallerNumbers: true },
    redis: { url: redis.url },
    store: { sqlitePath },
    asterisk: { ari: { url: sim.ariUrl, user, password, app: 'siaga112' }, actionTimeoutSeconds: 3, reconnectMaxSeconds: 2 },
    dispatch: dispatchConfig,
    ivrFile,
  });

  async function startService(name: string, o: ChildServiceOptions = {}): Promise<ServiceProcess> {
    const log = createWriteStream(path.join(dir, `${name}.log`), { flags: 'a' });
    // node itself (not the tsx wrapper, which runs the program in a second process a SIGKILL would miss).
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      cwd: ROOT,
      env: {
        ...process.env,
        SIAGA112_CHILD_CONFIG: JSON.stringify(childConfig(name)),
        SIAGA112_CHILD_OPTIONS: JSON.stringify({ lease: o.lease ?? { ttlMs: 3000, renewMs: 1000 }, ...(o.queueTimeoutMs !== undefined ? { queueTimeoutMs: o.queueTimeoutMs } : {}) }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let exited = false;
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => ((exited = true), resolve(code))));
    child.stderr!.pipe(log);
    let out = '';
    const url = new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        log.write(chunk);
        out += chunk.toString('utf8');
        const m = /READY (\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      void exit.then((code) => reject(new Error(`service ${name} exited (${code}) before it was ready; see ${name}.log`)));
    });
    const proc: ServiceProcess = {
      name,
      child,
      url: '',
      kill: async () => {
        if (exited) return;
        child.kill('SIGKILL');
        await exit;
      },
      terminate: async () => {
        if (exited) return exit;
        child.kill('SIGTERM');
        return exit;
      },
      get exited() {
        return exited;
      },
    };
    children.push(proc);
    if (o.wait !== false) proc.url = await url;
    else void url.then((u) => (proc.url = u)).catch(() => undefined);
    return proc;
  }

  async function waitState(channelId: string, states: string[], timeoutMs = 20_000): Promise<CallRecord> {
    return waitFor(`call on ${channelId} to be ${states.join('|')}`, async () => {
      const r = await store.findByChannel(channelId);
      return r && states.includes(r.state) ? r : undefined;
    }, timeoutMs);
  }

  return {
    sim,
    redis,
    dir,
    sqlitePath,
    store,
    operatorIds,
    pool,
    startService,
    async waitReady(proc, want = true, timeoutMs = 20_000) {
      // A standby reports ready too: for 200, wait for the app to be connected as well.
      if (want) await waitFor('the ARI app to be connected', () => sim.pbx.isAppActive('siaga112'), timeoutMs, 100);
      await waitFor(`${proc.name} /readyz ${want ? '200' : '503'}`, async () => {
        const res = await fetch(`${proc.url}/readyz`);
        return want ? res.status === 200 : res.status === 503;
      }, timeoutMs, 200);
    },
    async ready(op) {
      const id = operatorIds[op];
      const snap = await pool.operators.snapshot(id).catch(() => undefined);
      if (!snap || snap.state === 'offline') await pool.operators.login(id);
      await pool.operators.setSoftphone(id, true);
      await pool.operators.setReady(id);
    },
    async notReady(op) {
      const id = operatorIds[op];
      const snap = await pool.operators.snapshot(id).catch(() => undefined);
      if (!snap || snap.state === 'offline') await pool.operators.login(id);
      if ((await pool.operators.snapshot(id)).state === 'ready') await pool.operators.setNotReady(id, 'break');
    },
    placeCall(script) {
      callerSeq += 1;
      return sim.control.placeCall({ from: `0812000${String(callerSeq).padStart(5, '0')}`, ...script }).id;
    },
    record: (channelId) => store.findByChannel(channelId),
    timeline: (callId) => store.getTimeline(callId),
    allCalls: () => store.findByTimeRange({ from: 0, to: Date.now() + 3600_000 }),
    waitState,
    async stop() {
      for (const c of children) await c.kill();
      await pool.stop().catch(() => undefined);
      await sim.stop();
      await store.close();
      await redis.destroy();
      if (process.env.SIAGA112_KEEP_RESILIENCE_DIR) console.log(`resilience logs kept in ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}
