import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Router } from 'express';
import { AccountService } from '../accounts/account-service';
import { Argon2Hasher } from '../accounts/password';
import { createAccountStore } from '../accounts/create-account-store';
import { ensureDemoAccounts, describeDemoAccounts, type DemoAccount } from '../accounts/demo-accounts';
import { createAsteriskBackend, type AsteriskBackend } from '../asterisk';
import type { AppConfig } from '../config/schema';
import type { OperatorAccount } from '../domain/types';
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
import { createSupervisorApi } from '../http/supervisor';
import { accountAudit, createAdminApi } from '../http/admin';
import { createAuditLog } from '../audit';
import { ReportService } from '../reports';
import { DialplanAdminService } from '../dialplan-check/dialplan-admin-service';
import { createTwilioBackend, type TwilioBackend } from '../twilio/create-twilio-backend';
import type { OperatorRinger, WaitingCallerControl } from '../ports/telephony';
import type { CallStore } from '../ports/call-store';
import { createDispatch, type Dispatch } from '../queue/create-dispatch';
import { startSimulator, type Simulator } from '../sim';
import { amiServerFactory } from '../sim/ami/sim-hook';
import { createCallStore } from '../store';
import { CallCenter } from './call-center';
import { DemoOperators } from './demo-operators';
import { dispatchPortFor, queueObserverFor } from './dispatch-bridge';
import { AppLease } from '../ha/app-lease';
import { onRedisReturn, reconcileAfterRedis } from './redis-reconcile';

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
  /**
   * Active/standby on one PBX: the ARI app is connected only while this
   * instance holds a lease in Redis. Default on in asterisk mode, off
   * otherwise; `false` turns it off.
   */
  lease?: false | { ttlMs?: number; renewMs?: number };
  /** How long queueing may take before the caller goes to the dialplan's fail-safe (CallCenterDeps.queueTimeoutMs). */
  queueTimeoutMs?: number;
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
  asterisk?: AsteriskBackend;
  twilio?: TwilioBackend;
  /** The ARI app lease (asterisk mode with the lease on). */
  lease?: AppLease;
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

    // ------------------------------------------------------ accounts
    // Operators come from the accounts; in demo mode the demo accounts first.
    const demoAccounts: DemoAccount[] = config.mode === 'demo' ? await ensureDemoAccounts(accounts, { mode: 'demo' }) : [];
    const operators: OperatorAccount[] = (await accounts.list())
      .filter((a) => a.role === 'operator' && !a.disabled && a.endpoint)
      .map((a) => ({ id: a.id, displayName: a.displayName, endpoint: a.endpoint! }));

    // ------------------------------------- call centre, telephony, dispatch
    // The call centre is built first with a late-bound dispatcher: the
    // dispatcher needs the telephony back end, which needs the call centre.
    let dispatch: Dispatch | undefined;
    const dispatchRef = (): Dispatch => {
      if (!dispatch) throw new Error('dispatcher not started yet');
      return dispatch;
    };
    let asterisk: AsteriskBackend | undefined;
    let twilio: TwilioBackend | undefined;
    const agencies = agencyList(config.agencies);
    const center: CallCenter = new CallCenter({
      store,
      dispatch: dispatchPortFor(dispatchRef),
      clock,
      logger,
      menu,
      events,
      agencies,
      maskCallerNumbers: config.service.maskCallerNumbers,
      ...(options.queueTimeoutMs !== undefined ? { queueTimeoutMs: options.queueTimeoutMs } : {}),
      dialBack: async (task, operatorId) => {
        const endpoint = operators.find((o) => o.id === operatorId)?.endpoint ?? (await accounts.get(operatorId))?.endpoint;
        if (!asterisk || !endpoint) return;
        const result = await asterisk.telephony.dialBack(task, endpoint);
        logger.info('callback dialled', { callId: task.callId, operatorId, result });
      },
    });
    const readiness: ReadinessCheck[] = [
      { name: 'redis', check: async () => void (await redis.ping()) },
      { name: 'store', check: () => store.ping() },
    ];
    const softphoneChanged = (operatorId: string, registered: boolean): void => {
      dispatchRef()
        .operators.setSoftphone(operatorId, registered)
        .catch((err: unknown) => logger.warn('softphone state not applied', { operatorId, registered, error: errorMessage(err) }));
    };

    const leaseOption = options.lease ?? (config.mode === 'asterisk' ? {} : false);
    const leaseTtlMs = leaseOption ? (leaseOption.ttlMs ?? 6000) : 6000;
    let lease: AppLease | undefined;
    let simulator: Simulator | undefined;
    let ringer: OperatorRinger;
    let waiting: WaitingCallerControl;
    if (config.mode === 'twilio') {
      twilio = createTwilioBackend({ config, callCenter: () => center, store, redis, clock, logger, menu });
      ringer = twilio.ringer;
      waiting = twilio.waiting;
      stops.push(() => twilio!.stop());
    } else {
      let asteriskConfig = config.asterisk;
      if (config.mode === 'demo') {
        const ports = options.simulatorPorts ?? { ari: 8088, ami: 5038 };
        simulator = await startSimulator({ ariPort: ports.ari, amiPort: ports.ami, amiServerFactory, clock, stasisApp: config.asterisk.ari.app });
        stops.push(() => simulator!.stop());
        asteriskConfig = {
          ...config.asterisk,
          ari: { url: simulator.ariUrl, user: simulator.username, password: simulator.password, app: config.asterisk.ari.app },
          ami: { host: '127.0.0.1', port: simulator.amiPort ?? ports.ami, user: simulator.username, password: simulator.password },
        };
      }
      const backend = createAsteriskBackend({
        config: asteriskConfig,
        callCenter: center,
        menu,
        clock,
        logger,
        maskCallerNumbers: config.service.maskCallerNumbers,
        operators,
        onSoftphone: softphoneChanged,
        onReplaced: () => {
          logger.error('ARI app taken over by another connection: standing by');
          void lease?.yieldFor(Math.max(10_000, leaseTtlMs * 3));
        },
      });
      asterisk = backend;
      ringer = backend.telephony;
      waiting = backend.telephony;
      stops.push(() => backend.stop());
      readiness.push({
        name: 'pbx',
        check: async () => {
          // A standby holds no PBX link on purpose.
          if (lease && !lease.isHeld) return;
          const status = backend.status();
          if (!status.ari) throw new Error('ARI WebSocket not connected');
          if (!status.ready) throw new Error('ARI connected; calls are being taken up');
          if (status.ami === false) throw new Error('AMI not connected');
        },
      });
    }

    dispatch = createDispatch({
      redisUrl: config.redis.url,
      clock,
      config: config.dispatch,
      ivrReassuranceMs: menu.reassuranceIntervalSeconds * 1000,
      ringer,
      waiting,
      observer: queueObserverFor(center, logger),
      events,
      instanceId: config.service.instanceId!,
      logger,
    });
    for (const operator of operators) {
      await dispatch.operators.define(operator);
      await store.upsertOperator(operator);
    }
    if (asterisk) {
      // Operators are rung only once the PBX is connected and its calls taken up.
      const backend = asterisk;
      await dispatch.setDispatching(false);
      backend.telephony.onReady((ready) => {
        void dispatch!.setDispatching(ready).catch((err: unknown) => logger.warn('dispatching not switched', { ready, error: errorMessage(err) }));
      });
    }
    if (twilio) await twilio.start();
    await dispatch.start();
    stops.push(() => dispatch!.stop());
    // Redis back after a gap: put back operators and waiting calls in case it lost its data.
    const reconcileBackend = asterisk;
    onRedisReturn(
      redis,
      () =>
        reconcileAfterRedis({
          dispatch: dispatch!,
          center,
          operators,
          logger,
          ...(reconcileBackend
            ? {
                backend: 'asterisk' as const,
                softphones: async () => new Map((await reconcileBackend.ari.listEndpoints('PJSIP')).map((e) => [`${e.technology}/${e.resource}`, e.state === 'online'])),
              }
            : {}),
          // A standby holds no channel; right after a (re)connection the take-up queues the calls itself.
          holdsCalls: () => !!reconcileBackend && (!lease || lease.isHeld) && reconcileBackend.telephony.isReady,
        }),
      logger,
    );

    // ---------------------------------------------------------- HTTP
    const auth = createAuth({ accounts, redis, clock, logger, ...(config.service.publicUrl ? { publicUrl: config.service.publicUrl } : {}) });
    const consoleApi = createConsoleApi({ callCenter: center, dispatch, store, auth, clock, menu, agencies, logger });
    const live = createLiveChannel({ events, auth, clock, logger });
    const audit = await createAuditLog(config.store, clock);
    stops.push(() => audit.close());
    const dialplanAdmin = new DialplanAdminService({
      dir: path.join(ROOT, 'dialplans'),
      app: config.asterisk.ari.app,
      ...(asterisk?.dialplan ? { control: asterisk.dialplan } : {}),
      audit,
      clock,
      logger,
    });
    const supervisorApi = createSupervisorApi({ reports: new ReportService({ store, clock }), dispatch, auth, clock, menu });
    const adminApi = createAdminApi({ dialplan: dialplanAdmin, audit, auth, logger });
    const metrics = createMetrics({ events, dispatch, store, clock, logger });
    const app = createHttpApp({
      logger,
      readiness,
      trustProxy: config.service.trustProxy,
      // accountAudit comes first: it records account changes made through auth.router.
      routers: [accountAudit({ audit, clock, logger }), auth.router, consoleApi, live.router, supervisorApi, adminApi, metrics.router, ...(twilio ? [twilio.router] : []), ...(options.routers ?? [])],
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
    if (simulator) {
      // The demo's softphones register first, so the connection finds them registered.
      const scenario = options.demoScenario === undefined ? path.join(ROOT, 'config/sim/demo.yaml') : options.demoScenario;
      if (scenario) simulator.control.runScenario(scenario);
    }
    if (asterisk && leaseOption) {
      const backend = asterisk;
      const leaseRedis = new Redis(config.redis.url, { maxRetriesPerRequest: 1, commandTimeout: 2000 });
      leaseRedis.on('error', () => undefined);
      let connecting: Promise<void> | undefined;
      lease = new AppLease({
        redis: leaseRedis,
        key: `siaga112:ha:ari-app:${config.asterisk.ari.app}`,
        holder: `${config.service.instanceId ?? 'siaga112'}#${process.pid}#${Math.random().toString(36).slice(2, 10)}`,
        clock,
        logger,
        ttlMs: leaseOption.ttlMs,
        renewMs: leaseOption.renewMs,
        onChange: (held) => {
          if (held) {
            connecting = backend.start().catch((err: unknown) => void logger.error('ARI connect failed', { error: errorMessage(err) }));
          } else {
            void dispatch!.setDispatching(false);
            void backend.stop();
          }
        },
      });
      // Graceful stop: close the app first, then let the lease go so the standby takes over at once.
      stops.push(async () => {
        await lease!.stop(true);
        leaseRedis.disconnect();
      });
      stops.push(() => backend.stop());
      // SIGTERM: no new rings first (offers in progress settle), then the app goes, then the lease.
      stops.push(() => dispatch!.setDispatching(false));
      await lease.start();
      if (lease.isHeld) await connecting;
      else logger.info('standing by: another instance holds the ARI app');
    } else if (asterisk) {
      await asterisk.start();
    }

    if (simulator) {
      const robots = new DemoOperators({ dispatch, center, events, clock, logger, robots: options.demoRobots ?? ['op2', 'op3'] });
      await robots.start();
      stops.push(() => robots.stop());
      logger.info(describeDemoAccounts(demoAccounts, url));
    }

    logger.info('siaga112 started', { mode: config.mode, url, instance: config.service.instanceId });
    return { config, url, logger, clock, store, dispatch, center, accounts, auth, events, menu, simulator, asterisk, twilio, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
