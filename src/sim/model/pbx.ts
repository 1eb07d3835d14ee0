import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Clock, Timer } from '../../core/clock';
import { CAUSE, HANGUP_REASONS, causeText, sipCodeFor } from './causes';
import type { PbxEvent, PbxEventKind, PbxEventMap } from './events';
import { PbxError } from './pbx-error';
import { soundLibrary, type SoundLibrary, type SoundLibraryOptions } from './sounds';
import type {
  AppSnapshot,
  BridgeSnapshot,
  BridgeType,
  CallerScript,
  CallerStep,
  ChannelSnapshot,
  ChannelState,
  DialplanPosition,
  EndpointBehaviour,
  EndpointSnapshot,
  PartyId,
  PlaybackSnapshot,
  PlaybackState,
  RecordingSnapshot,
} from './types';

type Payload<K extends PbxEventKind> = Omit<PbxEventMap[K], 'at' | 'apps'>;

interface Channel {
  id: string;
  name: string;
  tech: 'PJSIP' | 'Local' | 'Snoop';
  resource: string;
  state: ChannelState;
  protocolId: string;
  caller: PartyId;
  connected: PartyId;
  dialplan: DialplanPosition;
  creationTime: number;
  language: string;
  linkedId: string;
  vars: Map<string, string>;
  headers: Array<[string, string]>;
  pjsip: Record<string, string>;
  stasisApp?: string;
  bridgeId?: string;
  talkDetect: boolean;
  timers: Timer[];
  gone: boolean;
  script?: CallerScript;
  scriptStarted: boolean;
  /** The scripted talk-time hang-up is scheduled (once per call). */
  talkScheduled?: boolean;
  origin: 'incoming' | 'originated' | 'created' | 'snoop';
  /** Set on outgoing legs until they answer or fail. */
  dialing?: { app?: string; args: string[]; dialstring: string; reportedDialstring: string; callerId?: string };
}

interface Bridge {
  id: string;
  type: BridgeType;
  technology: string;
  name: string;
  channels: string[];
  creationTime: number;
  moh?: string;
}

interface Playback {
  id: string;
  media: string[];
  index: number;
  targetKind: 'channel' | 'bridge';
  targetId: string;
  language: string;
  state: PlaybackState;
  timer?: Timer;
  remainingMs: number;
  startedAt: number;
}

interface LiveRecording {
  name: string;
  format: string;
  state: 'queued' | 'recording' | 'paused' | 'done';
  targetUri: string;
  startedAt: number;
}

interface Endpoint {
  technology: string;
  resource: string;
  registered: boolean;
  contactUri: string;
  behaviour: EndpointBehaviour;
}

interface App {
  name: string;
  active: boolean;
  subscribeAll: boolean;
  channelIds: Set<string>;
  bridgeIds: Set<string>;
  endpointIds: Set<string>;
  deviceNames: Set<string>;
}

export interface PbxOptions extends SoundLibraryOptions {
  clock: Clock;
  /** The Stasis app the dialplan sends emergency calls to. */
  stasisApp?: string;
  /** Entity id reported as asterisk_id. */
  entityId?: string;
}

export interface OriginateRequest {
  endpoint?: string;
  extension?: string;
  context?: string;
  priority?: number;
  app?: string;
  appArgs?: string;
  callerId?: string;
  timeout?: number;
  channelId?: string;
  variables?: Record<string, string>;
}

const RECORD_FORMATS = new Set(['wav', 'gsm', 'ulaw', 'alaw', 'sln', 'g722', 'wav49', 'g729', 'ogg']);
const DEVICE_STATES = new Set(['UNKNOWN', 'NOT_INUSE', 'INUSE', 'BUSY', 'INVALID', 'UNAVAILABLE', 'RINGING', 'RINGINUSE', 'ONHOLD']);
const DEFAULT_ORIGINATE_TIMEOUT_S = 30;
/** Small gaps Asterisk leaves between steps of one action (ms), so events keep their order in time. */
const TICK = 2;

/** "Name" <number> or number, as ARI's callerId parameter. */
function parseCallerId(value: string | undefined): PartyId {
  if (!value) return { name: '', number: '' };
  const m = /^\s*(?:"([^"]*)"|([^<]*?))\s*<([^>]*)>\s*$/.exec(value);
  if (m) return { name: (m[1] ?? m[2] ?? '').trim(), number: m[3] };
  return { name: '', number: value.trim() };
}

/**
 * The simulated PBX: channels, bridges, endpoints, playbacks, recordings and
 * Stasis apps. Every change is published as a typed event (see events.ts);
 * `apps` on each event names the Stasis apps subscribed to what it concerns.
 */
export class Pbx {
  readonly clock: Clock;
  readonly stasisAppName: string;
  readonly entityId: string;
  readonly startedAt: number;
  private readonly emitter = new EventEmitter();
  private sounds: SoundLibrary;
  private channels = new Map<string, Channel>();
  private bridges = new Map<string, Bridge>();
  private playbacks = new Map<string, Playback>();
  private recordings = new Map<string, LiveRecording>();
  private storedRecordings = new Map<string, string>();
  private endpoints = new Map<string, Endpoint>();
  private apps = new Map<string, App>();
  private deviceStates = new Map<string, string>();
  private globals = new Map<string, string>([['ASTETCDIR', '/etc/asterisk']]);
  private seq = 0;
  private nameSeq = 0;
  private snoopSeq = 0;

  constructor(opts: PbxOptions) {
    this.clock = opts.clock;
    this.stasisAppName = opts.stasisApp ?? 'siaga112';
    this.entityId = opts.entityId ?? '02:00:5a:11:20:01';
    this.startedAt = opts.clock.now();
    this.sounds = soundLibrary(opts);
    this.emitter.setMaxListeners(0);
    this.addEndpoint({ resource: 'caller', registered: false });
  }

  /** Replace the prompt durations (scenario `sounds`, `unknownSound`). */
  configureSounds(opts: SoundLibraryOptions): void {
    this.sounds = soundLibrary(opts);
  }

  // ---------------------------------------------------------------- events

  on<K extends PbxEventKind>(kind: K, fn: (e: PbxEventMap[K] & { kind: K }) => void): () => void {
    const listener = fn as (e: unknown) => void;
    this.emitter.on(kind, listener);
    return () => this.emitter.off(kind, listener);
  }

  onAny(fn: (e: PbxEvent) => void): () => void {
    const listener = fn as (e: unknown) => void;
    this.emitter.on('*', listener);
    return () => this.emitter.off('*', listener);
  }

  private emit<K extends PbxEventKind>(kind: K, payload: Payload<K>, apps: Iterable<string>): void {
    const event = { kind, at: this.clock.now(), apps: [...new Set(apps)], ...payload } as unknown as PbxEvent;
    this.emitter.emit(kind, event);
    this.emitter.emit('*', event);
  }

  // ---------------------------------------------------------------- timers

  private later(ms: number, fn: () => void, ch?: Channel): Timer {
    const timer = this.clock.setTimer(ms, () => {
      if (ch) ch.timers = ch.timers.filter((t) => t !== timer);
      fn();
    });
    if (ch) ch.timers.push(timer);
    return timer;
  }

  // ---------------------------------------------------------------- snapshots

  private snap(ch: Channel): ChannelSnapshot {
    return {
      id: ch.id,
      name: ch.name,
      state: ch.state,
      protocolId: ch.protocolId,
      caller: { ...ch.caller },
      connected: { ...ch.connected },
      accountcode: '',
      dialplan: { ...ch.dialplan },
      creationTime: ch.creationTime,
      language: ch.language,
      linkedId: ch.linkedId,
    };
  }

  private bridgeSnap(b: Bridge): BridgeSnapshot {
    return { id: b.id, technology: b.technology, bridgeType: b.type, name: b.name, channels: [...b.channels], creationTime: b.creationTime };
  }

  private playbackSnap(p: Playback): PlaybackSnapshot {
    const snap: PlaybackSnapshot = {
      id: p.id,
      mediaUri: p.media[p.index],
      targetUri: `${p.targetKind}:${p.targetId}`,
      language: p.language,
      state: p.state,
    };
    if (p.index + 1 < p.media.length) snap.nextMediaUri = p.media[p.index + 1];
    return snap;
  }

  private recordingSnap(r: LiveRecording, duration?: number): RecordingSnapshot {
    const snap: RecordingSnapshot = { name: r.name, format: r.format, state: r.state, targetUri: r.targetUri };
    if (duration !== undefined) snap.duration = duration;
    return snap;
  }

  private endpointSnap(e: Endpoint): EndpointSnapshot {
    return {
      technology: e.technology,
      resource: e.resource,
      state: e.registered ? 'online' : 'offline',
      channelIds: [...this.channels.values()].filter((c) => c.tech === e.technology && c.resource === e.resource).map((c) => c.id),
    };
  }

  // ---------------------------------------------------------------- subscriptions

  private appsForChannel(ch: Channel): string[] {
    const out: string[] = [];
    for (const app of this.apps.values()) {
      if (app.subscribeAll || app.channelIds.has(ch.id) || ch.stasisApp === app.name) out.push(app.name);
    }
    return out;
  }

  private appsForBridge(b: Bridge): string[] {
    return [...this.apps.values()].filter((a) => a.subscribeAll || a.bridgeIds.has(b.id)).map((a) => a.name);
  }

  private appsForTarget(kind: 'channel' | 'bridge', id: string): string[] {
    if (kind === 'channel') {
      const ch = this.channels.get(id);
      return ch ? this.appsForChannel(ch) : [];
    }
    const b = this.bridges.get(id);
    return b ? this.appsForBridge(b) : [];
  }

  private appsForEndpoint(e: Endpoint): string[] {
    const key = `${e.technology}/${e.resource}`;
    return [...this.apps.values()]
      .filter((a) => a.subscribeAll || a.endpointIds.has(key) || a.endpointIds.has(e.technology))
      .map((a) => a.name);
  }

  /** Whether `app` asked for this endpoint by name (not through subscribeAll). */
  isEndpointSubscriber(app: string, technology: string, resource: string): boolean {
    const a = this.apps.get(app);
    return !!a && (a.endpointIds.has(`${technology}/${resource}`) || a.endpointIds.has(technology));
  }

  // ---------------------------------------------------------------- apps

  /** A WebSocket for `name` connected: the app exists and is active. */
  activateApp(name: string, subscribeAll = false): void {
    const app = this.apps.get(name) ?? this.newApp(name);
    app.active = true;
    app.subscribeAll = subscribeAll;
  }

  /** Its WebSocket went away: channels stay in the app; an empty app is destroyed. */
  deactivateApp(name: string): void {
    const app = this.apps.get(name);
    if (!app) return;
    app.active = false;
    app.subscribeAll = false;
    this.reapApp(name);
  }

  isAppActive(name: string): boolean {
    return this.apps.get(name)?.active ?? false;
  }

  private newApp(name: string): App {
    const app: App = { name, active: false, subscribeAll: false, channelIds: new Set(), bridgeIds: new Set(), endpointIds: new Set(), deviceNames: new Set() };
    this.apps.set(name, app);
    return app;
  }

  private reapApp(name: string): void {
    const app = this.apps.get(name);
    if (!app || app.active) return;
    const hasChannels = [...this.channels.values()].some((c) => c.stasisApp === name) || app.channelIds.size > 0;
    if (!hasChannels && app.bridgeIds.size === 0) this.apps.delete(name);
  }

  private appSnap(app: App): AppSnapshot {
    if (app.subscribeAll) {
      return {
        name: app.name,
        channelIds: ['__AST_CHANNEL_ALL_TOPIC'],
        bridgeIds: ['__AST_BRIDGE_ALL_TOPIC'],
        endpointIds: ['__AST_ENDPOINT_ALL_TOPIC'],
        deviceNames: ['__AST_DEVICE_STATE_ALL_TOPIC'],
      };
    }
    const channelIds = new Set(app.channelIds);
    for (const c of this.channels.values()) if (c.stasisApp === app.name) channelIds.add(c.id);
    return { name: app.name, channelIds: [...channelIds], bridgeIds: [...app.bridgeIds], endpointIds: [...app.endpointIds], deviceNames: [...app.deviceNames] };
  }

  listApps(): AppSnapshot[] {
    return [...this.apps.values()].map((a) => this.appSnap(a));
  }

  getApp(name: string): AppSnapshot {
    const app = this.apps.get(name);
    if (!app) throw new PbxError(404, 'Application not found');
    return this.appSnap(app);
  }

  subscribe(name: string, eventSources: string[], on: boolean): AppSnapshot {
    const app = this.apps.get(name);
    if (!app) throw new PbxError(404, 'Application not found');
    if (eventSources.length === 0) throw new PbxError(400, 'Missing parameter eventSource');
    for (const source of eventSources) {
      const m = /^(channel|bridge|endpoint|deviceState):(.*)$/.exec(source);
      if (!m) throw new PbxError(400, 'Invalid event source URI scheme');
      const [, scheme, id] = m;
      if (scheme === 'channel') {
        if (!this.channels.has(id)) throw new PbxError(422, 'Event source does not exist');
        if (on) app.channelIds.add(id);
        else app.channelIds.delete(id);
      } else if (scheme === 'bridge') {
        if (!this.bridges.has(id)) throw new PbxError(422, 'Event source does not exist');
        if (on) app.bridgeIds.add(id);
        else app.bridgeIds.delete(id);
      } else if (scheme === 'endpoint') {
        const [tech, resource] = id.split('/');
        const exists = resource === undefined ? [...this.endpoints.values()].some((e) => e.technology === tech) : this.endpoints.has(`${tech}/${resource}`);
        if (!exists) throw new PbxError(422, 'Event source does not exist');
        if (on) app.endpointIds.add(id);
        else app.endpointIds.delete(id);
      } else {
        if (on) app.deviceNames.add(id);
        else app.deviceNames.delete(id);
      }
    }
    return this.appSnap(app);
  }

  // ---------------------------------------------------------------- endpoints

  addEndpoint(spec: { technology?: string; resource: string; registered?: boolean; contactUri?: string; behaviour?: EndpointBehaviour }): void {
    const technology = spec.technology ?? 'PJSIP';
    const port = 5072 + this.endpoints.size;
    this.endpoints.set(`${technology}/${spec.resource}`, {
      technology,
      resource: spec.resource,
      registered: spec.registered ?? true,
      contactUri: spec.contactUri ?? `sip:${spec.resource}@127.0.0.1:${port}`,
      behaviour: spec.behaviour ?? { kind: 'answer', afterS: 1 },
    });
  }

  removeEndpoint(resource: string, technology = 'PJSIP'): void {
    const e = this.endpoints.get(`${technology}/${resource}`);
    if (e?.registered) this.unregisterEndpoint(resource, technology);
    this.endpoints.delete(`${technology}/${resource}`);
  }

  private endpointOrThrow(resource: string, technology: string): Endpoint {
    const e = this.endpoints.get(`${technology}/${resource}`);
    if (!e) throw new PbxError(404, 'Endpoint not found');
    return e;
  }

  registerEndpoint(resource: string, contactUri?: string, technology = 'PJSIP'): void {
    const e = this.endpointOrThrow(resource, technology);
    if (contactUri) e.contactUri = contactUri;
    if (e.registered) return; // a refresh of an existing contact is silent in Asterisk
    e.registered = true;
    this.emitRegistration(e);
  }

  unregisterEndpoint(resource: string, technology = 'PJSIP'): void {
    const e = this.endpointOrThrow(resource, technology);
    if (!e.registered) return;
    e.registered = false;
    this.emitRegistration(e);
  }

  private emitRegistration(e: Endpoint): void {
    const deviceName = `${e.technology}/${e.resource}`;
    const deviceState = e.registered ? 'NOT_INUSE' : 'UNAVAILABLE';
    this.emit('device-state', { name: deviceName, state: deviceState }, this.appsForDevice(deviceName));
    this.emit(
      'endpoint-state',
      {
        endpoint: this.endpointSnap(e),
        stateChanged: true,
        peerStatus: e.registered ? 'Reachable' : 'Unreachable',
        contact: { uri: e.contactUri, status: e.registered ? 'NonQualified' : 'Removed', aor: e.resource, roundtripUsec: '0' },
      },
      this.appsForEndpoint(e),
    );
  }

  setEndpointBehaviour(resource: string, behaviour: EndpointBehaviour, technology = 'PJSIP'): void {
    this.endpointOrThrow(resource, technology).behaviour = behaviour;
  }

  listEndpoints(technology?: string): EndpointSnapshot[] {
    const all = [...this.endpoints.values()].filter((e) => technology === undefined || e.technology === technology);
    if (technology !== undefined && all.length === 0) throw new PbxError(404, `No Endpoints found - invalid tech ${technology}`);
    return all.map((e) => this.endpointSnap(e));
  }

  getEndpoint(technology: string, resource: string): EndpointSnapshot {
    return this.endpointSnap(this.endpointOrThrow(resource, technology));
  }

  // ---------------------------------------------------------------- device states

  private appsForDevice(name: string): string[] {
    return [...this.apps.values()].filter((a) => a.subscribeAll || a.deviceNames.has(name)).map((a) => a.name);
  }

  listDeviceStates(): Array<{ name: string; state: string }> {
    return [...this.deviceStates.entries()].map(([name, state]) => ({ name, state }));
  }

  getDeviceState(name: string): { name: string; state: string } {
    return { name, state: this.deviceStates.get(name) ?? 'UNKNOWN' };
  }

  setDeviceState(name: string, state: string | undefined): void {
    if (!name.startsWith('Stasis:')) throw new PbxError(404, 'Resource not found');
    if (!state) throw new PbxError(400, 'Missing parameter deviceState');
    if (!DEVICE_STATES.has(state)) throw new PbxError(500, 'Unknown device');
    this.deviceStates.set(name, state);
    this.emit('device-state', { name, state }, this.appsForDevice(name));
  }

  deleteDeviceState(name: string): void {
    if (!name.startsWith('Stasis:')) throw new PbxError(404, 'Resource not found');
    if (!this.deviceStates.delete(name)) throw new PbxError(404, 'Device state not found');
  }

  getGlobalVariable(name: string | undefined): string {
    if (!name) throw new PbxError(400, 'Variable name is required');
    const v = this.globals.get(name);
    if (v === undefined) throw new PbxError(404, 'Provided variable was not found');
    return v;
  }

  setGlobalVariable(name: string | undefined, value: string): void {
    if (!name) throw new PbxError(400, 'Variable name is required');
    this.globals.set(name, value);
  }

  // ---------------------------------------------------------------- channels: lookups

  private newChannel(init: { tech: Channel['tech']; resource: string; name: string; state: ChannelState; caller: PartyId; connected: PartyId; dialplan: DialplanPosition; id?: string; protocolId?: string }): Channel {
    const id = init.id ?? `${Math.floor(this.clock.now() / 1000)}.${this.seq++}`;
    const ch: Channel = {
      id,
      name: init.name,
      tech: init.tech,
      resource: init.resource,
      state: init.state,
      protocolId: init.protocolId ?? (init.tech === 'PJSIP' ? randomUUID() : ''),
      caller: init.caller,
      connected: init.connected,
      dialplan: init.dialplan,
      creationTime: this.clock.now(),
      language: 'en',
      linkedId: id,
      vars: new Map(),
      headers: [],
      pjsip: {},
      talkDetect: false,
      timers: [],
      gone: false,
      scriptStarted: false,
      origin: 'incoming',
    };
    this.channels.set(id, ch);
    return ch;
  }

  private nextName(): string {
    return (this.nameSeq++).toString(16).padStart(8, '0');
  }

  listChannels(): ChannelSnapshot[] {
    return [...this.channels.values()].map((c) => this.snap(c));
  }

  getChannel(id: string): ChannelSnapshot {
    return this.snap(this.channelOrThrow(id));
  }

  hasChannel(id: string): boolean {
    return this.channels.has(id);
  }

  private channelOrThrow(id: string, message = 'Channel not found'): Channel {
    const ch = this.channels.get(id);
    if (!ch) throw new PbxError(404, message);
    return ch;
  }

  /** A channel the app may control: it exists (404) and is in Stasis (409). */
  private controllable(id: string): Channel {
    const ch = this.channelOrThrow(id);
    if (!ch.stasisApp) throw new PbxError(409, 'Channel not in Stasis application');
    return ch;
  }

  private setState(ch: Channel, state: ChannelState): void {
    if (ch.state === state) return;
    ch.state = state;
    this.emit('channel-state', { channel: this.snap(ch) }, this.appsForChannel(ch));
  }

  private varset(ch: Channel, variable: string, value: string): void {
    if (variable) ch.vars.set(variable, value);
    this.emit('channel-varset', { channel: this.snap(ch), variable, value }, this.appsForChannel(ch));
  }

  private enterStasis(ch: Channel, app: string, args: string[]): boolean {
    ch.dialplan = { ...ch.dialplan, appName: 'Stasis', appData: [app, ...args].join(',') };
    if (!this.isAppActive(app)) {
      this.varset(ch, 'STASISSTATUS', 'FAILED');
      return false;
    }
    this.varset(ch, 'STASISSTATUS', '');
    ch.stasisApp = app;
    this.emit('stasis-start', { app, args, channel: this.snap(ch) }, this.appsForChannel(ch));
    return true;
  }

  // ---------------------------------------------------------------- scripted callers

  /** A call arriving at the PBX (a SIP caller, or the `;2` half of an AMI Local originate). */
  placeCall(script: CallerScript): ChannelSnapshot {
    const tech = script.tech ?? 'PJSIP';
    const exten = script.exten ?? '112';
    const context = script.context ?? 'from-pstn';
    const caller = { name: script.name ?? '', number: script.from };
    const seq = this.nextName();
    const name = tech === 'Local' ? `Local/${exten}@${context}-${seq};2` : `PJSIP/caller-${seq}`;
    const callId = `1-${Math.floor(Math.random() * 1e5)}@127.0.0.1`;
    const ch = this.newChannel({
      tech,
      resource: tech === 'Local' ? `${exten}@${context}` : 'caller',
      name,
      state: 'Ring',
      caller,
      connected: tech === 'Local' ? { ...caller } : { name: '', number: '' },
      dialplan: { context, exten, priority: 1, appName: '', appData: '' },
      protocolId: tech === 'PJSIP' ? callId : '',
    });
    ch.script = script;
    if (tech === 'PJSIP') {
      const from = `"${caller.name}" <sip:${caller.number}@127.0.0.1>;tag=${seq}SIMTag001`;
      const headers: Array<[string, string]> = [
        ['Via', 'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-' + seq],
        ['From', from],
        ['To', `<sip:${exten}@127.0.0.1:5060>`],
        ['Call-ID', callId],
        ['CSeq', '1 INVITE'],
        ['Contact', `<sip:${caller.number}@127.0.0.1:5070>`],
        ['Max-Forwards', '70'],
      ];
      for (const [k, v] of Object.entries(script.headers ?? {})) headers.push([k, v]);
      if (!headers.some(([k]) => k.toLowerCase() === 'content-type')) headers.push(['Content-Type', 'application/sdp']);
      headers.push(['Content-Length', '0']);
      ch.headers = headers;
      ch.pjsip = {
        'call-id': callId,
        request_uri: `sip:${exten}@127.0.0.1:5060`,
        local_uri: `<sip:${exten}@127.0.0.1>`,
        remote_uri: `\\"${caller.name}\\" <sip:${caller.number}@127.0.0.1>`,
        remote_addr: '127.0.0.1:5070',
      };
    }
    this.emit('channel-created', { channel: this.snap(ch) }, []);
    ch.dialplan = { ...ch.dialplan, priority: 2, appName: 'Stasis', appData: this.stasisAppName };
    this.emit('channel-dialplan', { channel: this.snap(ch), dialplanApp: 'Stasis', dialplanAppData: this.stasisAppName }, []);
    if (!this.enterStasis(ch, this.stasisAppName, [])) {
      // The dialplan's fallback when the app is not connected: answer, apologise, hang up.
      this.setState(ch, 'Up');
      this.later(2000, () => this.teardown(ch, { destroyCause: CAUSE.NORMAL_CLEARING }), ch);
      return this.snap(ch);
    }
    if (script.abandonAfter !== undefined) {
      this.later(script.abandonAfter * 1000, () => {
        if (ch.state !== 'Up') this.callerHangup(ch.id);
      }, ch);
    }
    if (script.patience !== undefined) {
      this.later(script.patience * 1000, () => {
        if (!ch.talkScheduled) this.callerHangup(ch.id);
      }, ch);
    }
    if (script.startWhen === 'enter') this.runSteps(ch);
    return this.snap(ch);
  }

  private runSteps(ch: Channel): void {
    if (ch.scriptStarted || !ch.script?.steps) return;
    ch.scriptStarted = true;
    const steps = [...ch.script.steps];
    const next = (): void => {
      if (ch.gone) return;
      const step: CallerStep | undefined = steps.shift();
      if (!step) return;
      if ('wait' in step) this.later(step.wait * 1000, next, ch);
      else if ('dtmf' in step) this.sendDigits(ch, step.dtmf, (step.gap ?? 0.35) * 1000, next);
      else if ('talk' in step) this.talk(ch, step.talk * 1000, next);
      else this.callerHangup(ch.id);
    };
    next();
  }

  private sendDigits(ch: Channel, digits: string, gapMs: number, done: () => void): void {
    const list = [...digits];
    const one = (): void => {
      if (ch.gone) return;
      const digit = list.shift();
      if (digit === undefined) return done();
      this.emit('dtmf', { channel: this.snap(ch), digit, durationMs: 100 }, this.appsForChannel(ch));
      if (list.length > 0) this.later(gapMs, one, ch);
      else done();
    };
    one();
  }

  private talk(ch: Channel, ms: number, done: () => void): void {
    if (ch.talkDetect) this.emit('talking-started', { channel: this.snap(ch) }, this.appsForChannel(ch));
    this.later(ms, () => {
      // Asterisk reports the end of talking after its silence threshold (about 2.5 s).
      if (ch.talkDetect) this.later(2500, () => this.emit('talking-finished', { channel: this.snap(ch), durationMs: ms }, this.appsForChannel(ch)), ch);
      done();
    }, ch);
  }

  /** The caller presses digits now. */
  callerDtmf(channelId: string, digits: string, gapS = 0.35): void {
    const ch = this.channelOrThrow(channelId);
    this.sendDigits(ch, digits, gapS * 1000, () => undefined);
  }

  /** The caller hangs up (SIP BYE): no cause in ChannelHangupRequest, as Asterisk reports it. */
  callerHangup(channelId: string): void {
    const ch = this.channels.get(channelId);
    if (!ch || ch.gone) return;
    const local = ch.tech === 'Local';
    this.teardown(ch, { requestCause: local ? CAUSE.NORMAL_CLEARING : undefined, destroyCause: CAUSE.NORMAL_CLEARING });
  }

  // ---------------------------------------------------------------- originate

  private parseEndpoint(endpoint: string | undefined): { tech: string; resource: string } {
    if (!endpoint) throw new PbxError(400, 'Endpoint must be specified');
    const slash = endpoint.indexOf('/');
    if (slash < 0) throw new PbxError(400, 'Invalid endpoint specified');
    return { tech: endpoint.slice(0, slash), resource: endpoint.slice(slash + 1) };
  }

  private allocate(tech: string, resource: string, callerId: PartyId, dialplan: DialplanPosition, id?: string): Channel {
    if (id !== undefined && this.channels.has(id)) throw new PbxError(409, 'Channel with given unique ID already exists');
    if (tech === 'Local') {
      return this.newChannel({ tech: 'Local', resource, name: `Local/${resource}-${this.nextName()};1`, state: 'Down', caller: callerId, connected: { ...callerId }, dialplan, id });
    }
    const e = this.endpoints.get(`${tech}/${resource}`);
    if (tech !== 'PJSIP' || !e || !e.registered) throw new PbxError(500, 'Allocation failed', 'error');
    return this.newChannel({ tech: 'PJSIP', resource, name: `PJSIP/${resource}-${this.nextName()}`, state: 'Down', caller: callerId, connected: { ...callerId }, dialplan, id });
  }

  /** POST /channels: the new leg is dialled at once and enters the app when it answers. */
  originate(req: OriginateRequest): ChannelSnapshot {
    const { tech, resource } = this.parseEndpoint(req.endpoint);
    if (!req.app && !req.extension) throw new PbxError(400, 'Application or extension must be specified');
    const callerId = parseCallerId(req.callerId);
    const dialplan = { context: tech === 'Local' ? resource.split('@')[1] ?? 'default' : 'operators', exten: 's', priority: 1, appName: 'AppDial2', appData: '(Outgoing Line)' };
    const ch = this.allocate(tech, resource, callerId, dialplan, req.channelId);
    for (const [k, v] of Object.entries(req.variables ?? {})) ch.vars.set(k, v);
    const args = req.appArgs ? req.appArgs.split(',') : [];
    if (req.app) this.apps.get(req.app)?.channelIds.add(ch.id) ?? this.subscribeInactive(req.app, ch.id);
    ch.origin = 'originated';
    ch.dialing = { app: req.app, args, dialstring: resource, reportedDialstring: resource, callerId: req.callerId };
    this.emit('channel-created', { channel: this.snap(ch) }, this.appsForChannel(ch));
    const timeoutS = req.timeout !== undefined && Number.isFinite(req.timeout) && req.timeout > 0 ? req.timeout : DEFAULT_ORIGINATE_TIMEOUT_S;
    this.later(TICK, () => this.startDial(ch, timeoutS, true), ch);
    return this.snap(ch);
  }

  private subscribeInactive(app: string, channelId: string): void {
    // Asterisk registers the app for the originated channel even with no WebSocket.
    this.newApp(app).channelIds.add(channelId);
  }

  /** POST /channels/create: the leg is in the app at once (state Down); /dial rings it. */
  createChannel(req: OriginateRequest): ChannelSnapshot {
    const { tech, resource } = this.parseEndpoint(req.endpoint);
    if (!req.app) throw new PbxError(400, 'Application must be specified');
    const args = req.appArgs ? req.appArgs.split(',') : [];
    const appData = [req.app, ...args].join(',');
    const dialplan = { context: tech === 'Local' ? 'default' : 'operators', exten: 's', priority: 1, appName: 'Stasis', appData };
    const ch = this.allocate(tech, resource, { name: '', number: '' }, dialplan, req.channelId);
    ch.connected = { name: '', number: '' };
    ch.origin = 'created';
    this.apps.get(req.app)?.channelIds.add(ch.id) ?? this.subscribeInactive(req.app, ch.id);
    ch.dialing = { args, dialstring: resource, reportedDialstring: '' };
    this.emit('channel-created', { channel: this.snap(ch) }, []);
    this.emit('channel-dialplan', { channel: this.snap(ch), dialplanApp: 'Stasis', dialplanAppData: appData }, this.appsForChannel(ch));
    this.varset(ch, 'STASISSTATUS', '');
    ch.stasisApp = req.app;
    this.emit('stasis-start', { app: req.app, args, channel: this.snap(ch) }, this.appsForChannel(ch));
    return this.snap(ch);
  }

  /** POST /channels/{id}/dial */
  dial(channelId: string, opts: { caller?: string; timeout?: number }): void {
    const ch = this.controllable(channelId);
    if (!ch.dialing) throw new PbxError(409, 'Channel is not in a state to be dialed');
    if (opts.caller !== undefined && !this.channels.has(opts.caller)) throw new PbxError(404, 'Caller channel not found');
    const timeoutS = opts.timeout !== undefined && opts.timeout > 0 ? opts.timeout : DEFAULT_ORIGINATE_TIMEOUT_S;
    this.later(TICK, () => this.startDial(ch, timeoutS, false), ch);
  }

  private dialEvent(ch: Channel, dialstatus: string, dialstring: string): void {
    this.emit('dial', { peer: this.snap(ch), dialstring, dialstatus, forward: '' }, this.appsForChannel(ch));
  }

  private startDial(ch: Channel, timeoutS: number, originated: boolean): void {
    if (ch.gone || !ch.dialing) return;
    const dialing = ch.dialing;
    this.dialEvent(ch, '', dialing.dialstring);
    const endpoint = this.endpoints.get(`${ch.tech}/${ch.resource}`);
    const behaviour: EndpointBehaviour = ch.tech === 'Local' ? { kind: 'answer', afterS: 0 } : endpoint?.behaviour ?? { kind: 'no-answer' };
    if (behaviour.kind === 'busy') {
      this.later((behaviour.afterS ?? 1) * 1000, () => {
        this.teardown(ch, { requestCause: CAUSE.USER_BUSY, requestTechCause: 486, finalDial: 'BUSY', destroyCause: CAUSE.USER_BUSY, destroyTechCause: 486 });
      }, ch);
      return;
    }
    if (ch.tech !== 'Local') {
      this.later(TICK, () => {
        this.setState(ch, 'Ringing');
        this.dialEvent(ch, 'RINGING', dialing.reportedDialstring);
      }, ch);
    }
    const noAnswer = (): void => {
      if (originated) this.teardown(ch, { silentRequest: true, destroyCause: CAUSE.NO_ANSWER, destroyTechCause: 480 });
      else this.teardown(ch, { requestCause: 32, soft: true, destroyCause: CAUSE.NO_ANSWER, destroyTechCause: 480 });
    };
    const ringTimer = this.later(timeoutS * 1000, noAnswer, ch);
    if (behaviour.kind === 'answer') {
      const afterMs = Math.max(TICK * 2, (behaviour.afterS ?? 0) * 1000);
      if (afterMs < timeoutS * 1000) {
        this.later(afterMs, () => {
          ringTimer.cancel();
          this.answerOutgoing(ch, originated);
        }, ch);
      }
    }
  }

  private answerOutgoing(ch: Channel, originated: boolean): void {
    const dialing = ch.dialing;
    if (!dialing || ch.gone) return;
    ch.dialing = undefined;
    if (ch.tech === 'Local') {
      this.emit('channel-callerid', { channel: this.snap(ch), callerPresentation: 0, callerPresentationTxt: 'Presentation Allowed, Not Screened' }, this.appsForChannel(ch));
    }
    this.setState(ch, 'Up');
    this.dialEvent(ch, 'ANSWER', dialing.reportedDialstring);
    if (originated && dialing.app) {
      if (!this.enterStasis(ch, dialing.app, dialing.args)) {
        this.teardown(ch, { destroyCause: CAUSE.NORMAL_CLEARING });
      }
    }
  }

  // ---------------------------------------------------------------- channel operations

  answer(channelId: string): void {
    const ch = this.controllable(channelId);
    if (ch.state === 'Up') return;
    this.setState(ch, 'Up');
    if (ch.script && ch.script.startWhen !== 'enter') this.runSteps(ch);
  }

  ring(channelId: string, on: boolean): void {
    this.controllable(channelId);
    void on; // ringing indication only; the channel state does not change
  }

  /** Operations that Asterisk accepts with 204 and no event (moh, hold, mute, silence, dtmf). */
  simpleControl(channelId: string): void {
    this.controllable(channelId);
  }

  hangup(channelId: string, opts: { reason?: string; reasonCode?: string } = {}): void {
    const ch = this.channelOrThrow(channelId);
    let cause: number = CAUSE.NORMAL_CLEARING;
    if (opts.reasonCode !== undefined && opts.reasonCode !== '') {
      const n = Number(opts.reasonCode);
      if (!Number.isInteger(n)) throw new PbxError(400, 'Invalid reason for hangup provided');
      cause = n;
    } else if (opts.reason !== undefined && opts.reason !== '') {
      const n = HANGUP_REASONS[opts.reason];
      if (n === undefined) throw new PbxError(400, 'Invalid reason for hangup provided');
      cause = n;
    }
    const ringingLeg = !!ch.dialing && ch.state !== 'Up';
    this.teardown(ch, {
      requestCause: 32,
      soft: true,
      finalDial: ringingLeg && ch.dialing?.app !== undefined ? 'NOANSWER' : undefined,
      destroyCause: cause,
    });
  }

  private teardown(
    ch: Channel,
    o: { requestCause?: number; requestTechCause?: number; soft?: boolean; silentRequest?: boolean; finalDial?: string; destroyCause: number; destroyTechCause?: number },
  ): void {
    if (ch.gone) return;
    ch.gone = true;
    for (const t of ch.timers) t.cancel();
    ch.timers = [];
    if (!o.silentRequest) {
      const payload: Payload<'channel-hangup-request'> = { channel: this.snap(ch) };
      if (o.requestCause !== undefined) payload.cause = o.requestCause;
      if (o.requestTechCause !== undefined) payload.techCause = o.requestTechCause;
      if (o.soft) payload.soft = true;
      this.emit('channel-hangup-request', payload, this.appsForChannel(ch));
    }
    for (const p of [...this.playbacks.values()]) {
      if (p.targetKind === 'channel' && p.targetId === ch.id) this.finishPlayback(p, p.state === 'queued' ? undefined : 'failed');
    }
    if (ch.bridgeId) this.leaveBridge(ch, true);
    if (o.finalDial && ch.dialing) this.dialEvent(ch, o.finalDial, ch.dialing.reportedDialstring);
    const app = ch.stasisApp;
    const explicit = [...this.apps.values()].some((a) => a.channelIds.has(ch.id));
    if (app) {
      this.emit('stasis-end', { app, channel: this.snap(ch) }, this.appsForChannel(ch));
      ch.stasisApp = undefined;
      if (explicit) this.varset(ch, 'STASISSTATUS', 'SUCCESS');
    }
    const destroyed = this.snap(ch);
    // After Stasis the leg's dialplan position is what Asterisk reports in ChannelDestroyed.
    if (app && ch.origin === 'originated') destroyed.dialplan = { ...destroyed.dialplan, appName: 'AppDial2', appData: '(Outgoing Line)' };
    if (app && ch.origin === 'created') destroyed.dialplan = { ...destroyed.dialplan, appName: '', appData: '' };
    const techCause = o.destroyTechCause ?? (ch.tech === 'PJSIP' ? sipCodeFor(o.destroyCause) : 0);
    this.emit('channel-destroyed', { channel: destroyed, cause: o.destroyCause, causeTxt: causeText(o.destroyCause), techCause }, this.appsForChannel(ch));
    this.channels.delete(ch.id);
    for (const a of this.apps.values()) a.channelIds.delete(ch.id);
    if (app) this.reapApp(app);
    for (const a of [...this.apps.keys()]) this.reapApp(a);
  }

  continueInDialplan(channelId: string, opts: { context?: string; extension?: string; priority?: number; label?: string }): void {
    const ch = this.controllable(channelId);
    const app = ch.stasisApp as string;
    this.emit('stasis-end', { app, channel: this.snap(ch) }, this.appsForChannel(ch));
    ch.stasisApp = undefined;
    ch.dialplan = {
      context: opts.context || ch.dialplan.context,
      exten: opts.extension || ch.dialplan.exten,
      priority: opts.priority ?? ch.dialplan.priority + 1,
      appName: '',
      appData: '',
    };
    this.reapApp(app);
  }

  redirect(channelId: string, endpoint: string | undefined): void {
    const ch = this.controllable(channelId);
    if (!endpoint) throw new PbxError(400, "Required parameter 'endpoint' not provided.");
    const tech = endpoint.split('/')[0];
    if (tech !== ch.tech) throw new PbxError(422, `Endpoint technology '${tech}' does not match channel technology '${ch.tech}'`);
    this.later(TICK, () => this.teardown(ch, { requestCause: CAUSE.REDIRECTED, requestTechCause: 302, destroyCause: CAUSE.REDIRECTED, destroyTechCause: 302 }), ch);
  }

  sendDtmfToChannel(channelId: string, dtmf: string | undefined): void {
    this.controllable(channelId);
    if (!dtmf) throw new PbxError(400, 'DTMF is required');
  }

  snoop(channelId: string, opts: { app?: string; appArgs?: string; snoopId?: string; spy?: string; whisper?: string }): ChannelSnapshot {
    const target = this.channelOrThrow(channelId, 'Provided channel was not found');
    if (!opts.app) throw new PbxError(400, 'Application name is required');
    const args = opts.appArgs ? opts.appArgs.split(',') : [];
    const ch = this.newChannel({
      tech: 'Snoop',
      resource: target.id,
      name: `Snoop/${target.id}-${(this.snoopSeq++).toString(16).padStart(8, '0')}`,
      state: 'Up',
      caller: { name: '', number: '' },
      connected: { name: '', number: '' },
      dialplan: { context: 'default', exten: 's', priority: 1, appName: 'Stasis', appData: [opts.app, ...args].join(',') },
      id: opts.snoopId,
    });
    ch.stasisApp = opts.app;
    ch.origin = 'snoop';
    this.emit('channel-created', { channel: this.snap(ch) }, []);
    this.emit('stasis-start', { app: opts.app, args, channel: this.snap(ch) }, this.appsForChannel(ch));
    return this.snap(ch);
  }

  // ---------------------------------------------------------------- variables

  getVariable(channelId: string, variable: string | undefined): string {
    if (!variable) throw new PbxError(400, 'Variable name is required');
    const ch = this.channelOrThrow(channelId, 'Provided channel was not found');
    const fn = /^([A-Z_]+)\((.*)\)$/.exec(variable);
    if (!fn) {
      const v = ch.vars.get(variable);
      if (v === undefined) throw new PbxError(404, 'Provided variable was not found');
      return v;
    }
    const [, name, arg] = fn;
    const unreadable = new PbxError(500, 'Unable to read provided function');
    switch (name) {
      case 'CALLERID':
      case 'CONNECTEDLINE': {
        const party = name === 'CALLERID' ? ch.caller : ch.connected;
        if (arg === 'num' || arg === 'number') return party.number;
        if (arg === 'name') return party.name;
        if (arg === 'all') return `"${party.name}" <${party.number}>`;
        throw unreadable;
      }
      case 'CHANNEL': {
        const [a, b] = arg.split(',');
        if (a === 'pjsip') {
          if (ch.tech !== 'PJSIP' || !(b in ch.pjsip)) throw unreadable;
          return ch.pjsip[b];
        }
        if (a === 'audioreadformat' || a === 'audiowriteformat') return 'ulaw';
        if (a === 'name') return ch.name;
        if (a === 'uniqueid') return ch.id;
        if (a === 'linkedid') return ch.linkedId;
        if (a === 'language') return ch.language;
        if (a === 'state') return ch.state;
        throw unreadable;
      }
      case 'PJSIP_HEADER': {
        const [action, header] = arg.split(',');
        if (ch.tech !== 'PJSIP' || action !== 'read' || !header) throw unreadable;
        const found = ch.headers.find(([k]) => k.toLowerCase() === header.toLowerCase());
        if (!found) throw unreadable;
        return found[1];
      }
      case 'PJSIP_HEADERS': {
        if (ch.tech !== 'PJSIP') throw unreadable;
        const names = ch.headers.map(([k]) => k).filter((k) => k.toLowerCase().startsWith(arg.toLowerCase()));
        return [...new Set(names)].join(',');
      }
      case 'GEOLOC_PROFILE':
        return '';
      case 'TALK_DETECT':
        return ch.talkDetect ? '1' : '0';
      default: {
        const v = ch.vars.get(variable);
        if (v === undefined) throw unreadable;
        return v;
      }
    }
  }

  setVariable(channelId: string, variable: string | undefined, value: string): void {
    if (!variable) throw new PbxError(400, 'Variable name is required');
    const ch = this.controllable(channelId);
    if (variable === 'TALK_DETECT(set)') {
      ch.talkDetect = true;
      return;
    }
    if (variable === 'TALK_DETECT(remove)') {
      ch.talkDetect = false;
      return;
    }
    if (variable === 'CALLERID(num)') ch.caller = { ...ch.caller, number: value };
    if (variable === 'CALLERID(name)') ch.caller = { ...ch.caller, name: value };
    this.varset(ch, variable, value);
  }

  // ---------------------------------------------------------------- bridges

  createBridge(app: string | undefined, opts: { type?: string; bridgeId?: string; name?: string }): BridgeSnapshot {
    const types = (opts.type ?? 'mixing').split(',').map((t) => t.trim());
    const holding = types.includes('holding');
    const mixing = types.includes('mixing') || types.every((t) => ['dtmf_events', 'proxy_media', 'video_sfu', 'video_single', 'sdp_label'].includes(t));
    if (!holding && !mixing) throw new PbxError(500, `Unable to create bridge. Possible duplicate bridge id '${opts.bridgeId ?? '(null)'}'`);
    if (opts.bridgeId !== undefined && this.bridges.has(opts.bridgeId)) {
      throw new PbxError(500, `Unable to create bridge. Possible duplicate bridge id '${opts.bridgeId}'`);
    }
    const type: BridgeType = holding ? 'holding' : 'mixing';
    const b: Bridge = {
      id: opts.bridgeId ?? randomUUID(),
      type,
      technology: holding ? 'holding_bridge' : 'simple_bridge',
      name: opts.name ?? '',
      channels: [],
      creationTime: this.clock.now(),
    };
    this.bridges.set(b.id, b);
    if (app) (this.apps.get(app) ?? this.newApp(app)).bridgeIds.add(b.id);
    this.emit('bridge-created', { bridge: this.bridgeSnap(b) }, []);
    return this.bridgeSnap(b);
  }

  listBridges(): BridgeSnapshot[] {
    return [...this.bridges.values()].map((b) => this.bridgeSnap(b));
  }

  getBridge(id: string): BridgeSnapshot {
    return this.bridgeSnap(this.bridgeOrThrow(id));
  }

  private bridgeOrThrow(id: string): Bridge {
    const b = this.bridges.get(id);
    if (!b) throw new PbxError(404, 'Bridge not found');
    return b;
  }

  addToBridge(bridgeId: string, channelIds: string[]): void {
    const b = this.bridgeOrThrow(bridgeId);
    if (channelIds.length === 0) throw new PbxError(400, 'Missing parameter channel');
    const chans = channelIds.map((id) => {
      const ch = this.channels.get(id);
      if (!ch) throw new PbxError(400, 'Channel not found');
      return ch;
    });
    for (const ch of chans) if (!ch.stasisApp) throw new PbxError(422, 'Channel not in Stasis application');
    for (const ch of chans) {
      if (ch.bridgeId === b.id) continue;
      if (ch.bridgeId) this.leaveBridge(ch, false);
      ch.bridgeId = b.id;
      b.channels.push(ch.id);
      // The app of a channel that joins follows the bridge from then on.
      if (ch.stasisApp) this.apps.get(ch.stasisApp)?.bridgeIds.add(b.id);
      this.emit('channel-entered-bridge', { bridge: this.bridgeSnap(b), channel: this.snap(ch) }, [...this.appsForChannel(ch), ...this.appsForBridge(b)]);
    }
    if (b.type === 'mixing' && b.channels.length >= 2) {
      this.announcePeers(b, true);
      this.startTalkTimers(b);
    }
  }

  /** Scripted callers in a mixing bridge with someone talk for their `talkTime`, then hang up. */
  private startTalkTimers(b: Bridge): void {
    for (const id of b.channels) {
      const ch = this.channels.get(id);
      if (!ch || ch.talkScheduled || ch.script?.talkTime === undefined) continue;
      ch.talkScheduled = true;
      this.later(ch.script.talkTime * 1000, () => this.callerHangup(ch.id), ch);
    }
  }

  private announcePeers(b: Bridge, connectedLine: boolean): void {
    const members = b.channels.map((id) => this.channels.get(id)).filter((c): c is Channel => !!c);
    for (const ch of members) {
      const peers = members.filter((c) => c !== ch).map((c) => c.name).join(',');
      this.varset(ch, 'BRIDGEPEER', peers);
    }
    if (!connectedLine) return;
    for (const ch of members) {
      const other = members.find((c) => c !== ch);
      if (other) ch.connected = { ...other.caller };
      this.emit('channel-connected-line', { channel: this.snap(ch) }, this.appsForChannel(ch));
    }
  }

  removeFromBridge(bridgeId: string, channelIds: string[]): void {
    const b = this.bridgeOrThrow(bridgeId);
    if (channelIds.length === 0) throw new PbxError(400, 'Missing parameter channel');
    const chans = channelIds.map((id) => {
      const ch = this.channels.get(id);
      if (!ch) throw new PbxError(400, 'Channel not found');
      return ch;
    });
    for (const ch of chans) if (!ch.stasisApp) throw new PbxError(422, 'Channel not in Stasis application');
    for (const ch of chans) if (ch.bridgeId !== b.id) throw new PbxError(422, 'Channel not in this bridge');
    for (const ch of chans) this.leaveBridge(ch, false);
  }

  private leaveBridge(ch: Channel, hangingUp: boolean): void {
    const b = ch.bridgeId ? this.bridges.get(ch.bridgeId) : undefined;
    ch.bridgeId = undefined;
    if (!b) return;
    if (b.type === 'mixing' && b.channels.length >= 2) this.varset(ch, 'BRIDGEPEER', '');
    b.channels = b.channels.filter((id) => id !== ch.id);
    this.emit('channel-left-bridge', { bridge: this.bridgeSnap(b), channel: this.snap(ch) }, [...this.appsForChannel(ch), ...this.appsForBridge(b)]);
    if (b.type === 'mixing' && b.channels.length >= 1 && hangingUp) {
      for (const id of b.channels) {
        const other = this.channels.get(id);
        if (!other) continue;
        this.varset(other, 'BRIDGEPEER', b.channels.filter((x) => x !== id).map((x) => this.channels.get(x)?.name ?? '').join(','));
        other.connected = { name: '', number: '' };
        this.emit('channel-connected-line', { channel: this.snap(other) }, this.appsForChannel(other));
      }
    }
    if (b.channels.length === 0) this.stopRecordingsOn(`bridge:${b.id}`);
  }

  destroyBridge(bridgeId: string): void {
    const b = this.bridgeOrThrow(bridgeId);
    for (const id of [...b.channels]) {
      const ch = this.channels.get(id);
      if (ch) this.leaveBridge(ch, false);
    }
    for (const p of [...this.playbacks.values()]) if (p.targetKind === 'bridge' && p.targetId === b.id) this.finishPlayback(p, 'done');
    this.stopRecordingsOn(`bridge:${b.id}`);
    this.emit('bridge-destroyed', { bridge: this.bridgeSnap(b) }, this.appsForBridge(b));
    this.bridges.delete(b.id);
    for (const a of this.apps.values()) a.bridgeIds.delete(b.id);
    for (const a of [...this.apps.keys()]) this.reapApp(a);
  }

  bridgeMoh(bridgeId: string, mohClass: string | undefined, on: boolean): void {
    const b = this.bridgeOrThrow(bridgeId);
    b.moh = on ? mohClass ?? 'default' : undefined;
  }

  channelMoh(channelId: string): void {
    this.controllable(channelId);
  }

  /**
   * What the members of a bridge hear now (tests: a waiting caller is never
   * left in silence): its music on hold class when on, and the ids of the
   * playbacks queued or playing on it.
   */
  bridgeAudio(bridgeId: string): { moh?: string; playbacks: string[] } {
    const b = this.bridgeOrThrow(bridgeId);
    const playbacks = [...this.playbacks.values()].filter((p) => p.targetKind === 'bridge' && p.targetId === b.id).map((p) => p.id);
    return { ...(b.moh ? { moh: b.moh } : {}), playbacks };
  }

  // ---------------------------------------------------------------- playbacks

  play(target: { kind: 'channel' | 'bridge'; id: string }, opts: { media: string[]; lang?: string; playbackId?: string }): PlaybackSnapshot {
    if (target.kind === 'channel') this.controllable(target.id);
    else this.bridgeOrThrow(target.id);
    if (opts.media.length === 0) throw new PbxError(500, 'Failed to queue media for playback');
    if (opts.playbackId !== undefined && this.playbacks.has(opts.playbackId)) throw new PbxError(409, 'Playback with given ID already exists');
    const p: Playback = {
      id: opts.playbackId ?? randomUUID(),
      media: opts.media,
      index: 0,
      targetKind: target.kind,
      targetId: target.id,
      language: opts.lang || 'en',
      state: 'queued',
      remainingMs: 0,
      startedAt: 0,
    };
    this.playbacks.set(p.id, p);
    const snap = this.playbackSnap(p);
    if (!this.targetBusy(p)) this.clock.setTimer(TICK, () => this.startPlayback(p));
    return snap;
  }

  private targetBusy(p: Playback): boolean {
    return [...this.playbacks.values()].some((o) => o !== p && o.targetKind === p.targetKind && o.targetId === p.targetId && o.state !== 'queued');
  }

  private startPlayback(p: Playback): void {
    if (this.playbacks.get(p.id) !== p || p.state !== 'queued') return;
    p.state = 'playing';
    this.emit('playback-started', { playback: this.playbackSnap(p) }, this.appsForTarget(p.targetKind, p.targetId));
    this.playItem(p);
  }

  private playItem(p: Playback): void {
    const seconds = this.sounds.durationS(p.media[p.index]);
    if (seconds === undefined) {
      this.finishPlayback(p, 'failed');
      return;
    }
    p.remainingMs = seconds * 1000;
    this.armPlayback(p);
  }

  private armPlayback(p: Playback): void {
    p.startedAt = this.clock.now();
    p.timer = this.clock.setTimer(p.remainingMs, () => this.itemDone(p));
  }

  private itemDone(p: Playback): void {
    if (this.playbacks.get(p.id) !== p) return;
    if (p.index + 1 < p.media.length) {
      p.state = 'continuing';
      this.emit('playback-continuing', { playback: this.playbackSnap(p) }, this.appsForTarget(p.targetKind, p.targetId));
      p.index += 1;
      p.state = 'playing';
      this.emit('playback-started', { playback: this.playbackSnap(p) }, this.appsForTarget(p.targetKind, p.targetId));
      this.playItem(p);
      return;
    }
    this.finishPlayback(p, 'done');
  }

  private finishPlayback(p: Playback, state: 'done' | 'failed' | undefined): void {
    p.timer?.cancel();
    this.playbacks.delete(p.id);
    if (state) {
      p.state = state;
      this.emit('playback-finished', { playback: this.playbackSnap(p) }, this.appsForTarget(p.targetKind, p.targetId));
    }
    const next = [...this.playbacks.values()].find((o) => o.targetKind === p.targetKind && o.targetId === p.targetId && o.state === 'queued');
    if (next && !(p.targetKind === 'channel' && !this.channels.has(p.targetId))) this.clock.setTimer(TICK, () => this.startPlayback(next));
  }

  getPlayback(id: string): PlaybackSnapshot {
    const p = this.playbacks.get(id);
    if (!p) throw new PbxError(404, 'Playback not found');
    return this.playbackSnap(p);
  }

  /** DELETE /playbacks/{id}: stops it; Asterisk reports it `done`. */
  stopPlayback(id: string): void {
    const p = this.playbacks.get(id);
    if (!p) throw new PbxError(404, 'Playback not found');
    this.finishPlayback(p, p.state === 'queued' ? undefined : 'done');
  }

  controlPlayback(id: string, operation: string | undefined): void {
    const p = this.playbacks.get(id);
    if (!p) throw new PbxError(404, 'Playback not found');
    if (!operation) throw new PbxError(400, 'Missing parameter operation');
    switch (operation) {
      case 'pause':
        if (p.state === 'playing') {
          p.timer?.cancel();
          p.remainingMs = Math.max(0, p.remainingMs - (this.clock.now() - p.startedAt));
          p.state = 'paused';
        }
        return;
      case 'unpause':
        if (p.state === 'paused') {
          p.state = 'playing';
          this.armPlayback(p);
        }
        return;
      case 'restart':
        if (p.state === 'playing' || p.state === 'paused') {
          p.timer?.cancel();
          p.state = 'playing';
          this.playItem(p);
        }
        return;
      case 'reverse':
      case 'forward':
        return;
      default:
        throw new PbxError(400, `Invalid operation ${operation}`);
    }
  }

  // ---------------------------------------------------------------- recordings

  record(target: { kind: 'channel' | 'bridge'; id: string }, opts: { name?: string; format?: string; ifExists?: string }): RecordingSnapshot {
    if (target.kind === 'channel') this.controllable(target.id);
    else this.bridgeOrThrow(target.id);
    if (!opts.name || !opts.format) throw new PbxError(500, 'Error parsing request');
    if (!RECORD_FORMATS.has(opts.format)) throw new PbxError(422, 'specified format is unknown on this system');
    if (this.recordings.has(opts.name)) throw new PbxError(409, 'Recording with the same name is already in progress');
    if (this.storedRecordings.has(opts.name) && opts.ifExists === 'fail') throw new PbxError(422, 'Recording already exists');
    const r: LiveRecording = { name: opts.name, format: opts.format, state: 'queued', targetUri: `${target.kind}:${target.id}`, startedAt: this.clock.now() };
    this.recordings.set(r.name, r);
    const snap = this.recordingSnap(r);
    this.clock.setTimer(TICK, () => {
      if (this.recordings.get(r.name) !== r) return;
      r.state = 'recording';
      r.startedAt = this.clock.now();
      this.emit('recording-started', { recording: this.recordingSnap(r) }, this.appsForTarget(target.kind, target.id));
    });
    return snap;
  }

  getLiveRecording(name: string): RecordingSnapshot {
    const r = this.recordings.get(name);
    if (!r) throw new PbxError(404, 'Recording not found');
    return this.recordingSnap(r);
  }

  stopRecording(name: string): void {
    const r = this.recordings.get(name);
    if (!r) throw new PbxError(404, 'Recording not found');
    this.finishRecording(r);
  }

  private stopRecordingsOn(targetUri: string): void {
    for (const r of [...this.recordings.values()]) if (r.targetUri === targetUri) this.finishRecording(r);
  }

  private finishRecording(r: LiveRecording): void {
    this.recordings.delete(r.name);
    this.storedRecordings.set(r.name, r.format);
    const [kind, id] = r.targetUri.split(':') as ['channel' | 'bridge', string];
    r.state = 'done';
    const duration = Math.round((this.clock.now() - r.startedAt) / 1000);
    this.emit('recording-finished', { recording: this.recordingSnap(r, duration) }, this.appsForTarget(kind, id));
  }

  getStoredRecording(name: string): { name: string; format: string } {
    const format = this.storedRecordings.get(name);
    if (format === undefined) throw new PbxError(404, 'Recording not found');
    return { name, format };
  }

  listStoredRecordings(): Array<{ name: string; format: string }> {
    return [...this.storedRecordings.entries()].map(([name, format]) => ({ name, format }));
  }

  deleteStoredRecording(name: string): void {
    if (!this.storedRecordings.delete(name)) throw new PbxError(404, 'Recording not found');
  }

  // ---------------------------------------------------------------- faults

  /** Asterisk restarted and lost everything: channels, bridges, playbacks, apps. */
  loseEverything(): void {
    for (const ch of [...this.channels.values()]) {
      ch.gone = true;
      for (const t of ch.timers) t.cancel();
      this.emit('channel-destroyed', { channel: this.snap(ch), cause: CAUSE.NORMAL_CLEARING, causeTxt: causeText(CAUSE.NORMAL_CLEARING), techCause: 0 }, []);
    }
    for (const p of this.playbacks.values()) p.timer?.cancel();
    this.channels.clear();
    this.bridges.clear();
    this.playbacks.clear();
    this.recordings.clear();
    for (const app of this.apps.values()) app.active = false;
    this.apps.clear();
  }
}
