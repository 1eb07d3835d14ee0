import express, { Router, type Request, type Response } from 'express';
import type { Redis } from 'ioredis';
import type { Clock } from '../core/clock';
import { errorMessage } from '../core/errors';
import type { Logger } from '../core/logger';
import type { DialInstruction, TwilioCallHandler, TwilioCallParams } from './call-handler';
import type { RingEventBus } from './ring-events';
import { requestOrigin, twilioSignatureMiddleware } from './signature';
import { connectTwiml, endOfCallTwiml, holdLoopTwiml, menuTwiml, parseDialTarget, retryTwiml, waitTwiml, type TwilioPrompt } from './twiml';
import type { ReassureMarks } from './waiting-control';
import {
  callParamsSchema,
  dialActionParamsSchema,
  gatherParamsSchema,
  legStatusParamsSchema,
  parseWebhook,
  ringQuerySchema,
  statusParamsSchema,
  stepQuerySchema,
  voiceParamsSchema,
  waitParamsSchema,
} from './webhook-params';
import { WebhookReplayGuard, type ReplayGuardOptions } from './webhook-replay-guard';
import { TwilioUrls } from './webhook-urls';

export interface TwilioRouterDeps {
  handler: TwilioCallHandler;
  /** env TWILIO_AUTH_TOKEN. */
  authToken: string;
  /** PUBLIC_URL; without it the request's own origin is used (forwarded headers only with trustProxy). */
  publicUrl?: string;
  trustProxy: boolean;
  /** Replay keys live here. */
  redis: Redis;
  /** Where dial and status reports reach the OperatorRinger (the same bus it was built with). */
  ringEvents: RingEventBus;
  reassureMarks: ReassureMarks;
  clock: Clock;
  logger: Logger;
  /** Twilio queue name for <Enqueue>. @defaultValue siaga112 */
  queueName?: string;
  /** Hold music for the wait loop; a short pause between announcements when absent. */
  holdAudioUrl?: string;
  /** Said while retrying after a handler failure ("please hold"). */
  retryPrompt?: TwilioPrompt;
  /** Retries of the voice webhook after handler failures before `failoverTarget` is dialled. @defaultValue 3 */
  maxAttempts?: number;
  /** Backup number dialled when the service cannot handle a call (dispatch.overflow.transferTarget). */
  failoverTarget?: string;
  replayGuard?: ReplayGuardOptions;
}

const CALLER_ENDED = new Set(['completed', 'canceled', 'busy', 'failed', 'no-answer']);

/**
 * The Twilio webhooks under /twilio/: form parsing, X-Twilio-Signature
 * (403 before anything else runs), zod checks of the fields (400 naming
 * them), replay protection, then the TwilioCallHandler, whose instruction is
 * answered as TwiML. A handler failure on a call-control webhook never hangs
 * up: the caller hears a hold prompt and the voice webhook is asked again.
 */
export function createTwilioRouter(deps: TwilioRouterDeps): Router {
  const router = Router();
  const guard = new WebhookReplayGuard(deps.redis, deps.clock, deps.replayGuard);
  const fixedUrls = deps.publicUrl ? new TwilioUrls(deps.publicUrl) : undefined;
  const urlsFor = (req: Request): TwilioUrls => fixedUrls ?? new TwilioUrls(requestOrigin(req, deps));
  const queueName = deps.queueName ?? 'siaga112';
  const maxAttempts = deps.maxAttempts ?? 3;

  router.use(
    '/twilio',
    express.urlencoded({ extended: false, limit: '64kb' }),
    twilioSignatureMiddleware({ authToken: deps.authToken, publicUrl: deps.publicUrl, trustProxy: deps.trustProxy, logger: deps.logger }),
  );

  const render = (urls: TwilioUrls, instruction: DialInstruction): string => {
    switch (instruction.kind) {
      case 'menu':
        return menuTwiml({
          prompts: instruction.prompts,
          timeoutSeconds: instruction.timeoutSeconds,
          actionUrl: urls.gather(instruction.step),
          noInputUrl: urls.noInput(instruction.step),
        });
      case 'wait':
        return waitTwiml({ prompts: instruction.prompts, queueName, waitUrl: urls.wait(), holdLoopUrl: urls.wait(true) });
      case 'transfer':
        return transferTwiml(urls, instruction.target) ?? waitTwiml({ queueName, waitUrl: urls.wait(), holdLoopUrl: urls.wait(true) });
      case 'end':
        return endOfCallTwiml();
    }
  };

  const transferTwiml = (urls: TwilioUrls, target: string): string | undefined => {
    const dialTarget = parseDialTarget(target);
    return dialTarget ? connectTwiml({ target: dialTarget, ringTimeoutSeconds: 30, actionUrl: urls.dialAction({ purpose: 'transfer' }) }) : undefined;
  };

  /** Keep the caller on the line after a failure: hold, then ask the voice webhook again; at the end dial the backup. */
  const recoveryTwiml = (urls: TwilioUrls, attempt: number): string => {
    if (attempt >= maxAttempts && deps.failoverTarget) {
      const twiml = transferTwiml(urls, deps.failoverTarget);
      if (twiml) return twiml;
    }
    return retryTwiml({ prompt: deps.retryPrompt, retryUrl: urls.voice({ attempt: attempt + 1 }), pauseSeconds: attempt >= maxAttempts ? 10 : 2 });
  };

  const sendTwiml = (res: Response, body: string): void => {
    res.status(200).type('text/xml').send(body);
  };

  const callParams = (body: { CallSid: string; AccountSid: string; From: string; To: string; CallStatus: string; Direction?: string }): TwilioCallParams => ({
    callSid: body.CallSid,
    accountSid: body.AccountSid,
    from: body.From,
    to: body.To,
    callStatus: body.CallStatus,
    ...(body.Direction ? { direction: body.Direction } : {}),
  });

  /** Run a call-control handler once per key; a failure answers recovery TwiML instead of an error. */
  const controlled = async (
    req: Request,
    res: Response,
    key: string,
    attempt: number,
    produce: (urls: TwilioUrls) => Promise<DialInstruction>,
  ): Promise<void> => {
    const urls = urlsFor(req);
    try {
      const { body, replayed } = await guard.once(key, async () => render(urls, await produce(urls)), () => recoveryTwiml(urls, attempt));
      if (replayed) deps.logger.info('twilio webhook replay answered without running the handler', { key });
      sendTwiml(res, body);
    } catch (err) {
      deps.logger.error('twilio webhook handler failed; caller kept on hold', { key, err: errorMessage(err) });
      sendTwiml(res, recoveryTwiml(urls, attempt));
    }
  };

  router.post('/twilio/voice', async (req, res) => {
    const body = parseWebhook(voiceParamsSchema, req.body, 'body');
    const attemptRaw = typeof req.query.attempt === 'string' ? Number(req.query.attempt) : 0;
    const attempt = Number.isInteger(attemptRaw) && attemptRaw >= 0 && attemptRaw <= 100 ? attemptRaw : 0;
    await controlled(req, res, `voice:${body.CallSid}:${attempt}`, attempt, () =>
      deps.handler.onIncoming({
        ...callParams(body),
        attempt,
        ...(body.FromCountry ? { fromCountry: body.FromCountry } : {}),
        ...(body.FromCity ? { fromCity: body.FromCity } : {}),
        ...(body.FromState ? { fromState: body.FromState } : {}),
        ...(body.CallerName ? { callerName: body.CallerName } : {}),
      }),
    );
  });

  router.post('/twilio/gather', async (req, res) => {
    const { step } = parseWebhook(stepQuerySchema, req.query, 'query');
    const body = parseWebhook(gatherParamsSchema, req.body, 'body');
    await controlled(req, res, `gather:${body.CallSid}:${step}`, 0, () => deps.handler.onDigit({ ...callParams(body), step, digits: body.Digits }));
  });

  router.post('/twilio/no-input', async (req, res) => {
    const { step } = parseWebhook(stepQuerySchema, req.query, 'query');
    const body = parseWebhook(callParamsSchema, req.body, 'body');
    await controlled(req, res, `noinput:${body.CallSid}:${step}`, 0, () => deps.handler.onNoInput({ ...callParams(body), step }));
  });

  // Each turn of the wait loop is a new request by design: no replay key, and nothing recorded.
  router.post('/twilio/wait', async (req, res) => {
    const body = parseWebhook(waitParamsSchema, req.body, 'body');
    const urls = urlsFor(req);
    const loopUrl = req.query.mode === 'loop' ? urls.wait(true) : undefined;
    let reassurance: TwilioPrompt[] | undefined;
    try {
      const reassureRequested = await deps.reassureMarks.take(body.CallSid);
      const answer = await deps.handler.onWait({
        ...callParams(body),
        reassureRequested,
        ...(body.QueueTime !== undefined ? { queueTimeSeconds: body.QueueTime } : {}),
      });
      reassurance = answer.reassurance;
    } catch (err) {
      // Hold audio goes on without the announcement: silence or a hang-up would be worse.
      deps.logger.error('wait handler failed; hold continues', { callSid: body.CallSid, err: errorMessage(err) });
    }
    sendTwiml(res, holdLoopTwiml({ reassurance, holdAudioUrl: deps.holdAudioUrl, loopUrl }));
  });

  router.post('/twilio/dial-action', async (req, res) => {
    const body = parseWebhook(dialActionParamsSchema, req.body, 'body');
    const isTransfer = req.query.purpose === 'transfer';
    const ring = isTransfer ? undefined : parseWebhook(ringQuerySchema, req.query, 'query').ring;
    if (ring) {
      await deps.ringEvents.publish(body.CallSid, {
        kind: 'dial',
        ring,
        dialCallStatus: body.DialCallStatus,
        callStatus: body.CallStatus,
        ...(body.DialCallSid ? { dialCallSid: body.DialCallSid } : {}),
      });
    }
    const key = `dial:${body.CallSid}:${ring ?? `transfer:${body.DialCallSid ?? body.DialCallStatus}`}`;
    const urls = urlsFor(req);
    try {
      const { body: twiml } = await guard.once(
        key,
        async () =>
          render(
            urls,
            await deps.handler.onDialResult({
              ...callParams(body),
              purpose: isTransfer ? 'transfer' : 'operator',
              dialCallStatus: body.DialCallStatus,
              ...(ring ? { ring } : {}),
              ...(body.DialCallSid ? { dialCallSid: body.DialCallSid } : {}),
              ...(body.DialCallDuration !== undefined ? { dialCallDurationSeconds: body.DialCallDuration } : {}),
            }),
          ),
        () => waitTwiml({ queueName, waitUrl: urls.wait(), holdLoopUrl: urls.wait(true) }),
      );
      sendTwiml(res, twiml);
    } catch (err) {
      deps.logger.error('dial result handler failed; caller back to waiting', { callSid: body.CallSid, err: errorMessage(err) });
      sendTwiml(res, waitTwiml({ queueName, waitUrl: urls.wait(), holdLoopUrl: urls.wait(true) }));
    }
  });

  // The operator leg's progress: the ringer needs it (answer, the leg's CallSid), the record its end.
  router.post('/twilio/operator-status', async (req, res) => {
    const { ring } = parseWebhook(ringQuerySchema, req.query, 'query');
    const body = parseWebhook(legStatusParamsSchema, req.body, 'body');
    await deps.ringEvents.publish(body.ParentCallSid, { kind: 'leg', ring, legSid: body.CallSid, status: body.CallStatus });
    // Then the record (once per leg and status; a failure is a 5xx that Twilio may retry).
    await guard.once(
      `leg:${body.CallSid}:${body.CallStatus}`,
      async () => {
        await deps.handler.onOperatorLeg({ ring, legSid: body.CallSid, parentCallSid: body.ParentCallSid, status: body.CallStatus });
        return '';
      },
      () => '',
    );
    res.status(204).end();
  });

  router.post('/twilio/status', async (req, res) => {
    const body = parseWebhook(statusParamsSchema, req.body, 'body');
    if (CALLER_ENDED.has(body.CallStatus)) await deps.ringEvents.publish(body.CallSid, { kind: 'caller_gone' });
    const key = `status:${body.CallSid}:${body.CallStatus}:${body.SequenceNumber ?? ''}`;
    // Errors propagate: a 5xx lets Twilio retry a status callback, and the released key lets the retry run.
    await guard.once(
      key,
      async () => {
        await deps.handler.onStatus({
          ...callParams(body),
          ...(body.CallDuration !== undefined ? { callDurationSeconds: body.CallDuration } : {}),
          ...(body.SequenceNumber !== undefined ? { sequenceNumber: body.SequenceNumber } : {}),
          ...(body.Timestamp ? { timestamp: body.Timestamp } : {}),
        });
        return '';
      },
      () => '',
    );
    res.status(204).end();
  });

  return router;
}

