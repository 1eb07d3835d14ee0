import type { CallCenter } from '../app/call-center';
import type { Clock, Timer } from '../core/clock';
import { TelephonyError, UnavailableError, errorMessage } from '../core/errors';
import { newId } from '../core/ids';
import { KeyedMutex } from '../core/keyed-mutex';
import { callLogger, type Logger } from '../core/logger';
import type { IvrCommand, IvrEvent } from '../domain/ivr/engine';
import { reassurancePrompt, type IvrMenu } from '../domain/ivr/menu';
import type { CallbackTask } from '../domain/types';
import type { Offer, OperatorRinger, RingResult, WaitingCallerControl } from '../ports/telephony';
import { isAllocationFailure, isGone } from './ari/ari-errors';
import type { AriBridge, AriChannel, AriConnection, AriEvent } from './ari/ari-types';
import { parseSipLocation } from './location';

/** What the Asterisk adapter asks of the application service. */
export type AsteriskCallCenter = Pick<
  CallCenter,
  'callArrived' | 'locationFound' | 'ivrEvent' | 'ivrEventStaged' | 'callerHungUp' | 'operatorHungUp' | 'callFailed' | 'note' | 'takeUp' | 'channelGone' | 'handedToFailsafe' | 'activeCalls'
>;

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
  /** Dialplan context of the fail-safe (operators answer without siaga112). @defaultValue siaga112-failsafe */
  failsafeContext?: string;
  /** Another connection took the ARI app over (ApplicationReplaced): this instance must stand by. */
  onReplaced?: () => void;
}

/** What one take-up found and did (logs, tests). */
export interface TakeUpReport {
  channels: number;
  adopted: number;
  known: number;
  endedInStore: number;
  operatorLegsHungUp: number;
  failsafe: number;
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
  /** `timestamp|digit` of the last key presses taken: a repeated ChannelDtmfReceived is the same press. */
  digitsSeen?: string[];
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
  /** Connected and the view rebuilt from GET /channels: calls can be rung. */
  private ready = false;
  private readonly readyHandlers: Array<(ready: boolean) => void> = [];
  private takeUpRun?: Promise<void>;
  private takeUpAgain = false;
  private lastTakeUp?: TakeUpReport;

  constructor(private readonly deps: AsteriskTelephonyDeps) {
    this.mohClass = deps.mohClass ?? 'default';
    this.ringMarginMs = deps.ringMarginMs ?? 5000;
    deps.ari.onEvent((event) => this.onEvent(event));
    // Registrations made while we were not connected send no event, and
    // Asterisk replays no call event of a gap: on every (re)connection read
    // the softphones and rebuild the view of the calls.
    deps.ari.onConnection((up) => {
      if (up) {
        void this.syncSoftphones();
        this.scheduleTakeUp();
      } else {
        this.setReady(false);
      }
    });
  }

  /** True when connected and the calls have been taken up: operators may be rung. */
  get isReady(): boolean {
    return this.ready;
  }

  /** Called with true once the calls are taken up after a (re)connection, false when the link drops. */
  onReady(handler: (ready: boolean) => void): void {
    this.readyHandlers.push(handler);
  }

  /** The last take-up's figures. */
  get lastTakeUpReport(): TakeUpReport | undefined {
    return this.lastTakeUp;
  }

  private setReady(ready: boolean): void {
    if (this.ready === ready) return;
    this.ready = ready;
    for (const h of this.readyHandlers) {
      try {
        h(ready);
      } catch (err) {
        this.deps.logger.error('ready handler failed', { error: errorMessage(err) });
      }
    }
  }

  /** Take-ups never overlap; one asked for while another runs runs right after it. */
  private scheduleTakeUp(): void {
    if (this.takeUpRun) {
      this.takeUpAgain = true;
      return;
    }
    this.takeUpRun = (async () => {
      do {
        this.takeUpAgain = false;
        if (!this.deps.ari.connected) break;
        try {
          this.lastTakeUp = await this.takeUp();
          this.deps.logger.info('calls taken up from the PBX', { ...this.lastTakeUp });
          if (this.deps.ari.connected) this.setReady(true);
        } catch (err) {
          this.deps.logger.error('take-up failed; retrying', { error: errorMessage(err) });
          await new Promise<void>((resolve) => this.deps.clock.setTimer(1000, resolve));
          this.takeUpAgain = true;
        }
      } while (this.takeUpAgain);
    })().finally(() => {
      this.takeUpRun = undefined;
    });
  }

  /** Resolves once take-up is done (or after `ms`). */
  private async whenReady(ms: number): Promise<boolean> {
    if (this.ready) return true;
    return new Promise<boolean>((resolve) => {
      const timer = this.deps.clock.setTimer(ms, () => resolve(this.ready));
      this.readyHandlers.push((r) => {
        if (r) {
          timer.cancel();
          resolve(true);
        }
      });
    });
  }

  /**
   * Forget every call without touching a channel: another instance took
   * the app (ApplicationReplaced) or this one stands by. The callers stay
   * where they are in Asterisk; the new holder takes them up.
   */
  releaseAll(): void {
    this.setReady(false);
    for (const ring of [...this.rings.values()]) ring.settle('failed');
    for (const leg of [...this.legsByChannel.values()]) this.forget(leg);
    this.rings.clear();
    this.bridgedOperators.clear();
    this.playbacks.clear();
  }

  // ------------------------------------------------------------- take-up

  /**
   * Rebuild the view of the calls from the PBX (GET /channels, GET /bridges):
   * after a restart, a WebSocket gap or a takeover. Every channel of the app
   * is taken up (none dropped), known calls are reconciled with what
   * happened during the gap, and calls of the store whose channel is gone
   * are ended.
   */
  async takeUp(): Promise<TakeUpReport> {
    const report: TakeUpReport = { channels: 0, adopted: 0, known: 0, endedInStore: 0, operatorLegsHungUp: 0, failsafe: 0 };
    const listedAt = this.deps.clock.now();
    const [channels, bridges] = await Promise.all([this.deps.ari.listChannels(), this.deps.ari.listBridges()]);
    const ours = channels.filter((c) => this.appArgs(c) !== undefined);
    report.channels = ours.length;
    const byId = new Map(ours.map((c) => [c.id, c]));
    const bridgeOf = new Map<string, AriBridge>();
    for (const b of bridges) for (const id of b.channels) bridgeOf.set(id, b);
    const work: Array<Promise<void>> = [];

    // Rings in progress when the link dropped: the leg answered (it is in the app) or it is gone.
    for (const ring of [...this.rings.values()]) {
      const ch = byId.get(ring.channelId);
      work.push(
        this.locks.run(ring.leg.channelId, async () => {
          if (ring.settled) return;
          if (!ch) {
            ring.settle('no_answer');
            return;
          }
          if (ch.state === 'Up' && !bridgeOf.has(ch.id)) await this.operatorAnswered(ring);
        }),
      );
    }
    // Calls this instance knew: reconcile with the gap.
    for (const leg of [...this.legsByChannel.values()]) {
      report.known += 1;
      const ch = byId.get(leg.channelId);
      work.push(
        this.locks.run(leg.channelId, async () => {
          if (ch) await this.reconcile(leg, bridgeOf, byId);
          else await this.callerLeft(leg, 'gone_during_gap');
        }),
      );
    }
    await Promise.all(work);

    // Channels nobody here knows: a restart or a takeover. Every one is taken up.
    const claimedOperatorLegs = new Set<string>([...this.rings.keys(), ...this.bridgedOperators.keys()]);
    const adoptions: Array<Promise<void>> = [];
    for (const ch of ours) {
      const [kind] = this.appArgs(ch) ?? [];
      if (kind === LEG_OPERATOR || kind === LEG_CALLBACK_OPERATOR || kind === LEG_CALLBACK_CALLEE) continue;
      if (this.legsByChannel.has(ch.id)) continue;
      const bridge = bridgeOf.get(ch.id);
      const partner = bridge && bridge.bridge_type === 'mixing' ? bridge.channels.find((id) => id !== ch.id && byId.has(id)) : undefined;
      if (partner) claimedOperatorLegs.add(partner);
      report.adopted += 1;
      adoptions.push(
        this.locks
          .run(ch.id, async () => {
            if (ch.state !== 'Up' && !bridge) {
              // Not answered yet: it may have just entered the app, its StasisStart on its way. Give it a moment,
              // then start it like a new call (the IVR from the beginning) unless it is known by then.
              await new Promise<void>((resolve) => this.deps.clock.setTimer(1000, resolve));
              if (this.legsByChannel.has(ch.id)) return;
              if (await this.inbound({ type: 'StasisStart', channel: ch, args: this.appArgs(ch) ?? [] }, ch.id, (this.appArgs(ch) ?? [])[1])) return;
            }
            await this.adopt(ch, bridge, partner, report);
          })
          .catch((err: unknown) => void this.deps.logger.error('a call could not be taken up', { channelId: ch.id, error: errorMessage(err) })),
      );
    }
    await Promise.all(adoptions);

    // Operator legs of rings nobody settles any more (a dead instance's, or answered during the gap for a call gone).
    for (const ch of ours) {
      const [kind] = this.appArgs(ch) ?? [];
      if (kind !== LEG_OPERATOR) continue;
      const leg = this.bridgedOperators.get(ch.id);
      if (this.rings.has(ch.id) || (leg && leg.phase === 'bridged')) continue;
      report.operatorLegsHungUp += 1;
      await this.hangupQuietly(ch.id);
    }
    // Our bridges left empty (their calls ended while nobody listened).
    for (const b of bridges) {
      if (!/^(hold|mix)-/.test(b.id)) continue;
      const live = b.channels.some((id) => byId.has(id));
      const used = [...this.legsByChannel.values()].some((l) => l.holdBridgeId === b.id || l.mixBridgeId === b.id);
      if (!live && !used) await this.destroyQuietly(b.id);
    }
    // Calls in the store whose channel is gone: ended, never left active forever.
    for (const call of await this.deps.callCenter.activeCalls('asterisk')) {
      if (call.createdAt > listedAt || !call.channelId || byId.has(call.channelId) || this.legsByChannel.has(call.channelId)) continue;
      report.endedInStore += 1;
      await this.deps.callCenter.channelGone(call.id).catch((err: unknown) => this.deps.logger.warn('could not end a call whose channel is gone', { callId: call.id, error: errorMessage(err) }));
    }
    return report;
  }

  /** Stasis arguments of a channel in this app (`[]` when none), undefined when it is not in the app. */
  private appArgs(ch: AriChannel): string[] | undefined {
    const d = ch.dialplan;
    if (!d || d.app_name !== 'Stasis' || typeof d.app_data !== 'string') return undefined;
    const [app, ...args] = d.app_data.split(',');
    return app === this.deps.app ? args : undefined;
  }

  /** A channel this instance did not know: find or create its record and carry on from where it is. */
  private async adopt(ch: AriChannel, bridge: AriBridge | undefined, partner: string | undefined, report: TakeUpReport): Promise<void> {
    if (this.legsByChannel.has(ch.id)) return;
    const args = this.appArgs(ch) ?? [];
    const result = await this.deps.callCenter.takeUp(
      {
        backend: 'asterisk',
        channelId: ch.id,
        callerNumber: ch.caller?.number || 'unknown',
        dialedNumber: args[1] || ch.dialplan?.exten || '112',
        pbxUniqueId: ch.id,
      },
      { bridged: !!partner },
    );
    const call = result.call;
    const leg: CallerLeg = {
      channelId: ch.id,
      callId: call.id,
      callerNumber: call.callerNumber,
      language: call.language,
      phase: 'queued',
      log: callLogger(this.deps.logger, call.id, { number: call.callerNumber, mask: this.deps.maskCallerNumbers }),
    };
    this.legsByChannel.set(ch.id, leg);
    this.legsByCall.set(call.id, leg);
    leg.log.info('call taken up', { action: result.action, state: call.state, created: result.created });
    // The headers are still on the channel: a location the last instance never wrote (it died first) is read again.
    if (!call.location && ch.name.startsWith('PJSIP/') && result.action !== 'hangup') void this.recordLocation(leg, this.readLocation(ch.id));
    switch (result.action) {
      case 'bridged':
        leg.phase = 'bridged';
        leg.mixBridgeId = bridge?.id;
        leg.operatorChannelId = partner;
        if (partner) this.bridgedOperators.set(partner, leg);
        return;
      case 'wait':
        if (ch.state !== 'Up') await this.deps.ari.answer(ch.id).catch((err: unknown) => this.ignoreGone(leg, err, 'answer'));
        if (bridge && bridge.bridge_type === 'holding' && bridge.id === `hold-${call.id}`) {
          leg.holdBridgeId = bridge.id;
          // Music may have stopped for a reassurance that ended in the gap.
          await this.deps.ari.startBridgeMoh(bridge.id, this.mohClass).catch((err: unknown) => this.ignoreGone(leg, err, 'hold music'));
          return;
        }
        if (bridge) await this.deps.ari.removeFromBridge(bridge.id, ch.id).catch(() => undefined);
        await this.hold(leg);
        return;
      case 'failsafe':
        report.failsafe += 1;
        await this.toFailsafe(leg, 'not queued at take-up');
        return;
      case 'hangup':
        this.forget(leg);
        await this.hangupQuietly(ch.id);
        return;
    }
  }

  /** A call this instance knew, after a gap in the events. */
  private async reconcile(leg: CallerLeg, bridgeOf: Map<string, AriBridge>, byId: Map<string, AriChannel>): Promise<void> {
    if (leg.phase === 'ended') return;
    if (leg.phase === 'bridged') {
      if (!leg.operatorChannelId || !byId.has(leg.operatorChannelId)) await this.operatorLeft(leg, 'gone_during_gap');
      return;
    }
    if (leg.phase === 'ivr') {
      // Digits and prompt ends of the gap are lost: the menu cannot go on. Queue as general.
      leg.digitTimer?.cancel();
      leg.digitTimer = undefined;
      if (leg.prompt) {
        this.playbacks.delete(leg.prompt.playbackId);
        await this.deps.ari.stopPlayback(leg.prompt.playbackId).catch(() => undefined);
        leg.prompt = undefined;
      }
      const result = await this.deps.callCenter.takeUp(
        { backend: 'asterisk', channelId: leg.channelId, callerNumber: leg.callerNumber, dialedNumber: '112' },
        { bridged: false },
      );
      if (result.action === 'failsafe') return this.toFailsafe(leg, 'not queued after the gap');
      leg.phase = 'queued';
      leg.language = result.call.language;
      await this.hold(leg);
      return;
    }
    // Waiting: the end of the `queued` prompt or of a reassurance may have been lost.
    if (leg.queuedPromptId) {
      this.playbacks.delete(leg.queuedPromptId);
      leg.queuedPromptId = undefined;
    }
    if (leg.reassurePlaybackId) {
      this.playbacks.delete(leg.reassurePlaybackId);
      leg.reassurePlaybackId = undefined;
    }
    if (leg.holdBridgeId && bridgeOf.get(leg.channelId)?.id === leg.holdBridgeId) {
      await this.deps.ari.startBridgeMoh(leg.holdBridgeId, this.mohClass).catch((err: unknown) => this.ignoreGone(leg, err, 'hold music'));
    } else if (!leg.ring) {
      leg.holdBridgeId = undefined;
      await this.hold(leg);
    }
  }

  /**
   * The caller cannot be queued (Redis unreachable) or has nothing left
   * here: hand it to the dialplan's fail-safe, where operators answer
   * directly. Never leave a caller waiting for nothing.
   */
  private async toFailsafe(leg: CallerLeg, reason: string): Promise<void> {
    if (leg.phase === 'ended') return;
    const context = this.deps.failsafeContext ?? 'siaga112-failsafe';
    leg.handedOff = true;
    if (leg.prompt) {
      this.playbacks.delete(leg.prompt.playbackId);
      await this.deps.ari.stopPlayback(leg.prompt.playbackId).catch(() => undefined);
    }
    await this.leaveHold(leg);
    try {
      await this.deps.ari.continueInDialplan(leg.channelId, context, 's', 1);
    } catch (err) {
      leg.handedOff = false;
      if (isGone(err)) return this.callerLeft(leg, 'gone');
      leg.log.error('fail-safe hand-off failed', { error: errorMessage(err) });
      throw err;
    }
    this.forget(leg);
    leg.log.warn('caller handed to the dialplan fail-safe', { reason, context });
    await this.deps.callCenter.handedToFailsafe(leg.callId, { reason, context });
  }

  /** Feed the IVR and carry out its commands; a queue that cannot be reached sends the caller to the fail-safe. */
  private async ivrStep(leg: CallerLeg, event: IvrEvent): Promise<void> {
    let staged: { commands: IvrCommand[]; queued: Promise<void> };
    try {
      staged = await this.deps.callCenter.ivrEventStaged(leg.callId, event);
    } catch (err) {
      if (!(err instanceof UnavailableError)) throw err;
      await this.toFailsafe(leg, errorMessage(err));
      return;
    }
    await this.execute(leg, staged.commands, staged.queued);
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
        if (channelId && e.digit) this.serial(channelId, (leg) => this.onDigit(leg, e.digit!, e.timestamp));
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
        this.deps.logger.error('another connection took over the ARI app: this instance stands by', { app: this.deps.app });
        this.releaseAll();
        this.deps.onReplaced?.();
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
      // A StasisStart again for an operator already talking (a repeated event) proves nothing: never hang them up for it.
      if (this.bridgedOperators.has(channelId)) return;
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
    this.locked(channelId, async () => void (await this.inbound(e, channelId, ref)));
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

  /** A new call in the app: record it, answer, start the IVR. False when the channel was already recorded (nothing done). */
  private async inbound(e: AriEvent, channelId: string, dialedArg: string | undefined): Promise<boolean> {
    if (this.legsByChannel.has(channelId)) return true; // a repeated StasisStart
    const channel = e.channel!;
    // The SIP headers are asked for alongside, not before: the record and the answer do not wait for
    // the PBX's replies; the location joins the record as soon as they are in (call.location).
    const locationRead = channel.name.startsWith('PJSIP/') ? this.readLocation(channelId) : undefined;
    const arrival = await this.deps.callCenter.callArrived({
      backend: 'asterisk',
      channelId,
      callerNumber: channel.caller?.number || 'unknown',
      dialedNumber: dialedArg || channel.dialplan?.exten || '112',
      pbxUniqueId: channel.id,
    });
    if (!arrival.created) {
      // Known channel: a duplicate StasisStart, or a call taken up after a restart (issue 6).
      this.deps.logger.info('StasisStart for a call already recorded; not started again', { channelId, callId: arrival.call.id, state: arrival.call.state });
      return false;
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
      if (isGone(err)) {
        await this.callerLeft(leg, 'gone_before_answer');
        return true;
      }
      leg.log.warn('answer failed; going on', { error: errorMessage(err) });
    }
    await this.execute(leg, arrival.commands);
    if (locationRead) await this.recordLocation(leg, locationRead);
    return true;
  }

  /** The caller's location from the SIP headers, once read (CallCenter never writes over one already recorded). */
  private async recordLocation(leg: CallerLeg, read: Promise<ReturnType<typeof parseSipLocation>>): Promise<void> {
    const location = await read;
    if (!location) return;
    await this.deps.callCenter.locationFound(leg.callId, location).catch((err: unknown) => leg.log.warn('could not record the caller location', { error: errorMessage(err) }));
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

  /**
   * Carry out IVR commands in order. Stops at the first "channel gone".
   * `queued`: the call centre still putting the call in the queue; the
   * caller starts waiting only once it has (the fail-safe if it cannot).
   */
  private async execute(leg: CallerLeg, commands: IvrCommand[], queued?: Promise<void>): Promise<void> {
    for (const command of commands) {
      if (leg.phase === 'ended') return;
      if (command.type === 'queue' && queued) {
        try {
          await queued;
        } catch (err) {
          if (!(err instanceof UnavailableError)) throw err;
          return this.toFailsafe(leg, errorMessage(err));
        }
      }
      try {
        await this.executeOne(leg, command, commands);
      } catch (err) {
        if (isGone(err)) return this.callerLeft(leg, 'gone');
        leg.log.error('IVR command failed', { command: command.type, error: errorMessage(err) });
        if (command.type === 'play' && leg.phase === 'ivr' && leg.prompt) {
          // A prompt that cannot play must not stall the menu: treat it as finished.
          leg.prompt = undefined;
          await this.ivrStep(leg, { type: 'prompt_finished', promptId: command.promptId });
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
            await this.ivrStep(l, { type: 'input_timeout' });
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

  private async onDigit(leg: CallerLeg, digit: string, timestamp: string | undefined): Promise<void> {
    // Asterisk sends each key press once, stamped to the millisecond: the same digit at the same
    // time again is a repeated event (a fault), not a second press.
    if (timestamp) {
      const key = `${timestamp}|${digit}`;
      if (leg.digitsSeen?.includes(key)) {
        leg.log.warn('repeated DTMF event ignored', { digit, timestamp });
        return;
      }
      leg.digitsSeen = [...(leg.digitsSeen ?? []).slice(-7), key];
    }
    if (leg.phase !== 'ivr') {
      leg.log.debug('digit outside the IVR ignored', { digit });
      return;
    }
    leg.digitTimer?.cancel();
    leg.digitTimer = undefined;
    await this.ivrStep(leg, { type: 'digit', digit });
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
        await this.ivrStep(leg, { type: 'prompt_finished', promptId });
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
    // Right after a (re)connection the calls are being taken up: a call not known yet may still be there.
    if (!this.legsByCall.has(offer.callId) && !this.ready) await this.whenReady(this.ringMarginMs);
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
    // The same leg's StasisStart handled twice (both queued before the first connected it): already done.
    if (ring.settled && leg.operatorChannelId === ring.channelId) return;
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
      // "Channel not found" does not say which of the two: an operator who hangs up as they answer must not end the caller's call.
      if (isGone(err) && /channel/i.test(errorMessage(err)) && (await this.channelGone(leg.channelId))) {
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
    if (session.state === 'connected') return; // a repeated StasisStart of the callee already talking
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

  /** True when the channel no longer exists (a harmless read of it answers "not found"). */
  private async channelGone(channelId: string): Promise<boolean> {
    try {
      await this.deps.ari.getVariable(channelId, 'CALLERID(num)');
      return false;
    } catch (err) {
      return isGone(err);
    }
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
