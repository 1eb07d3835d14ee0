import { systemClock, type Clock } from '../core/clock';
import { AriServer } from './ari/server';
import { Pbx } from './model/pbx';
import type { CallerScript, ChannelSnapshot, EndpointBehaviour } from './model/types';
import { ScaledClock } from './scaled-clock';
import { loadScenarioFile, parseScenario } from './scenario/load';
import { ScenarioRunner } from './scenario/runner';
import type { Scenario, ScenarioInput } from './scenario/schema';

export { Pbx } from './model/pbx';
export { PbxError } from './model/pbx-error';
export type { PbxEvent, PbxEventKind, PbxEventMap } from './model/events';
export type * from './model/types';
export { AriServer } from './ari/server';
export { ScenarioRunner } from './scenario/runner';
export { loadScenarioFile, parseScenario, parseScenarioYaml } from './scenario/load';
export type { Scenario, ScenarioInput } from './scenario/schema';
export { ScaledClock } from './scaled-clock';

/** What an AMI server started by the simulator gets (src/sim/ami attaches here). */
export interface AmiServerContext {
  pbx: Pbx;
  clock: Clock;
  host: string;
  port: number;
  username: string;
  password: string;
}

export interface AmiServerHandle {
  port: number;
  stop(): Promise<void>;
}

export interface SimulatorOptions {
  /** Default: the system clock. Tests may pass a ManualClock. */
  clock?: Clock;
  /** Run time this many times faster than the clock (wraps it in ScaledClock). */
  timeScale?: number;
  host?: string;
  /** ARI HTTP/WebSocket port; 0 picks a free one. Default 8088. */
  ariPort?: number;
  /** AMI port (0 = free); AMI starts only with `amiServerFactory`. Default 5038. */
  amiPort?: number;
  amiServerFactory?: (ctx: AmiServerContext) => Promise<AmiServerHandle>;
  username?: string;
  password?: string;
  /** The Stasis app the dialplan sends 112 calls to. Default `siaga112`. */
  stasisApp?: string;
  /** A scenario object or the path of a YAML file; it is started at once. */
  scenario?: ScenarioInput | string;
}

export interface FaultControls {
  /** Drop every ARI WebSocket now and refuse reconnects for `seconds` (PBX clock). */
  dropWebSocket(seconds: number): void;
  /**
   * Asterisk restarts: the ARI (and AMI) ports close for `downSeconds` (real
   * time); with `keepChannels: false` every channel, bridge and app is lost.
   */
  restart(opts: { keepChannels: boolean; downSeconds?: number }): Promise<void>;
  /** Delay every REST response by `ms` (PBX clock); 0 turns it off. */
  delayResponses(ms: number): void;
  /** Send each of the next `n` events twice. */
  duplicateEvents(n: number): void;
  /** Swap each of the next `n` events with the one after it (one with none after it goes out within `ari.faults.reorderMaxHoldMs`). */
  reorderEvents(n: number): void;
  /** Send `msg` verbatim on the app's WebSocket (e.g. an event type ari-client has no model for). */
  injectEvent(app: string, msg: Record<string, unknown>): boolean;
}

export interface SimulatorControl {
  runScenario(scenario: ScenarioInput | string): ScenarioRunner;
  placeCall(script: CallerScript): ChannelSnapshot;
  callerDtmf(channelId: string, digits: string): void;
  callerHangup(channelId: string): void;
  addEndpoint(resource: string, opts?: { registered?: boolean; behaviour?: EndpointBehaviour }): void;
  registerEndpoint(resource: string): void;
  unregisterEndpoint(resource: string): void;
  setEndpointBehaviour(resource: string, behaviour: EndpointBehaviour): void;
  faults: FaultControls;
}

export interface Simulator {
  ariUrl: string;
  amiPort?: number;
  username: string;
  password: string;
  pbx: Pbx;
  ari: AriServer;
  control: SimulatorControl;
  stop(): Promise<void>;
}

function toScenario(input: ScenarioInput | string): Scenario {
  return typeof input === 'string' ? loadScenarioFile(input) : parseScenario(input);
}

function realDelay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Start the PBX model, the ARI server and (through the hook) the AMI server. */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const baseClock = opts.clock ?? systemClock;
  const clock = opts.timeScale && opts.timeScale !== 1 ? new ScaledClock(baseClock, opts.timeScale) : baseClock;
  const host = opts.host ?? '127.0.0.1';
  const username = opts.username ?? 'siaga112';
  const password = opts.password ?? 'demo';
  const scenario = opts.scenario === undefined ? undefined : toScenario(opts.scenario);
  const pbx = new Pbx({ clock, stasisApp: opts.stasisApp ?? scenario?.stasisApp, sounds: scenario?.sounds, unknownSound: scenario?.unknownSound });
  const ari = new AriServer({ pbx, host, port: opts.ariPort ?? 8088, username, password });
  await ari.start();

  let ami: AmiServerHandle | undefined;
  const startAmi = async (port: number): Promise<void> => {
    if (opts.amiServerFactory) ami = await opts.amiServerFactory({ pbx, clock, host, port, username, password });
  };
  await startAmi(opts.amiPort ?? 5038);

  const runners: ScenarioRunner[] = [];
  const runScenario = (input: ScenarioInput | string): ScenarioRunner => {
    const s = toScenario(input);
    if (s.sounds || s.unknownSound !== undefined) pbx.configureSounds({ sounds: s.sounds, unknownSound: s.unknownSound });
    const runner = new ScenarioRunner(pbx, s);
    runners.push(runner);
    runner.start();
    return runner;
  };
  if (scenario) runScenario(scenario);

  const faults: FaultControls = {
    dropWebSocket: (seconds) => ari.dropWebSockets(seconds * 1000),
    restart: async ({ keepChannels, downSeconds = 1 }) => {
      const amiPort = ami?.port;
      await ari.close();
      await ami?.stop();
      ami = undefined;
      if (!keepChannels) pbx.loseEverything();
      await realDelay(downSeconds * 1000);
      await ari.start();
      if (amiPort !== undefined) await startAmi(amiPort);
    },
    delayResponses: (ms) => (ari.faults.responseDelayMs = ms),
    duplicateEvents: (n) => (ari.faults.duplicateNext = n),
    reorderEvents: (n) => (ari.faults.reorderNext = n),
    injectEvent: (app, msg) => ari.injectEvent(app, msg),
  };

  const control: SimulatorControl = {
    runScenario,
    placeCall: (script) => pbx.placeCall(script),
    callerDtmf: (id, digits) => pbx.callerDtmf(id, digits),
    callerHangup: (id) => pbx.callerHangup(id),
    addEndpoint: (resource, o = {}) => pbx.addEndpoint({ resource, registered: o.registered, behaviour: o.behaviour }),
    registerEndpoint: (resource) => pbx.registerEndpoint(resource),
    unregisterEndpoint: (resource) => pbx.unregisterEndpoint(resource),
    setEndpointBehaviour: (resource, behaviour) => pbx.setEndpointBehaviour(resource, behaviour),
    faults,
  };

  ari.controlHandler = (method, path, body) => controlApi(control, method, path, body);

  return {
    ariUrl: ari.url,
    get amiPort() {
      return ami?.port;
    },
    username,
    password,
    pbx,
    ari,
    control,
    async stop() {
      for (const r of runners) r.stop();
      await ari.stop();
      await ami?.stop();
    },
  };
}

/**
 * The small HTTP control API on the ARI port (same credentials), for the demo and
 * benchmarks in other processes: POST /sim/calls (a CallerScript), POST /sim/scenario
 * (a scenario object), POST /sim/calls/{id}/dtmf {digits}, POST /sim/calls/{id}/hangup,
 * POST /sim/endpoints/{resource}/register|unregister, POST /sim/endpoints/{resource}/behaviour
 * (an EndpointBehaviour), POST /sim/faults/{dropWebSocket|restart|delayResponses|duplicateEvents|reorderEvents} {value...}.
 */
function controlApi(control: SimulatorControl, method: string, path: string, body: unknown): { status: number; body?: unknown } {
  const b = (body ?? {}) as Record<string, unknown>;
  const parts = path.split('/').filter(Boolean);
  if (method !== 'POST') return { status: 405, body: { message: 'Invalid method' } };
  if (parts[0] === 'calls' && parts.length === 1) return { status: 201, body: control.placeCall(b as unknown as CallerScript) };
  if (parts[0] === 'calls' && parts[2] === 'dtmf') return (control.callerDtmf(parts[1], String(b.digits ?? '')), { status: 204 });
  if (parts[0] === 'calls' && parts[2] === 'hangup') return (control.callerHangup(parts[1]), { status: 204 });
  if (parts[0] === 'scenario') return (control.runScenario(b as ScenarioInput), { status: 204 });
  if (parts[0] === 'endpoints' && parts[2] === 'register') return (control.registerEndpoint(parts[1]), { status: 204 });
  if (parts[0] === 'endpoints' && parts[2] === 'unregister') return (control.unregisterEndpoint(parts[1]), { status: 204 });
  if (parts[0] === 'endpoints' && parts[2] === 'behaviour') return (control.setEndpointBehaviour(parts[1], b as unknown as EndpointBehaviour), { status: 204 });
  if (parts[0] === 'faults') {
    const n = Number(b.value ?? 0);
    switch (parts[1]) {
      case 'dropWebSocket':
        return (control.faults.dropWebSocket(n), { status: 204 });
      case 'restart':
        // The restart closes this very connection: answer first, restart just after.
        setTimeout(() => void control.faults.restart({ keepChannels: b.keepChannels !== false, downSeconds: n || 1 }), 50);
        return { status: 202 };
      case 'delayResponses':
        return (control.faults.delayResponses(n), { status: 204 });
      case 'duplicateEvents':
        return (control.faults.duplicateEvents(n), { status: 204 });
      case 'reorderEvents':
        return (control.faults.reorderEvents(n), { status: 204 });
    }
  }
  return { status: 404, body: { message: 'Resource not found' } };
}
