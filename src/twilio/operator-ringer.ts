import type twilio from 'twilio';
import type { Clock, Timer } from '../core/clock';
import { newId } from '../core/ids';
import type { Logger } from '../core/logger';
import type { Offer, OperatorRinger, RingResult } from '../ports/telephony';
import { isCallGoneError } from './rest-client';
import type { RingEvent, RingEventBus } from './ring-events';
import { connectTwiml, parseDialTarget } from './twiml';
import type { TwilioUrls } from './webhook-urls';

/** Finds the Twilio CallSid of a call record (CallRecord.channelId). */
export type CallSidLookup = (callId: string) => Promise<string | undefined>;

export interface TwilioOperatorRingerDeps {
  client: twilio.Twilio;
  urls: TwilioUrls;
  bus: RingEventBus;
  clock: Clock;
  logger: Logger;
  callSidOf: CallSidLookup;
  /**
   * Extra time after the ring timeout before the ring is settled as
   * no_answer without word from Twilio (Twilio adds ~5 s to a Dial timeout,
   * plus webhook latency). @defaultValue 10000
   */
  marginMs?: number;
}

/** DialCallStatus of the <Dial> action → RingResult, for a caller still on the line. */
export function ringResultFromDialStatus(dialCallStatus: string): RingResult {
  switch (dialCallStatus) {
    case 'completed':
    case 'answered':
      return 'answered';
    case 'no-answer':
      return 'no_answer';
    case 'busy':
      return 'busy';
    case 'canceled':
    case 'failed':
    default:
      return 'failed';
  }
}

const CALLER_ENDED = new Set(['completed', 'canceled', 'busy', 'failed', 'no-answer']);

/**
 * OperatorRinger for Twilio: moves the waiting caller's live call (REST
 * update with inline TwiML) into a <Dial> to the operator's client identity
 * or SIP address, then settles the ring from what Twilio reports: the
 * operator leg's `answered` status callback, the Dial action's
 * DialCallStatus, or the caller's own end. A caller who leaves while the
 * operator's phone rings gets that leg ended with Status=completed (a ringing
 * Dial leg counts as in progress; `canceled` would not stop it).
 */
export class TwilioOperatorRinger implements OperatorRinger {
  private readonly marginMs: number;

  constructor(private readonly deps: TwilioOperatorRingerDeps) {
    this.marginMs = deps.marginMs ?? 10_000;
  }

  async ring(offer: Offer): Promise<RingResult> {
    const { deps } = this;
    const log = deps.logger.child({ callId: offer.callId, operatorId: offer.operatorId });
    const target = parseDialTarget(offer.endpoint);
    if (!target || target.kind === 'number') {
      log.warn('operator endpoint cannot be dialled through Twilio', { endpoint: offer.endpoint });
      return 'unreachable';
    }
    const callSid = await deps.callSidOf(offer.callId);
    if (!callSid) {
      log.error('call has no Twilio CallSid: cannot connect it');
      return 'failed';
    }
    const ring = newId('ring');
    let legSid: string | undefined;
    let settled = false;
    let timer: Timer | undefined;
    let unsubscribe = (): void => undefined;
    let resolveResult!: (r: RingResult) => void;
    const result = new Promise<RingResult>((resolve) => (resolveResult = resolve));

    const settle = (r: RingResult, why: string): void => {
      if (settled) return;
      settled = true;
      timer?.cancel();
      unsubscribe();
      log.info('ring settled', { ring, result: r, why, legSid });
      resolveResult(r);
    };
    const endLeg = (why: string): void => {
      if (!legSid) return;
      const sid = legSid;
      deps.client
        .calls(sid)
        .update({ status: 'completed' })
        .then(
          () => log.info('ringing operator leg ended', { legSid: sid, why }),
          (err: unknown) => {
            if (!isCallGoneError(err)) log.warn('could not end the ringing operator leg', { legSid: sid, err });
          },
        );
    };
    const onEvent = (event: RingEvent): void => {
      if (event.kind === 'caller_gone') {
        endLeg('caller hung up');
        settle('caller_gone', 'caller status callback');
        return;
      }
      if (event.ring !== ring) return; // a late report about an earlier offer of this call
      if (event.kind === 'leg') {
        legSid ??= event.legSid;
        if (event.status === 'in-progress' || event.status === 'answered') settle('answered', 'operator leg answered');
        else if (event.status === 'no-answer') settle('no_answer', 'operator leg');
        else if (event.status === 'busy') settle('busy', 'operator leg');
        else if (event.status === 'failed') settle('failed', 'operator leg');
        return;
      }
      legSid ??= event.dialCallSid;
      const answered = event.dialCallStatus === 'completed' || event.dialCallStatus === 'answered';
      if (!answered && CALLER_ENDED.has(event.callStatus)) {
        endLeg('caller hung up');
        settle('caller_gone', `dial action: caller ${event.callStatus}`);
        return;
      }
      settle(ringResultFromDialStatus(event.dialCallStatus), `dial action ${event.dialCallStatus}`);
    };

    // Listen before redirecting the call: Twilio may report faster than the REST answer arrives.
    unsubscribe = deps.bus.subscribe(callSid, onEvent);
    timer = deps.clock.setTimer(offer.ringTimeoutMs + this.marginMs, () => {
      endLeg('ring timeout passed without word from Twilio');
      settle('no_answer', 'guard timer');
    });

    const twiml = connectTwiml({
      target,
      ringTimeoutSeconds: offer.ringTimeoutMs / 1000,
      actionUrl: deps.urls.dialAction({ ring }),
      legStatusUrl: deps.urls.operatorStatus(ring),
      parameters: { callId: offer.callId, category: offer.category, language: offer.language },
    });
    try {
      await deps.client.calls(callSid).update({ twiml });
      log.info('caller redirected to the operator dial', { ring, callSid });
    } catch (err) {
      if (isCallGoneError(err)) settle('caller_gone', 'call no longer live when redirecting');
      else {
        log.error('redirecting the caller to the operator failed', { err });
        settle('failed', 'REST update failed');
      }
    }
    return result;
  }
}
