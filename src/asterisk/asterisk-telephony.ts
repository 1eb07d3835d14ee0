import type { CallCenter } from '../app/call-center';
import type { Clock, Timer } from '../core/clock';
import { TelephonyError, errorMessage } from '../core/errors';
import { newId } from '../core/ids';
import { KeyedMutex } from '../core/keyed-mutex';
import { callLogger, type Logger } from '../core/logger';
import type { IvrCommand } from '../domain/ivr/engine';
import { reassurancePrompt, type IvrMenu } from '../domain/ivr/menu';
import type { CallbackTask } from '../domain/types';
import type { Offer, OperatorRinger, RingResult, WaitingCallerControl } from '../ports/telephony';
import { isAllocationFailure, isGone } from './ari/ari-errors';
import type { AriConnection, AriEvent } from './ari/ari-types';
import { parseSipLocation } from './location';

/** What the Asterisk adapter asks of the application service. */
export type AsteriskCallCenter = Pick<CallCenter, 'callArrived' | 'ivrEvent' | 'callerHungUp' | 'operatorHungUp' | 'callFailed' | 'note'>;

export interface AsteriskTelephonyDeps {
  ari: AriConnection;
  callCenter: AsteriskCallCenter;
  menu: IvrMenu;
  clock: Clock;
  logger: Logger;
  /** Stasis application name (asterisk.ari.app). */
  app: string;
  /** Dialplan context for callbacks and transfers (asterisk.outboundContext). */
  outboundContext: string;
  maskCallerNumbers: boolean;
  /** A softphone registered or unregistered (ARI endpoint events); the lead wires it to the operator pool. */
  onSoftphone?: (endpoint: string, registered: boolean) => void;
  /** Music on hold class for waiting callers. @defaultValue default */
  mohClass?: string;
  /** Extra time past the ring timeout before a ring is settled by force. @defaultValue 5000 */
  ringMarginMs?: number;
}

/** appArgs of the channels siaga112 puts into its Stasis app. */
export const LEG_INBOUND = 'inbound';
export const LEG_OPERATOR = 'operator';
export const LEG_CALLBACK_OPERATOR = 'callback-operator';
export const LEG_CALLBACK_CALLEE = 'callback';

type Phase = 'ivr' | 'queued' | 'bridged' | 'ended';

interface CallerLeg {
  channelId: string;
  callId: string;
  callerNumber: string;
  language: string;
  phase: Phase;
  /** The IVR prompt playing now; PlaybackFinished of any other playback is not reported. */
  prompt?: { playbackId: string; promptId: string };
  digitTimer?: Timer;
  /** The caller's own holding bridge (never shared: Asterisk degrades above ~500 members). */
  holdBridgeId?: string;
  /** The `queued` prompt still plays; the caller goes on hold when it ends. */
  queuedPromptId?: string;
  reassurePlaybackId?: string;
  ring?: RingAttempt;
  mixBridgeId?: string;
  operatorChannelId?: string;
  /** Left Stasis on purpose (transfer): StasisEnd is not a hang-up. */
  handedOff?: boolean;
  log: Logger;
}

interface RingAttempt {
  offer: Offer;
  channelId: string;
  leg: CallerLeg;
  settled: boolean;
  settle(result: RingResult): void;
  guard?: Timer;
}

export type DialBackResult = 'connected' | 'operator_unreachable' | 'operator_no_answer' | 'callee_no_answer' | 'failed';

interface CallbackSession {
  task: CallbackTask;
  operatorEndpoint: string;
  operatorChannelId: string;
  calleeChannelId: string;
  bridgeId: string;
  state: 'ringing_operator' | 'dialing_callee' | 'connected' | 'ended';
  settle(result: DialBackResult): void;
}

/**
 * siaga112 on Asterisk: answers 112 calls that enter the Stasis app, runs
 * the IVR, holds waiting callers (each in a holding bridge of its own, with
 * music on hold), rings operators when the dispatcher offers one, and
 * bridges them. Implements the dispatcher's OperatorRinger and
 * WaitingCallerControl. Events of one call are handled one after another.
 *
 * Every request that fails because the channel is gone (the caller hung
 * up) is an expected case: it ends that call's handling, never the process.
 */
export class AsteriskTelephony implements OperatorRinger, WaitingCallerControl {
  private readonly locks = new KeyedMutex();
  private readonly legsByChannel = new Map<string, CallerLeg>();
  private readonly legsByCall = new Map<string, CallerLeg>();
  /** Operator channel id → the ring for it (until it settles or the call ends). */
  private readonly rings = new Map<string, RingAttempt>();
  /** Operator channel id → caller leg, while they talk. */
  private readonly bridgedOperators = new Map<string, CallerLeg>();
  /** Playback id → caller leg. */
  private readonly playbacks = new Map<string, CallerLeg>();
  /** Callback leg channel id → session. */
  private readonly callbacks = new Map<string, CallbackSession>();
  /** Last registration reported per softphone: ARI sends three events per change. */
  private readonly softphones = new Map<string, boolean>();
  private readonly mohClass: string;
  private readonly ringMarginMs: number;

  constructor(private readonly deps: AsteriskTelephonyDeps) {
    this.mohClass = deps.mohClass ?? 'default';
    this.ringMarginMs = deps.ringMarginMs ?? 5000;
    deps.ari.onEvent((event) => this.onEvent(event));
    // Registrations made while we were not connected send no event: read
    // the current state on every (re)connection.
    deps.ari.onConnection((up) => {
      if (up) void this.syncSoftphones();
    });
  }

  /** Read every PJSIP endpoint's state and report the ones that changed. */
  async syncSoftphones(): Promise<void> {
    try {
      for (const e of await this.deps.ari.listEndpoints('PJSIP')) {
        if (e.state) this.softphone(e.technology, e.resource, e.state === 'online');
      }
    } catch (err) {
      this.deps.logger.warn('could not read softphone registrations', { error: errorMessage(err) });
    }
  }

  /** Calls this adapter is handling now (for leak checks and /readyz). */
  get activeCalls(): number {
    return this.legsByChannel.size;
  }

  /** Handlers, timers and maps still held (all zero when no call is up). */
  resources(): { legs: number; calls: number; rings: number; bridgedOperators: number; playbacks: number; callbacks: number; locks: number } {
    return {
      legs: this.legsByChannel.size,
      calls: this.legsByCall.size,
      rings: this.rings.size,
      bridgedOperators: this.bridgedOperators.size,
      playbacks: this.playbacks.size,
      callbacks: this.callbacks.size,
      locks: this.locks.size,
    };
  }

  // ------------------------------------------------------------- events

  private onEvent(e: AriEvent): void {
    const channelId = e.channel?.id;
    switch (e.type) {
      case 'StasisStart':
        if (channelId) this.onStasisStart(e, channelId);
        return;
      case 'StasisEnd':
      case 'ChannelHangupRequest':
        if (channelId) this.onChannelLeaving(channelId, e.type);
        return;
      case 'ChannelDestroyed':
        if (channelId) this.onChannelDestroyed(channelId, e.cause ?? 0, e.cause_txt);
        return;
      case 'ChannelDtmfReceived':
        if (channelId && e.digit) this.serial(channelId, (leg) => this.onDigit(leg, e.digit!));
        return;
      case 'PlaybackFinished':
        if (e.playback) this.onPlaybackFinished(e.playback.id, e.playback.state);
        return;
      case 'EndpointStateChange':
        if (e.endpoint?.state) this.softphone(e.endpoint.technology, e.endpoint.resource, e.endpoint.state === 'online');
        return;
      case 'ContactStatusChange': {
        const status = e.contact_info?.contact_status;
        if (e.endpoint && status) this.softphone(e.endpoint.technology, e.endpoint.resource, !/^(Removed|Unreachable)$/i.test(status));
        return;
      }
      case 'PeerStatusChange': {
        const status = e.peer?.peer_status;
        if (e.endpoint && status) this.softphone(e.endpoint.technology, e.endpoint.resource, /^(Reachable|Registered|NonQualified|Created)$/i.test(status));
        return;
      }
      case 'ApplicationReplaced':
        this.deps.logger.error('another connection took over the ARI app: this instance no longer receives calls', { app: this.deps.app });
        return;
      default:
        return;
    }
  }

  /** Run a task for a caller leg under that call's lock; the leg is looked up inside the lock. */
  private serial(callerChannelId: string, task: (leg: CallerLeg) => Promise<void>): void {
    void this.locks
      .run(callerChannelId, async () => {
        const leg = this.legsByChannel.get(callerChannelId);
        if (leg && leg.phase !== 'ended') await task(leg);
      })
      .catch((err: unknown) => this.deps.logger.error('call handling failed', { channelId: callerChannelId, error: errorMessage(err) }));
  }

  private locked(key: string, task: () => Promise<void>): void {
    void this.locks.run(key, task).catch((err: unknown) => this.deps.logger.error('call handling failed', { channelId: key, error: errorMessage(err) }));
  }

  private softphone(technology: string, resource: string, registered: boolean): void {
    const endpoint = `${technology}/${resource}`;
    if (this.softphones.get(endpoint) === registered) return;
    this.softphones.set(endpoint, registered);
    try {
      this.deps.onSoftphone?.(endpoint, registered);
    } catch (err) {
      this.deps.logger.error('softphone handler failed', { endpoint: `${technology}/${resource}`, error: errorMessage(err) });
    }
  }

  private onStasisStart(e: AriEvent, channelId: string): void {
    const [kind, ref] = e.args ?? [];
    if (kind === LEG_OPERATOR) {
      const ring = this.rings.get(channelId);
      if (!ring) {
        // An operator leg of a ring that already ended (or of another instance's past): not wanted.
        void this.hangupQuietly(channelId);
        return;
      }
      this.locked(ring.leg.channelId, () => this.operatorAnswered(ring));
      return;
    }
    if (kind === LEG_CALLBACK_OPERATOR || kind === LEG_CALLBACK_CALLEE) {
      const session = this.callbacks.get(channelId);
      if (!session) {
        void this.hangupQuietly(channelId);
        return;
      }
      this.locked(`callback:${session.task.id}`, () => (kind === LEG_CALLBACK_OPERATOR ? this.callbackOperatorAnswered(session) : this.callbackCalleeAnswered(session)));
      return;
    }
    if (kind !== undefined && kind !== LEG_INBOUND && kind !== '') {
      this.deps.logger.warn('a channel entered the app with unknown arguments; ignored', { channelId, args: e.args });
      return;
    }
    this.locked(channelId, () => this.inbound(e, channelId, ref));
  }

  private onChannelLeaving(channelId: string, why: string): void {
    const bridgedWith = this.bridgedOperators.get(channelId);
    if (bridgedWith) {
      this.serial(bridgedWith.channelId, (leg) => this.operatorLeft(leg, why));
      return;
    }
    const session = this.callbacks.get(channelId);
    if (session) {
      this.locked(`callback:${session.task.id}`, () => this.callbackLegEnded(session, channelId, why));
      return;
    }
    // A ringing operator leg is settled by its ChannelDestroyed (which carries the cause).
    if (this.rings.has(channelId)) return;
    this.serial(channelId, (leg) => this.callerLeft(leg, why));
  }

  private onChannelDestroyed(channelId: string, cause: number, causeTxt?: string): void {
    const ring = this.rings.get(channelId);
    if (ring) {
      this.locked(ring.leg.channelId, async () => {
        if (ring.settled) return;
        this.rings.delete(channelId);
        ring.settle(ringResultForCause(cause));
        ring.leg.log.info('operator leg ended before answer', { operatorId: ring.offer.operatorId, cause, causeTxt });
      });
      return;
    }
    const session = this.callbacks.get(channelId);
    if (session) {
      this.locked(`callback:${session.task.id}`, () => this.callbackLegEnded(session, channelId, `destroyed:${cause}`));
      return;
    }
    this.onChannelLeaving(channelId, 'ChannelDestroyed');
  }

  // ------------------------------------------------------------ intake, IVR

  private async inbound(e: AriEvent, channelId: string, dialedArg: string | undefined): Promise<void> {
    if (this.legsByChannel.has(channelId)) return; // a repeated StasisStart
    const channel = e.channel!;
    const location = channel.name.startsWith('PJSIP/') ? await this.readLocation(channelId) : undefined;
    const arrival = await this.deps.callCenter.callArrived({
      backend: 'asterisk',
      channelId,
      callerNumber: channel.caller?.number || 'unknown',
      dialedNumber: dialedArg || channel.dialplan?.exten || '112',
      pbxUniqueId: channel.id,
      ...(location ? { location } : {}),
    });
    if (!arrival.created) {
      // Known channel: a duplicate StasisStart, or a call taken up after a restart (issue 6).
      this.deps.logger.info('StasisStart for a call already recorded; not started again', { channelId, callId: arrival.call.id, state: arrival.call.state });
      return;
    }
    const leg: CallerLeg = {
      channelId,
      callId: arrival.call.id,
      callerNumber: arrival.call.callerNumber,
      language: arrival.call.language,
      phase: 'ivr',
      log: callLogger(this.deps.logger, arrival.call.id, { number: arrival.call.callerNumber, mask: this.deps.maskCallerNumbers }),
    };
    this.legsByChannel.set(channelId, leg);
    this.legsByCall.set(leg.callId, leg);
    try {
      await this.deps.ari.answer(channelId);
    } catch (err) {
      if (isGone(err)) return this.callerLeft(leg, 'gone_before_answer');
      leg.log.warn('answer failed; going on', { error: errorMessage(err) });
    }
    await this.execute(leg, arrival.commands);
  }

  private async readLocation(channelId: string): Promise<ReturnType<typeof parseSipLocation>> {
    try {
      const [geolocation, xCallerLocation] = await Promise.all([
        this.deps.ari.getVariable(channelId, 'PJSIP_HEADER(read,Geolocation)'),
        this.deps.ari.getVariable(channelId, 'PJSIP_HEADER(read,X-Caller-Location)'),
      ]);
      return parseSipLocation({ ...(geolocation ? { geolocation } : {}), ...(xCallerLocation ? { xCallerLocation } : {}) });
    } catch (err) {
      this.deps.logger.debug('no location read from the SIP headers', { channelId, error: errorMessage(err) });
      return undefined;
    }
  }

  /** Carry out IVR commands in order. Stops at the first "channel gone". */
  private async execute(leg: CallerLeg, commands: IvrCommand[]): Promise<void> {
    for (const command of commands) {
      if (leg.phase === 'ended') return;
      try {
        await this.executeOne(leg, command, commands);
      } catch (err) {
        if (isGone(err)) return this.callerLeft(leg, 'gone');
        leg.log.error('IVR command failed', { command: command.type, error: errorMessage(err) });
        if (command.type === 'play' && leg.phase === 'ivr' && leg.prompt) {
          // A prompt that cannot play must not stall the menu: treat it as finished.
          leg.prompt = undefined;
          await this.execute(leg, await this.deps.callCenter.ivrEvent(leg.callId, { type: 'prompt_finished', promptId: command.promptId }));
        }
      }
    }
  }

  private async executeOne(leg: CallerLeg, command: IvrCommand, all: IvrCommand[]): Promise<void> {
    switch (command.type) {
      case 'play': {
        const playbackId = newId('pb');
        const queuedPrompt = all.some((c) => c.type === 'queue');
        if (queuedPrompt) leg.queuedPromptId = playbackId;
        else leg.prompt = { playbackId, promptId: command.promptId };
        this.playbacks.set(playbackId, leg);
        try {
          await this.deps.ari.play(leg.channelId, playbackId, command.prompt.sound, command.prompt.language);
        } catch (err) {
          this.playbacks.delete(playbackId);
          if (leg.queuedPromptId === playbackId) leg.queuedPromptId = undefined;
          throw err;
        }
        return;
      }
      case 'stop_prompt': {
        // Barge-in: Asterisk keeps playing after a digit; we stop it, and
        // its PlaybackFinished is not reported (it is no longer `prompt`).
        const current = leg.prompt;
        leg.prompt = undefined;
        if (current) {
          this.playbacks.delete(current.playbackId);
          await this.deps.ari.stopPlayback(current.playbackId).catch((err: unknown) => {
            if (!isGone(err)) throw err;
          });
        }
        return;
      }
      case 'collect_digit':
        leg.digitTimer?.cancel();
        leg.digitTimer = this.deps.clock.setTimer(command.timeoutMs, () => {
          this.serial(leg.channelId, async (l) => {
            if (l.phase !== 'ivr' || l.digitTimer === undefined) return;
            l.digitTimer = undefined;
            await this.execute(l, await this.deps.callCenter.ivrEvent(l.callId, { type: 'input_timeout' }));
          });
        });
        return;
      case 'set_language':
        leg.language = command.language;
        return;
      case 'queue':
        // The call centre has queued it already; here the caller starts to wait.
        leg.phase = 'queued';
        leg.prompt = undefined;
        leg.digitTimer?.cancel();
        leg.digitTimer = undefined;
        leg.language = command.language;
        if (!leg.queuedPromptId) await this.hold(leg);
        return;
      case 'done':
        return;
    }
  }

  private async onDigit(leg: CallerLeg, digit: string): Promise<void> {
    if (leg.phase !== 'ivr') {
      leg.log.debug('digit outside the IVR ignored', { digit });
      return;
    }
    leg.digitTimer?.cancel();
    leg.digitTimer = undefined;
    await this.execute(leg, await this.deps.callCenter.ivrEvent(leg.callId, { type: 'digit', digit }));
  }

  private onPlaybackFinished(playbackId: string, state: string): void {
    const owner = this.playbacks.get(playbackId);
    if (!owner) return; // stopped on purpose, or not ours
    this.playbacks.delete(playbackId);
    this.serial(owner.channelId, async (leg) => {
      if (leg.prompt?.playbackId === playbackId) {
        const promptId = leg.prompt.promptId;
        leg.prompt = undefined;
        if (state === 'failed') leg.log.warn('prompt failed to play', { promptId });
        await this.execute(leg, await this.deps.callCenter.ivrEvent(leg.callId, { type: 'prompt_finished', promptId }));
      } else if (leg.queuedPromptId === playbackId) {
        leg.queuedPromptId = undefined;
        if (leg.phase === 'queued') await this.hold(leg);
      } else if (leg.reassurePlaybackId === playbackId) {
        leg.reassurePlaybackId = undefined;
        if (leg.phase === 'queued' && leg.holdBridgeId) await this.deps.ari.startBridgeMoh(leg.holdBridgeId, this.mohClass).catch((err: unknown) => this.ignoreGone(leg, err, 'restart hold music'));
      }
    });
  }

  // --------------------------------------------------------------- waiting

  /** The caller waits in a holding bridge of their own, with music on hold. */
  private async hold(leg: CallerLeg): Promise<void> {
    if (leg.holdBridgeId || leg.phase !== 'queued') return;
    const bridgeId = `hold-${leg.callId}`;
    try {
      await this.deps.ari.createBridge(bridgeId, 'holding', bridgeId);
      leg.holdBridgeId = bridgeId;
      await this.deps.ari.addToBridge(bridgeId, [leg.channelId]);
      await this.deps.ari.startBridgeMoh(bridgeId, this.mohClass);
    } catch (err) {
      if (isGone(err) && /channel/i.test(errorMessage(err))) return this.callerLeft(leg, 'gone');
      // No bridge: music on the channel itself still keeps the caller company.
      leg.log.warn('holding bridge failed; music on hold on the channel instead', { error: errorMessage(err) });
      await this.deps.ari.startMoh(leg.channelId, this.mohClass).catch((e: unknown) => this.ignoreGone(leg, e, 'channel music on hold'));
    }
  }

  async reassure(callId: string): Promise<void> {
    const leg = this.legsByCall.get(callId);
    if (!leg) return;
    await this.locks.run(leg.channelId, async () => {
      if (leg.phase !== 'queued' || !leg.holdBridgeId || leg.reassurePlaybackId || leg.queuedPromptId) return;
      const prompt = reassurancePrompt(this.deps.menu, leg.language);
      const playbackId = newId('pb');
      try {
        await this.deps.ari.stopBridgeMoh(leg.holdBridgeId).catch(() => undefined);
        leg.reassurePlaybackId = playbackId;
        this.playbacks.set(playbackId, leg);
        await this.deps.ari.playOnBridge(leg.holdBridgeId, playbackId, prompt.sound, prompt.language);
      } catch (err) {
        this.playbacks.delete(playbackId);
        leg.reassurePlaybackId = undefined;
        if (isGone(err)) return;
        await this.deps.ari.startBridgeMoh(leg.holdBridgeId, this.mohClass).catch(() => undefined);
        throw new TelephonyError(`reassurance for call ${callId} failed: ${errorMessage(err)}`, false, { callId }, { cause: err });
      }
    });
  }

  /** Overflow: the waiting caller leaves the app for the backup number through the outbound context. */
  async transfer(callId: string, target: string): Promise<void> {
    const leg = this.legsByCall.get(callId);
    if (!leg) return;
    await this.locks.run(leg.channelId, async () => {
      if (leg.phase === 'ended') return;
      leg.handedOff = true;
      await this.leaveHold(leg);
      try {
        await this.deps.ari.continueInDialplan(leg.channelId, this.deps.outboundContext, target, 1);
      } catch (err) {
        leg.handedOff = false;
        if (isGone(err)) return;
        await this.hold(leg);
        throw err;
      }
      this.forget(leg);
    });
  }

  // --------------------------------------------------------------- ringing

  async ring(offer: Offer): Promise<RingResult> {
    const leg = this.legsByCall.get(offer.callId);
    if (!leg || leg.phase === 'ended') return 'caller_gone';
    let settle!: (r: RingResult) => void;
    const result = new Promise<RingResult>((resolve) => (settle = resolve));
    const channelId = newId('opleg');
    const ring: RingAttempt = {
      offer,
      channelId,
      leg,
      settled: false,
      settle: (r) => {
        if (ring.settled) return;
        ring.settled = true;
        ring.guard?.cancel();
        this.rings.delete(channelId);
        if (leg.ring === ring) leg.ring = undefined;
        settle(r);
      },
    };
    await this.locks.run(leg.channelId, async () => {
      if (leg.phase !== 'queued' || leg.ring) {
        ring.settle(leg.phase === 'ended' ? 'caller_gone' : 'failed');
        return;
      }
      leg.ring = ring;
      this.rings.set(channelId, ring);
      const timeoutSeconds = Math.max(1, Math.ceil(offer.ringTimeoutMs / 1000));
      // Never trust the PBX to end every ring: an unsettled ring holds an operator forever.
      ring.guard = this.deps.clock.setTimer(offer.ringTimeoutMs + this.ringMarginMs, () => {
        this.locked(leg.channelId, async () => {
          if (ring.settled) return;
          ring.settle('no_answer');
          await this.hangupQuietly(channelId);
        });
      });
      try {
        await this.deps.ari.originate({
          channelId,
          endpoint: offer.endpoint,
          app: this.deps.app,
          appArgs: `${LEG_OPERATOR},${offer.callId}`,
          callerId: callerIdFor(offer.callerNumber),
          timeoutSeconds,
        });
        leg.log.info('ringing operator', { operatorId: offer.operatorId, endpoint: offer.endpoint, operatorChannel: channelId });
      } catch (err) {
        const unreachable = isAllocationFailure(err);
        leg.log.warn('operator could not be rung', { operatorId: offer.operatorId, endpoint: offer.endpoint, error: errorMessage(err) });
        ring.settle(unreachable ? 'unreachable' : 'failed');
      }
    });
    return result;
  }

  private async operatorAnswered(ring: RingAttempt): Promise<void> {
    const leg = ring.leg;
    if (ring.settled || leg.phase !== 'queued') {
      if (!ring.settled) ring.settle(leg.phase === 'ended' ? 'caller_gone' : 'failed');
      await this.hangupQuietly(ring.channelId);
      return;
    }
    const bridgeId = `mix-${leg.callId}`;
    try {
      if (leg.queuedPromptId) {
        const id = leg.queuedPromptId;
        leg.queuedPromptId = undefined;
        this.playbacks.delete(id);
        await this.deps.ari.stopPlayback(id).catch(() => undefined);
      }
      await this.leaveHold(leg);
      await this.deps.ari.createBridge(bridgeId, 'mixing', bridgeId);
      leg.mixBridgeId = bridgeId;
      await this.deps.ari.addToBridge(bridgeId, [leg.channelId, ring.channelId]);
    } catch (err) {
      leg.log.warn('could not connect caller and operator', { error: errorMessage(err) });
      await this.hangupQuietly(ring.channelId);
      await this.destroyQuietly(leg.mixBridgeId);
      leg.mixBridgeId = undefined;
      if (isGone(err) && /channel/i.test(errorMessage(err))) {
        ring.settle('caller_gone');
        await this.callerLeft(leg, 'gone_at_answer');
      } else {
        ring.settle('failed');
        await this.hold(leg);
      }
      return;
    }
    leg.phase = 'bridged';
    leg.operatorChannelId = ring.channelId;
    this.bridgedOperators.set(ring.channelId, leg);
    leg.log.info('caller and operator connected', { operatorId: ring.offer.operatorId, bridgeId });
    ring.settle('answered');
  }

  private async leaveHold(leg: CallerLeg): Promise<void> {
    const bridgeId = leg.holdBridgeId;
    leg.holdBridgeId = undefined;
    if (leg.reassurePlaybackId) {
      this.playbacks.delete(leg.reassurePlaybackId);
      leg.reassurePlaybackId = undefined;
    }
    if (bridgeId) {
      await this.deps.ari.removeFromBridge(bridgeId, leg.channelId).catch(() => undefined);
      await this.destroyQuietly(bridgeId);
    } else {
      await this.deps.ari.stopMoh(leg.channelId).catch(() => undefined);
    }
  }

  // ---------------------------------------------------------------- endings

  /** The caller's channel left the app (hung up). Idempotent. */
  private async callerLeft(leg: CallerLeg, why: string): Promise<void> {
    if (leg.phase === 'ended') return;
    if (leg.handedOff) {
      this.forget(leg);
      return;
    }
    const wasPhase = leg.phase;
    leg.phase = 'ended';
    leg.digitTimer?.cancel();
    leg.digitTimer = undefined;
    const ring = leg.ring;
    if (ring && !ring.settled) {
      // Asterisk keeps ringing the operator after the caller's BYE: stop it.
      ring.settle('caller_gone');
      await this.hangupQuietly(ring.channelId);
    }
    if (leg.operatorChannelId) {
      this.bridgedOperators.delete(leg.operatorChannelId);
      await this.hangupQuietly(leg.operatorChannelId);
    }
    await this.destroyQuietly(leg.mixBridgeId);
    await this.destroyQuietly(leg.holdBridgeId);
    this.forget(leg);
    leg.log.info('caller hung up', { while: wasPhase, why });
    await this.deps.callCenter.callerHungUp(leg.callId, { channelId: leg.channelId });
  }

  /** The operator's leg of a connected call ended. */
  private async operatorLeft(leg: CallerLeg, why: string): Promise<void> {
    if (leg.phase !== 'bridged') return;
    leg.phase = 'ended';
    if (leg.operatorChannelId) this.bridgedOperators.delete(leg.operatorChannelId);
    await this.hangupQuietly(leg.channelId);
    await this.destroyQuietly(leg.mixBridgeId);
    this.forget(leg);
    leg.log.info('operator hung up', { why });
    await this.deps.callCenter.operatorHungUp(leg.callId, { channelId: leg.operatorChannelId });
  }

  private forget(leg: CallerLeg): void {
    leg.phase = 'ended';
    leg.digitTimer?.cancel();
    leg.digitTimer = undefined;
    this.legsByChannel.delete(leg.channelId);
    if (this.legsByCall.get(leg.callId) === leg) this.legsByCall.delete(leg.callId);
    for (const id of [leg.prompt?.playbackId, leg.queuedPromptId, leg.reassurePlaybackId]) if (id) this.playbacks.delete(id);
    if (leg.operatorChannelId) this.bridgedOperators.delete(leg.operatorChannelId);
  }

  // --------------------------------------------------------------- callback

  /**
   * Call back a caller who hung up while waiting: ring the operator who took
   * the task, and when they answer dial the caller through
   * `Local/<number>@<outboundContext>`; bridge both when the caller answers.
   * Resolves when the two are connected or the attempt failed.
   */
  async dialBack(task: CallbackTask, operatorEndpoint: string, ringTimeoutMs = 30_000): Promise<DialBackResult> {
    let settle!: (r: DialBackResult) => void;
    const result = new Promise<DialBackResult>((resolve) => (settle = resolve));
    const session: CallbackSession = {
      task,
      operatorEndpoint,
      operatorChannelId: newId('cbop'),
      calleeChannelId: newId('cbcall'),
      bridgeId: `callback-${task.id}`,
      state: 'ringing_operator',
      settle: (r) => {
        settle(r);
      },
    };
    this.callbacks.set(session.operatorChannelId, session);
    this.callbacks.set(session.calleeChannelId, session);
    const timeoutSeconds = Math.max(1, Math.ceil(ringTimeoutMs / 1000));
    try {
      await this.deps.ari.originate({
        channelId: session.operatorChannelId,
        endpoint: operatorEndpoint,
        app: this.deps.app,
        appArgs: `${LEG_CALLBACK_OPERATOR},${task.id}`,
        callerId: callerIdFor(task.callerNumber),
        timeoutSeconds,
      });
      await this.deps.callCenter.note(task.callId, 'callback.dialing', { taskId: task.id, endpoint: operatorEndpoint });
    } catch (err) {
      this.endCallback(session);
      return isAllocationFailure(err) ? 'operator_unreachable' : 'failed';
    }
    return result;
  }

  private async callbackOperatorAnswered(session: CallbackSession): Promise<void> {
    if (session.state !== 'ringing_operator') return;
    session.state = 'dialing_callee';
    try {
      await this.deps.ari.createBridge(session.bridgeId, 'mixing', session.bridgeId);
      await this.deps.ari.addToBridge(session.bridgeId, [session.operatorChannelId]);
      await this.deps.ari.originate({
        channelId: session.calleeChannelId,
        endpoint: `Local/${session.task.callerNumber}@${this.deps.outboundContext}`,
        app: this.deps.app,
        appArgs: `${LEG_CALLBACK_CALLEE},${session.task.id}`,
        timeoutSeconds: 60,
      });
    } catch (err) {
      this.deps.logger.warn('callback could not dial the caller', { taskId: session.task.id, error: errorMessage(err) });
      await this.finishCallback(session, 'failed');
    }
  }

  private async callbackCalleeAnswered(session: CallbackSession): Promise<void> {
    if (session.state !== 'dialing_callee') {
      await this.hangupQuietly(session.calleeChannelId);
      return;
    }
    try {
      await this.deps.ari.addToBridge(session.bridgeId, [session.calleeChannelId]);
    } catch (err) {
      await this.finishCallback(session, 'failed');
      return;
    }
    session.state = 'connected';
    await this.deps.callCenter.note(session.task.callId, 'callback.connected', { taskId: session.task.id });
    session.settle('connected');
  }

  private async callbackLegEnded(session: CallbackSession, channelId: string, why: string): Promise<void> {
    if (session.state === 'ended') return;
    const byOperator = channelId === session.operatorChannelId;
    const result: DialBackResult =
      session.state === 'connected' ? 'connected' : session.state === 'ringing_operator' ? 'operator_no_answer' : byOperator ? 'failed' : 'callee_no_answer';
    await this.finishCallback(session, result, why);
  }

  private async finishCallback(session: CallbackSession, result: DialBackResult, why: string = result): Promise<void> {
    const wasConnected = session.state === 'connected';
    session.state = 'ended';
    this.endCallback(session);
    await this.hangupQuietly(session.operatorChannelId);
    await this.hangupQuietly(session.calleeChannelId);
    await this.destroyQuietly(session.bridgeId);
    await this.deps.callCenter.note(session.task.callId, wasConnected ? 'callback.ended' : 'callback.failed', { taskId: session.task.id, result, why }).catch(() => undefined);
    session.settle(result);
  }

  private endCallback(session: CallbackSession): void {
    this.callbacks.delete(session.operatorChannelId);
    this.callbacks.delete(session.calleeChannelId);
  }

  // ---------------------------------------------------------------- helpers

  private async hangupQuietly(channelId: string | undefined): Promise<void> {
    if (!channelId) return;
    await this.deps.ari.hangup(channelId).catch((err: unknown) => {
      if (!isGone(err)) this.deps.logger.warn('hang-up failed', { channelId, error: errorMessage(err) });
    });
  }

  private async destroyQuietly(bridgeId: string | undefined): Promise<void> {
    if (!bridgeId) return;
    await this.deps.ari.destroyBridge(bridgeId).catch((err: unknown) => {
      if (!isGone(err)) this.deps.logger.warn('bridge destroy failed', { bridgeId, error: errorMessage(err) });
    });
  }

  private async ignoreGone(leg: CallerLeg, err: unknown, what: string): Promise<void> {
    if (isGone(err)) return;
    leg.log.warn(`${what} failed`, { error: errorMessage(err) });
  }
}

/** Caller id the operator's phone shows: the caller's number. */
function callerIdFor(number: string): string {
  const clean = number.replace(/[^0-9+*#A-Za-z]/g, '');
  return `"112 ${clean}" <${clean}>`;
}

/** Q.850 cause of an operator leg that ended unanswered → ring result. */
export function ringResultForCause(cause: number): RingResult {
  switch (cause) {
    case 17:
      return 'busy';
    case 18:
    case 19:
      return 'no_answer';
    case 21:
      return 'rejected';
    case 1:
    case 3:
    case 20:
    case 27:
    case 38:
      return 'unreachable';
    default:
      return 'no_answer';
  }
}
