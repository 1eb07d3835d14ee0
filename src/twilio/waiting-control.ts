import type twilio from 'twilio';
import type { Redis } from 'ioredis';
import { NotFoundError, ValidationError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { WaitingCallerControl } from '../ports/telephony';
import type { CallSidLookup } from './operator-ringer';
import { toTelephonyError } from './rest-client';
import { connectTwiml, parseDialTarget } from './twiml';
import type { TwilioUrls } from './webhook-urls';

/**
 * "Reassure this caller" marks kept in Redis until the caller's next wait-loop
 * turn (any instance may serve it). A mark expires if nobody takes it.
 */
export class ReassureMarks {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds = 600,
    private readonly prefix = 'siaga112:twilio:reassure:',
  ) {}

  async mark(callSid: string): Promise<void> {
    await this.redis.set(this.prefix + callSid, '1', 'EX', this.ttlSeconds);
  }

  /** True once per mark (GETDEL). */
  async take(callSid: string): Promise<boolean> {
    return (await this.redis.getdel(this.prefix + callSid)) !== null;
  }
}

export interface TwilioWaitingControlDeps {
  client: twilio.Twilio;
  urls: TwilioUrls;
  callSidOf: CallSidLookup;
  marks: ReassureMarks;
  logger: Logger;
  /** How long the backup number may ring. @defaultValue 30 */
  transferTimeoutSeconds?: number;
}

/**
 * WaitingCallerControl for Twilio. reassure: the next turn of the caller's
 * wait loop says the reassurance (no REST call that would pull the caller
 * out of the queue). transfer: the live call is updated to a <Dial> of the
 * backup number, whose action comes back to /twilio/dial-action so that a
 * failed transfer can return the caller to waiting.
 */
export class TwilioWaitingCallerControl implements WaitingCallerControl {
  constructor(private readonly deps: TwilioWaitingControlDeps) {}

  private async sid(callId: string): Promise<string> {
    const sid = await this.deps.callSidOf(callId);
    if (!sid) throw new NotFoundError('Twilio call for', callId);
    return sid;
  }

  async reassure(callId: string): Promise<void> {
    await this.deps.marks.mark(await this.sid(callId));
  }

  async transfer(callId: string, target: string): Promise<void> {
    const dialTarget = parseDialTarget(target);
    if (!dialTarget) {
      throw new ValidationError(`transfer target "${target}" is not a phone number, client: identity or sip: address`, [
        { field: 'dispatch.overflow.transferTarget', message: 'expected +62..., client:<identity> or sip:<address>' },
      ]);
    }
    const callSid = await this.sid(callId);
    const twiml = connectTwiml({
      target: dialTarget,
      ringTimeoutSeconds: this.deps.transferTimeoutSeconds ?? 30,
      actionUrl: this.deps.urls.dialAction({ purpose: 'transfer' }),
    });
    try {
      await this.deps.client.calls(callSid).update({ twiml });
      this.deps.logger.info('caller transferred to the backup number', { callId, target });
    } catch (err) {
      throw toTelephonyError(err, `transferring call ${callId}`);
    }
  }
}
