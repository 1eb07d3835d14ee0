import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Router } from 'express';
import { AccountService } from '../accounts/account-service';
import { Argon2Hasher } from '../accounts/password';
import { createAccountStore } from '../accounts/create-account-store';
import { ensureDemoAccounts, describeDemoAccounts, type DemoAccount } from '../accounts/demo-accounts';
import { AmiMonitor } from '../asterisk/ami/ami-monitor';
import { AsteriskManagerLink } from '../asterisk/ami/ami-link';
import { AriClientConnection } from '../asterisk/ari/ari-client-connection';
import { AsteriskTelephony } from '../asterisk/asterisk-telephony';
import type { AppConfig } from '../config/schema';
import { systemClock, type Clock } from '../core/clock';
import { errorMessage } from '../core/errors';
import { createLogger, type Logger } from '../core/logger';
import { DomainEventBus } from '../domain/events';
import { loadIvrMenu, type IvrMenu } from '../domain/ivr/menu';
import { agencyList } from '../domain/outcome/outcome';
import { createHttpApp } from '../http/app';
import { createAuth, type Auth } from '../http/auth';
import type { ReadinessCheck } from '../http/health-routes';
import { createConsoleApi } from '../http/api';
import { createLiveChannel } from '../http/live';
import { createMetrics } from '../http/metrics';
import { createTwilioBackend, type TwilioBackend } from '../twilio/create-twilio-backend';
import type { OperatorRinger, WaitingCallerControl } from '../ports/telephony';
import type { CallbackTask } from '../domain/types';
import type { CallStore } from '../ports/call-store';
import { createDispatch, type Dispatch } from '../queue/create-dispatch';
import { startSimulator, type Simulator } from '../sim';
import { amiServerFactory } from '../sim/ami/sim-hook';
import { createCallStore } from '../store';
import { CallCenter } from './call-center';
import { DemoOperators } from './demo-operators';
import { dispatchPortFor, queueObserverFor } from './dispatch-bridge';

export interface ServiceOptions {
  clock?: Clock;
  logger?: Logger;
  /** Demo mode: where the simulator listens (0 = free ports). Defaults to Asterisk's ports 8088/5038. */
  simulatorPorts?: { ari: number; ami: number };
  /** Demo mode: the simulator scenario (path or object). Default config/sim/demo.yaml. */
  demoScenario?: string | false;
  /** Demo mode: robot operators that go ready and file outcomes by themselves. Default op2, op3. */
  demoRobots?: string[];
  /** Extra routers to mount (tests). */
  routers?: Router[];
}

/** Dial a caller back through the PBX when an operator takes the callback task. */
function callbackDialer(telephony: AsteriskTelephony, accounts: AccountService, logger: Logger) {
  return async (task: CallbackTask, operatorId: string): Promise<void> => {
    const operator = await accounts.get(operatorId);
    if (!operator?.endpoint) {
      logger.warn('callback not dialled: the operator has no softphone endpoint', { operatorId, callId: task.callId });
      return;
    }
    const result = await telephony.dialBack(task, operator.endpoint);
    logger.info('callback dialled', { callId: task.callId, operatorId, result });
  };
}

/** A running siaga112. */
export interface Service {
  config: AppConfig;
  url: string;
  logger: Logger;
  clock: Clock;
  store: CallStore;
  dispatch: Dispatch;
  center: CallCenter;
  accounts: AccountService;
  auth: Auth;
  events: DomainEventBus;
  menu: IvrMenu;
  simulator?: Simulator;
  telephony?: AsteriskTelephony;
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '../..');

/**
 * The composition root: builds every part from the configuration, connects
 * them, and starts the HTTP server. Nothing else in the tree constructs
 * adapters.
 */
export async function startService(config: AppConfig, options: ServiceOptions = {}): Promise<Service> {
  const clock = options.clock ?? systemClock;
  const logger =
    options.logger ?? createLogger({ level: config.service.logLevel, defaultMeta: { service: 'siaga112', instance: config.service.instanceId } });
  const stops: Array<() => Promise<void> | void> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        logger.warn('error while stopping', { error: errorMessage(err) });
      }
    }
  };

  try {
    const menu = loadIvrMenu(config.ivrFile);
    const events = new DomainEventBus((err, event) => logger.error('domain event listener failed', { event: event.type, error: errorMessage(err) }));

    const store = await createCallStore(config.store, clock);
    stops.push(() => store.close());
    const accountStore = await createAccountStore(config.store, clock);
    stops.push(() => accountStore.close());
    const accounts = new AccountService(accountStore, new Argon2Hasher(), clock);

    const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
    redis.on('error', (err: Error) => logger.warn('redis connection problem', { error: err.message }));
    stops.push(() => void redis.disconnect());

    // ------------------------------------------------ telephony (by mode)
    let simulator: Simulator | undefined;
    let telephony: AsteriskTelephony | undefined;
    let twilio: TwilioBackend | undefined;
    let ringer: OperatorRinger;
    let waiting: WaitingCallerControl;
    let center: CallCenter | undefined;
    let dispatch: Dispatch | undefined;
    const readiness: ReadinessCheck[] = [
      { name: 'redis', check: async () => void (await redis.ping()) },
      { name: 'store', check: () => store.ping() },
    ];

    const centerRef = () => {
      if (!center) throw new Error('call centre not started yet');
      return center;
    };
    const softphoneChanged = (endpoint: string, registered: boolean) => {
      void (async () => {
        const operator = (await accounts.list()).find((a) => a.role === 'operator' && a.endpoint === endpoint);
        if (!operator || !dispatch) return;
        await dispatch.operators.setSoftphone(operator.id, registered);
      })().catch((err: unknown) => logger.warn('softphone state not applied', { endpoint, registered, error: errorMessage(err) }));
    };

    let pendingScenario: string | undefined;
    let amiStart: (() => Promise<void>) | undefined;
    let ariStart: (() => Promise<void>) | undefined;
    let demoAccounts: DemoAccount[] = [];
    let ariSettings = config.asterisk.ari;
    let amiSettings = config.asterisk.ami;
    if (config.mode === 'demo') {
      const ports = options.simulatorPorts ?? { ari: 8088, ami: 5038 };
      const scenario = options.demoScenario === undefined ? path.join(ROOT, 'config/sim/demo.yaml') : options.demoScenario || undefined;
      simulator = await startSimulator({ ariPort: ports.ari, amiPort: ports.ami, amiServerFactory, clock, stasisApp: config.asterisk.ari.app });
      stops.push(() => simulator!.stop());
      ariSettings = { url: simulator.ariUrl, user: simulator.username, password: simulator.password, app: config.asterisk.ari.app };
      amiSettings = { host: '127.0.0.1', port: simulator.amiPort ?? ports.ami, user: simulator.username, password: simulator.password };
      pendingScenario = scenario;
    }

    if (config.mode === 'demo' || config.mode === 'asterisk') {
      const ari = new AriClientConnection({
        url: ariSettings.url!,
        user: ariSettings.user!,
        password: ariSettings.password!,
        app: ariSettings.app,
        clock,
        logger,
        actionTimeoutMs: config.asterisk.actionTimeoutSeconds * 1000,
        reconnectMaxMs: config.asterisk.reconnectMaxSeconds * 1000,
      });
      telephony = new AsteriskTelephony({
        ari,
        callCenter: {
          callArrived: (c) => centerRef().callArrived(c),
          ivrEvent: (id, e) => centerRef().ivrEvent(id, e),
          callerHungUp: (id, d) => centerRef().callerHungUp(id, d),
          operatorHungUp: (id, d) => centerRef().operatorHungUp(id, d),
          callFailed: (id, d) => centerRef().callFailed(id, d),
          note: (id, t, d, a) => centerRef().note(id, t, d, a),
        },
        menu,
        clock,
        logger,
        app: ariSettings.app,
        outboundContext: config.asterisk.outboundContext,
        maskCallerNumbers: config.service.maskCallerNumbers,
        onSoftphone: softphoneChanged,
      });
      ringer = telephony;
      waiting = telephony;
      readiness.push({ name: 'pbx', check: async () => { if (!ari.connected) throw new Error('ARI WebSocket not connected'); } });
      stops.push(() => ari.stop());
      ariStart = () => ari.start();
      if (amiSettings.host && amiSettings.user && amiSettings.password) {
        const link = new AsteriskManagerLink({
          host: amiSettings.host,
          port: amiSettings.port,
          user: amiSettings.user,
          password: amiSettings.password,
          clock,
          logger,
          actionTimeoutMs: config.asterisk.actionTimeoutSeconds * 1000,
          reconnectMaxMs: config.asterisk.reconnectMaxSeconds * 1000,
        });
        new AmiMonitor({ link, callCenter: { failsafeCall: (...a) => centerRef().failsafeCall(...a), failsafeStep: (...a) => centerRef().failsafeStep(...a) }, logger, onSoftphone: softphoneChanged });
        stops.push(() => link.stop());
        amiStart = () => link.start();
      }
    } else {
      twilio = createTwilioBackend({ config, callCenter: centerRef, store, redis, clock, logger, menu });
      ringer = twilio.ringer;
      waiting = twilio.waiting;
      stops.push(() => twilio!.stop());
    }

    // ------------------------------------------------- dispatch and centre
    dispatch = createDispatch({
      redisUrl: config.redis.url,
      clock,
      config: config.dispatch,
      ivrReassuranceMs: menu.reassuranceIntervalSeconds * 1000,
      ringer,
      waiting,
      observer: queueObserverFor({
        onOffered: (...a) => centerRef().onOffered(...a),
        onAnswered: (...a) => centerRef().onAnswered(...a),
        onMissed: (...a) => centerRef().onMissed(...a),
        onAbandoned: (...a) => centerRef().onAbandoned(...a),
        onReassured: (...a) => centerRef().onReassured(...a),
        onOverflow: (...a) => centerRef().onOverflow(...a),
        onWrapUpEnded: (...a) => centerRef().onWrapUpEnded(...a),
      }, logger),
      events,
      instanceId: config.service.instanceId!,
      logger,
    });
    center = new CallCenter({
      store,
      dispatch: dispatchPortFor(dispatch),
      clock,
      logger,
      menu,
      events,
      agencies: agencyList(config.agencies),
      maskCallerNumbers: config.service.maskCallerNumbers,
      ...(telephony ? { dialBack: callbackDialer(telephony, accounts, logger) } : {}),
    });
    if (twilio) await twilio.start();
    await dispatch.start();
    stops.push(() => dispatch!.stop());

    // ------------------------------------------------------ accounts
    if (config.mode === 'demo') {
      demoAccounts = await ensureDemoAccounts(accounts, { mode: 'demo' });
    }
    for (const account of await accounts.list()) {
      if (account.role !== 'operator' || account.disabled || !account.endpoint) continue;
      const operator = { id: account.id, displayName: account.displayName, endpoint: account.endpoint };
      await dispatch.operators.define(operator);
      await store.upsertOperator(operator);
    }

    // ---------------------------------------------------------- HTTP
    const auth = createAuth({ accounts, redis, clock, logger, ...(config.service.publicUrl ? { publicUrl: config.service.publicUrl } : {}) });
    const agencies = agencyList(config.agencies);
    const consoleApi = createConsoleApi({ callCenter: center, dispatch, store, auth, clock, menu, agencies, logger });
    const live = createLiveChannel({ events, auth, clock, logger });
    const metrics = createMetrics({ events, dispatch, store, clock, logger });
    const app = createHttpApp({
      logger,
      readiness,
      trustProxy: config.service.trustProxy,
      routers: [auth.router, consoleApi, live.router, metrics.router, ...(twilio ? [twilio.router] : []), ...(options.routers ?? [])],
      staticDir: path.join(ROOT, 'public'),
    });
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.service.port, '0.0.0.0', () => resolve(s));
      s.once('error', reject);
    });
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    // Open event streams would keep the server from closing: end them first.
    stops.push(() => metrics.stop());
    stops.push(() => live.close());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // ------------------------------------------------ connect the PBX last
    await ariStart?.();
    await amiStart?.();

    if (simulator) {
      const robots = new DemoOperators({ dispatch, center, events, clock, logger, robots: options.demoRobots ?? ['op2', 'op3'] });
      await robots.start();
      stops.push(() => robots.stop());
      if (pendingScenario) simulator.control.runScenario(pendingScenario);
      logger.info(describeDemoAccounts(demoAccounts, url));
    }

    logger.info('siaga112 started', { mode: config.mode, url, instance: config.service.instanceId });
    return { config, url, logger, clock, store, dispatch, center, accounts, auth, events, menu, simulator, telephony, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
