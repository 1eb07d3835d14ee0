/**
 * The AMI server of the PBX simulator: Asterisk Manager Interface over TCP on
 * loopback, close enough to Asterisk 22 that the unmodified `asterisk-manager`
 * package cannot tell the difference. Fault controls: dropConnections(ms),
 * setResponseDelay(ms).
 */
import net from 'node:net';
import { systemClock, type Clock, type Timer } from '../../core/clock';
import { ActionRegistry } from './action-registry';
import { AmiState } from './ami-state';
import type { ChannelSnapshot } from './channel-snapshot';
import { DialplanStore } from './dialplan-store';
import * as ev from './events';
import { AmiFramer, getHeader, serializeMessage, type AmiField, type AmiMessage } from './message';
import { AmiSession } from './session';
import { createStandardActions, type OriginateRequest, type OriginateResult } from './standard-actions';

export const AMI_VERSION = '11.0.0';
export const ASTERISK_VERSION = '22.10.1';

export interface AmiServerOptions {
  /** 0 (default) = a free port. */
  port?: number;
  host?: '127.0.0.1' | string;
  users: ReadonlyArray<{ name: string; secret: string }>;
  clock?: Clock;
  /** Folder of extensions .conf files for `dialplan show`/reload; default: the recorded test dialplan. */
  dialplanDir?: string;
  /** Endpoints/queues known at start; default: the recorded PBX (caller, op1, op2, queue operators). */
  state?: AmiState;
  /** Asterisk waits 1 s before answering a failed Login; tests may shorten it. */
  authFailDelayMs?: number;
}

export type Originator = (req: OriginateRequest) => Promise<OriginateResult>;

export interface AmiServer {
  readonly port: number;
  readonly host: string;
  readonly state: AmiState;
  readonly dialplan: DialplanStore;
  readonly actions: ActionRegistry<AmiSession>;
  /** Send an event to every logged-in session whose mask/filters accept it. Accepts ordered pairs or a plain object. */
  emitEvent(fields: readonly AmiField[] | Record<string, string>): void;
  /** Fault: close every AMI connection now and refuse new ones for `refuseMs` (listener closed, so ECONNREFUSED). */
  dropConnections(refuseMs?: number): Promise<void>;
  /** Fault: answer every action `ms` late (0 = at once). */
  setResponseDelay(ms: number): void;
  /** Fault: stop answering actions at all (responses swallowed) until set back to false. */
  setMuted(muted: boolean): void;
  /** Replace how Originate places calls (attachAmiToPbx sets it). */
  setOriginator(fn: Originator): void;
  /** Operator softphone registered / unregistered: updates state and emits PeerStatus, DeviceStateChange, ContactStatus. */
  registerContact(endpoint: string, uri: string, o?: { userAgent?: string; viaPort?: number; expiresSec?: number }): void;
  unregisterContact(endpoint: string): void;
  /** Next channel name + uniqueid, numbered as Asterisk does. */
  nextChannel(base: string): { name: string; uniqueid: string };
  connectionCount(): number;
  stop(): Promise<void>;
}

export async function startAmiServer(opts: AmiServerOptions): Promise<AmiServer> {
  const clock = opts.clock ?? systemClock;
  const host = opts.host ?? '127.0.0.1';
  const state = opts.state ?? AmiState.recordedPbx(clock.now());
  const dialplan = new DialplanStore({ dir: opts.dialplanDir });
  const sessions = new Set<AmiSession>();
  let responseDelay = 0;
  let muted = false;
  let sessionSeq = 0;
  let channelSeq = 0;
  let uniqueSeq = 0;
  let refuseTimer: Timer | undefined;
  let stopped = false;

  const nextChannel = (base: string): { name: string; uniqueid: string } => {
    const name = `${base}-${(channelSeq++).toString(16).padStart(8, '0')}`;
    return { name, uniqueid: `${Math.floor(clock.now() / 1000)}.${uniqueSeq++}` };
  };

  const sendEvent = (s: AmiSession, fields: readonly AmiField[]): void => {
    const text = serializeMessage(fields);
    if (s.wantsEvent(fields, text)) s.writeRaw(text);
  };
  const broadcast = (fields: readonly AmiField[]): void => {
    for (const s of sessions) sendEvent(s, fields);
  };

  /** Default Originate without a PBX model: PJSIP endpoints with a contact answer at once; Local always works. */
  let originator: Originator = async (req) => {
    const [tech, rest = ''] = req.channel.split('/', 2) as [string, string?];
    if (tech.toUpperCase() === 'PJSIP') {
      const ep = state.endpoints.get(rest);
      if (!ep?.contact) return { ok: false, reason: 0 };
      const { name, uniqueid } = nextChannel(`PJSIP/${rest}`);
      const ch: ChannelSnapshot = {
        name, uniqueid, state: 'Down', context: req.context ?? 'operators', exten: req.exten ?? 's', priority: req.priority ?? 1,
      };
      broadcast(ev.newchannel(ch));
      broadcast(ev.newstate({ ...ch, state: 'Up' }));
      state.processedCalls++;
      return { ok: true, reason: 4, channel: name, uniqueid };
    }
    if (tech.toLowerCase() === 'local') {
      const { name, uniqueid } = nextChannel(`Local/${rest}`);
      const [exten = 's', context = 'default'] = rest.split('@');
      const one: ChannelSnapshot = { name: `${name};1`, uniqueid, state: 'Down', context, exten, priority: 1 };
      const two: ChannelSnapshot = {
        name: `${name};2`, uniqueid: `${uniqueid.split('.')[0]}.${uniqueSeq++}`, state: 'Ring', context, exten, priority: 1, linkedid: uniqueid,
      };
      broadcast(ev.newchannel(one));
      broadcast(ev.newchannel(two));
      broadcast(ev.newstate({ ...two, state: 'Up' }));
      broadcast(ev.newstate({ ...one, state: 'Up' }));
      state.processedCalls++;
      return { ok: true, reason: 4, channel: one.name, uniqueid };
    }
    return { ok: false, reason: 0 };
  };

  const env = {
    clock, state, dialplan, users: opts.users, amiVersion: AMI_VERSION, asteriskVersion: ASTERISK_VERSION,
    authFailDelayMs: opts.authFailDelayMs ?? 1000,
    localAddress: (s: AmiSession) => `IPV4/TCP/${s.socket.localAddress ?? host}/${s.socket.localPort ?? 0}`,
    remoteAddress: (s: AmiSession) => `IPV4/TCP/${(s.socket.remoteAddress ?? host).replace(/^::ffff:/, '')}/${s.socket.remotePort ?? 0}`,
    originate: (req: OriginateRequest) => originator(req),
    broadcast: (f: AmiField[]) => broadcast(f),
    sendEvent,
  };
  const actions = createStandardActions(env);

  const handleMessage = async (s: AmiSession, msg: AmiMessage): Promise<void> => {
    const actionId = getHeader(msg, 'ActionID');
    const action = getHeader(msg, 'Action');
    const write = (fields: AmiField[]): void => {
      if (!muted) s.writeResponse(fields);
    };
    const respond = (status: string, fields: AmiField[] = []): void => {
      const head: AmiField[] = [['Response', status]];
      if (actionId !== undefined) head.push(['ActionID', actionId]);
      write(head.concat(fields));
    };
    const error = (message: string): void => respond('Error', [['Message', message]]);
    if (!action) return error('Missing action in request');
    const name = action.toLowerCase();
    if (!s.authenticated && name !== 'login' && name !== 'logoff' && name !== 'challenge') return error('Permission denied');
    const handler = actions.get(action);
    if (!handler) return error(`Invalid/unknown command: ${action}. Use Action: ListCommands to show available commands.`);
    try {
      await handler({ msg, actionId, header: (h) => getHeader(msg, h), respond, error, send: write }, s);
    } catch (err) {
      error(err instanceof Error ? err.message : String(err));
    }
  };

  const onConnection = (socket: net.Socket): void => {
    const s = new AmiSession(socket, clock, () => responseDelay, sessionSeq++);
    sessions.add(s);
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    socket.write(`Asterisk Call Manager/${AMI_VERSION}\r\n`);
    const framer = new AmiFramer();
    // Actions of one connection run one after another, as in Asterisk's session thread.
    let queue: Promise<void> = Promise.resolve();
    socket.on('data', (chunk: string) => {
      let msgs: AmiMessage[];
      try {
        msgs = framer.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const m of msgs) queue = queue.then(() => handleMessage(s, m));
    });
    const gone = (): void => {
      s.closed = true;
      sessions.delete(s);
    };
    socket.on('close', gone);
    socket.on('error', gone);
  };

  const server = net.createServer(onConnection);
  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  const port = await listen(opts.port ?? 0);
  const closeListener = (): Promise<void> => new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));

  const toFields = (f: readonly AmiField[] | Record<string, string>): AmiField[] =>
    Array.isArray(f) ? [...(f as readonly AmiField[])] : Object.entries(f as Record<string, string>);

  const api: AmiServer = {
    port, host, state, dialplan, actions,
    emitEvent: (fields) => broadcast(toFields(fields)),
    async dropConnections(refuseMs = 0) {
      for (const s of sessions) {
        s.closed = true;
        s.socket.destroy();
      }
      sessions.clear();
      if (refuseMs <= 0 || stopped) return;
      refuseTimer?.cancel();
      await closeListener();
      refuseTimer = clock.setTimer(refuseMs, () => {
        refuseTimer = undefined;
        if (!stopped) void listen(port).catch(() => undefined);
      });
    },
    setResponseDelay(ms) {
      responseDelay = Math.max(0, ms);
    },
    setMuted(m) {
      muted = m;
    },
    setOriginator(fn) {
      originator = fn;
    },
    registerContact(endpoint, uri, o = {}) {
      const ep = state.endpoints.get(endpoint) ?? state.addEndpoint(endpoint);
      const now = clock.now();
      const url = /@([^:;>]+)(?::(\d+))?/.exec(uri);
      ep.contact = {
        uri, userAgent: o.userAgent ?? 'siaga112-sim-softphone', callId: `${uniqueSeq++}-${endpoint}@${url?.[1] ?? host}`,
        viaAddr: url?.[1] ?? host, viaPort: o.viaPort ?? Number(url?.[2] ?? 5060), expirationTime: Math.floor(now / 1000) + (o.expiresSec ?? 3600),
        status: 'NonQualified',
      };
      broadcast(ev.peerStatus(`PJSIP/${endpoint}`, 'Reachable'));
      for (const q of state.queues.values()) {
        const m = q.members.find((mm) => mm.interface === `PJSIP/${endpoint}`);
        if (m) broadcast(ev.queueMemberStatus({ queue: q.name, ...m, status: state.memberStatus(m) }));
      }
      broadcast(ev.deviceStateChange(`PJSIP/${endpoint}`, state.deviceState(endpoint)));
      broadcast(ev.contactStatus({ uri, status: 'NonQualified', aor: ep.aor, endpoint }));
    },
    unregisterContact(endpoint) {
      const ep = state.endpoints.get(endpoint);
      if (!ep?.contact) return;
      const uri = ep.contact.uri;
      ep.contact = undefined;
      broadcast(ev.contactStatus({ uri, status: 'Removed', aor: ep.aor, endpoint }));
      broadcast(ev.peerStatus(`PJSIP/${endpoint}`, 'Unreachable'));
      for (const q of state.queues.values()) {
        const m = q.members.find((mm) => mm.interface === `PJSIP/${endpoint}`);
        if (m) broadcast(ev.queueMemberStatus({ queue: q.name, ...m, status: state.memberStatus(m) }));
      }
      broadcast(ev.deviceStateChange(`PJSIP/${endpoint}`, 'UNAVAILABLE'));
    },
    nextChannel,
    connectionCount: () => sessions.size,
    async stop() {
      stopped = true;
      refuseTimer?.cancel();
      for (const s of sessions) s.socket.destroy();
      sessions.clear();
      await closeListener();
    },
  };
  return api;
}

