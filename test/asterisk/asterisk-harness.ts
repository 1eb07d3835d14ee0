/**
 * The whole Asterisk path for integration tests: the PBX simulator (ARI +
 * AMI on loopback), the unmodified ari-client and asterisk-manager behind
 * siaga112's adapters, the real call centre, the real BullMQ dispatcher on
 * the test Redis, and a real SQLite store in a temp folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { CallCenter } from '../../src/app/call-center';
import { dispatchPortFor, queueObserverFor } from '../../src/app/dispatch-bridge';
import { AmiMonitor } from '../../src/asterisk/ami/ami-monitor';
import { AsteriskManagerLink } from '../../src/asterisk/ami/ami-link';
import { AriClientConnection } from '../../src/asterisk/ari/ari-client-connection';
import { AsteriskTelephony } from '../../src/asterisk/asterisk-telephony';
import { configSchema } from '../../src/config/schema';
import { systemClock } from '../../src/core/clock';
import { silentLogger, type Logger } from '../../src/core/logger';
import { DomainEventBus, type DomainEvent } from '../../src/domain/events';
import { loadIvrMenu, type IvrMenu } from '../../src/domain/ivr/menu';
import { agencyList } from '../../src/domain/outcome/outcome';
import type { CallRecord, TimelineEvent } from '../../src/domain/types';
import type { DispatchPort } from '../../src/ports/dispatch';
import { createDispatch, type Dispatch } from '../../src/queue';
import { startAmiServer, type AmiServer } from '../../src/sim/ami/server';
import { attachAmiToPbx } from '../../src/sim/ami/attach';
import { startSimulator, type Simulator } from '../../src/sim';
import { openSqliteCallStore, type SqliteCallStore } from '../../src/store';
import { testRedisUrl } from '../support/redis';

export interface HarnessOptions {
  /** Operators op1..opN with their softphone behaviour in the simulator. */
  operators?: Array<{ id: string; behaviour?: { kind: 'answer'; afterS?: number } | { kind: 'busy'; afterS?: number } | { kind: 'no-answer' }; registered?: boolean; ready?: boolean }>;
  ringTimeoutSeconds?: number;
  reassuranceMs?: number;
  inputTimeoutSeconds?: number;
  /** Start the ARI side (false: the app is not connected; calls take the fail-safe path). */
  connectAri?: boolean;
  logger?: Logger;
}

export interface Harness {
  sim: Simulator;
  /** The simulator's AMI server (to drive AMI-only events such as ContactStatus). */
  amiServer(): AmiServer;
  center: CallCenter;
  telephony: AsteriskTelephony;
  ari: AriClientConnection;
  ami: AsteriskManagerLink;
  monitor: AmiMonitor;
  dispatch: Dispatch;
  store: SqliteCallStore;
  menu: IvrMenu;
  events: DomainEvent[];
  softphones: Array<{ endpoint: string; registered: boolean }>;
  call(callId: string): Promise<CallRecord | undefined>;
  callByChannel(channelId: string): Promise<CallRecord | undefined>;
  timeline(callId: string): Promise<TimelineEvent[]>;
  stop(): Promise<void>;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 8000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const clock = systemClock;
  const logger = opts.logger ?? silentLogger();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'siaga112-asterisk-'));
  const user = 'siaga112';
  const password = 'test-secret';

  let amiServer: AmiServer | undefined;
  const sim = await startSimulator({
    ariPort: 0,
    amiPort: 0,
    username: user,
    password,
    clock,
    amiServerFactory: async (ctx) => {
      const server = await startAmiServer({ port: ctx.port, host: ctx.host, users: [{ name: ctx.username, secret: ctx.password }], clock: ctx.clock });
      amiServer = server;
      const detach = attachAmiToPbx(server, ctx.pbx);
      return {
        port: server.port,
        stop: async () => {
          detach();
          await server.stop();
        },
      };
    },
  });
  // Short prompts keep the tests quick; the menu is long enough to barge in.
  sim.pbx.configureSounds({
    sounds: {
      'siaga112/id/greeting': 0.2,
      'siaga112/id/menu': 1.5,
      'siaga112/id/invalid-choice': 0.2,
      'siaga112/id/queued': 0.2,
      'siaga112/id/reassurance': 0.2,
    },
    unknownSound: 0.2,
  });

  const base = loadIvrMenu(path.resolve(__dirname, '../../config/ivr.yaml'));
  const menu: IvrMenu = { ...base, inputTimeoutSeconds: opts.inputTimeoutSeconds ?? 0.6 };
  const store = openSqliteCallStore({ path: path.join(dir, 'calls.sqlite'), clock });
  const bus = new DomainEventBus();
  const events: DomainEvent[] = [];
  bus.subscribe((e) => events.push(e));

  let dispatch!: Dispatch;
  const port: DispatchPort = {
    enqueue: (e) => dispatchPortFor(dispatch).enqueue(e),
    abandon: (id) => dispatchPortFor(dispatch).abandon(id),
    operatorCallEnded: (op, id) => dispatchPortFor(dispatch).operatorCallEnded(op, id),
    endWrapUp: (op) => dispatchPortFor(dispatch).endWrapUp(op),
  };
  const center = new CallCenter({ store, dispatch: port, clock, logger, menu, events: bus, agencies: agencyList(), maskCallerNumbers: true });

  const operators = opts.operators ?? [{ id: 'op1', behaviour: { kind: 'answer', afterS: 0.2 } }];
  const softphones: Array<{ endpoint: string; registered: boolean }> = [];
  const operatorFor = (endpoint: string): string | undefined => operators.find((o) => `PJSIP/${o.id}` === endpoint)?.id;
  const onSoftphone = (endpoint: string, registered: boolean): void => {
    softphones.push({ endpoint, registered });
    const id = operatorFor(endpoint);
    if (id) void dispatch.operators.setSoftphone(id, registered).catch(() => undefined);
  };

  const ari = new AriClientConnection({ url: sim.ariUrl, user, password, app: 'siaga112', clock, logger, actionTimeoutMs: 3000, reconnectMaxMs: 1000 });
  const telephony = new AsteriskTelephony({ ari, callCenter: center, menu, clock, logger, app: 'siaga112', outboundContext: 'siaga112-outbound', maskCallerNumbers: true, onSoftphone, ringMarginMs: 2000 });
  const ami = new AsteriskManagerLink({ host: '127.0.0.1', port: sim.amiPort!, user, password, clock, logger, actionTimeoutMs: 3000, reconnectMaxMs: 1000 });
  const monitor = new AmiMonitor({ link: ami, callCenter: center, logger, onSoftphone, operatorForInterface: operatorFor });

  dispatch = createDispatch({
    redisUrl: testRedisUrl(),
    clock,
    config: { ...configSchema.shape.dispatch.parse({}), ringTimeoutSeconds: opts.ringTimeoutSeconds ?? 1.5, wrapUpTimeoutSeconds: 60 },
    ivrReassuranceMs: opts.reassuranceMs ?? 0,
    ringer: telephony,
    waiting: telephony,
    observer: queueObserverFor(center, logger),
    events: bus,
    instanceId: 'asterisk-test',
    logger,
    prefix: `t-${randomUUID()}`,
  });
  await dispatch.start();

  for (const op of operators) {
    sim.control.addEndpoint(op.id, { registered: op.registered ?? true, behaviour: op.behaviour ?? { kind: 'answer', afterS: 0.2 } });
    await dispatch.operators.define({ id: op.id, displayName: op.id, endpoint: `PJSIP/${op.id}` });
    await dispatch.operators.login(op.id);
    await dispatch.operators.setSoftphone(op.id, op.registered ?? true);
    if (op.ready ?? true) await dispatch.operators.setReady(op.id);
  }

  await ami.start();
  if (opts.connectAri ?? true) await ari.start();

  return {
    sim,
    amiServer: () => amiServer!,
    center,
    telephony,
    ari,
    ami,
    monitor,
    dispatch,
    store,
    menu,
    events,
    softphones,
    call: (id) => store.getCall(id),
    callByChannel: (channelId) => store.findByChannel(channelId),
    timeline: (id) => store.getTimeline(id),
    async stop() {
      await ari.stop();
      await ami.stop();
      await dispatch.stop();
      await sim.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
