import type { Router } from 'express';
import type { Redis } from 'ioredis';
import type twilio from 'twilio';
import type { AppConfig } from '../config/schema';
import type { Clock } from '../core/clock';
import { ConfigError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { IvrMenu } from '../domain/ivr/menu';
import type { CallStore } from '../ports/call-store';
import type { OperatorRinger, WaitingCallerControl } from '../ports/telephony';
import { TwilioOperatorRinger } from './operator-ringer';
import { createTwilioRestClient } from './rest-client';
import { RedisRingEventBus, type RingEventBus } from './ring-events';
import { createTwilioRouter } from './router';
import { TwilioCallCenterHandler, type TwilioCallCenter } from './twilio-call-center-handler';
import type { TwilioPrompt } from './twiml';
import { ReassureMarks, TwilioWaitingCallerControl } from './waiting-control';
import { TwilioUrls } from './webhook-urls';

export interface TwilioBackendDeps {
  config: Pick<AppConfig, 'service' | 'twilio' | 'dispatch'>;
  /**
   * The call centre, or a getter for it. The dispatcher needs `ringer` and
   * `waiting` when it is created, and the CallCenter needs the dispatcher,
   * so the usual order is: backend (with `() => center`), dispatch, center.
   * The getter is first called when a webhook arrives.
   */
  callCenter: TwilioCallCenter | (() => TwilioCallCenter);
  /** Read only: CallSid → call (findByChannel) and call → CallSid (getCall). */
  store: Pick<CallStore, 'findByChannel' | 'getCall'>;
  /** Replay keys, reassurance marks, step counters and (duplicated) the ring event subscription. */
  redis: Redis;
  clock: Clock;
  logger: Logger;
  menu: IvrMenu;
  /** Hold music for waiting callers (<Play> each wait turn); a pause between announcements when absent. */
  holdAudioUrl?: string;
  /** Said while the service recovers from a failed webhook ("please hold"). */
  retryPrompt?: TwilioPrompt;
  /** Twilio queue name for <Enqueue>. @defaultValue siaga112 */
  queueName?: string;
  /** Tests and special set-ups: another REST client (the config's twilio.apiBaseUrl is the usual way). */
  restClient?: twilio.Twilio;
  /** @defaultValue a RedisRingEventBus on `redis` (webhooks may reach any instance) */
  ringEvents?: RingEventBus;
}

export interface TwilioBackend {
  /** Mount on the HTTP app: POST /twilio/voice, gather, no-input, wait, dial-action, operator-status, status. */
  router: Router;
  /** For createDispatch({ ringer }). */
  ringer: OperatorRinger;
  /** For createDispatch({ waiting }). */
  waiting: WaitingCallerControl;
  /** For createDispatch({ ivrReassuranceMs }): the IVR's reassuranceIntervalSeconds. */
  ivrReassuranceMs: number;
  /** Subscribe to ring events (before the dispatcher starts ringing). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Compose the Twilio back end: signed webhooks answered from the CallCenter
 * (the same IVR, records and BullMQ queue as Asterisk), the OperatorRinger
 * that moves a waiting caller into a <Dial> to the operator's
 * `client:<identity>` or `sip:` address through the REST API, and the
 * WaitingCallerControl (reassurance, overflow transfer).
 *
 * Needs service.publicUrl (PUBLIC_URL: every URL in TwiML sent through the
 * REST API must be absolute, and it is what signatures are checked against),
 * twilio.accountSid and twilio.authToken; a ConfigError names what is missing.
 */
export function createTwilioBackend(deps: TwilioBackendDeps): TwilioBackend {
  const { config, redis, clock, logger, menu } = deps;
  const publicUrl = config.service.publicUrl;
  if (!publicUrl) {
    throw new ConfigError('service.publicUrl (env PUBLIC_URL) is required in twilio mode: Twilio is told to call back there and signs against it', {
      field: 'service.publicUrl',
    });
  }
  const authToken = config.twilio.authToken;
  if (!authToken) throw new ConfigError('twilio.authToken (env TWILIO_AUTH_TOKEN) is required in twilio mode', { field: 'twilio.authToken' });
  const client =
    deps.restClient ??
    createTwilioRestClient({ accountSid: config.twilio.accountSid, authToken, ...(config.twilio.apiBaseUrl ? { apiBaseUrl: config.twilio.apiBaseUrl } : {}) });
  const urls = new TwilioUrls(publicUrl);
  const ownBus = deps.ringEvents ? undefined : new RedisRingEventBus(redis, logger);
  const bus: RingEventBus = deps.ringEvents ?? ownBus!;
  const marks = new ReassureMarks(redis);
  const center = deps.callCenter;
  const getCenter = typeof center === 'function' ? center : () => center;
  const callSidOf = async (callId: string): Promise<string | undefined> => {
    const call = await deps.store.getCall(callId);
    return call?.backend === 'twilio' ? call.channelId : undefined;
  };
  const transferTarget = config.dispatch.overflow.transferTarget;

  const handler = new TwilioCallCenterHandler({
    callCenter: getCenter,
    findCall: (callSid) => deps.store.findByChannel(callSid),
    menu,
    redis,
    logger,
    maskCallerNumbers: config.service.maskCallerNumbers,
    ...(transferTarget ? { transferTarget } : {}),
  });
  const router = createTwilioRouter({
    handler,
    authToken,
    publicUrl,
    trustProxy: config.service.trustProxy,
    redis,
    ringEvents: bus,
    reassureMarks: marks,
    clock,
    logger,
    ...(deps.queueName ? { queueName: deps.queueName } : {}),
    ...(deps.holdAudioUrl ? { holdAudioUrl: deps.holdAudioUrl } : {}),
    ...(deps.retryPrompt ? { retryPrompt: deps.retryPrompt } : {}),
    ...(transferTarget ? { failoverTarget: transferTarget } : {}),
  });
  const ringer = new TwilioOperatorRinger({ client, urls, bus, clock, logger, callSidOf });
  const waiting = new TwilioWaitingCallerControl({ client, urls, callSidOf, marks, logger });

  return {
    router,
    ringer,
    waiting,
    ivrReassuranceMs: Math.round(menu.reassuranceIntervalSeconds * 1000),
    async start() {
      await ownBus?.start();
    },
    async stop() {
      await ownBus?.close();
    },
  };
}
