/**
 * What the AMI server knows about the PBX to answer list actions
 * (PJSIPShowEndpoints/Contacts, QueueStatus/Summary, CoreStatus): endpoints with
 * their contacts, the fail-safe queue and call counters. Kept up to date by
 * the server's helpers and by attachAmiToPbx.
 */
export interface AmiContact {
  uri: string;
  userAgent: string;
  callId: string;
  viaAddr: string;
  viaPort: number;
  /** Unix seconds. */
  expirationTime: number;
  status: 'NonQualified' | 'Reachable' | 'Unreachable';
}

export interface AmiEndpoint {
  name: string;
  /** Empty for endpoints that do not register (the `caller` trunk). */
  aor: string;
  auths: string;
  contact?: AmiContact;
  activeChannels: number;
  inUse: boolean;
}

export interface AmiQueueMember {
  interface: string;
  callsTaken: number;
  lastCall: number;
  loginTime: number;
  paused: boolean;
  pausedReason: string;
  inCall: boolean;
  ringing: boolean;
}

export interface AmiQueueCaller {
  channel: string;
  uniqueid: string;
  callerIdNum: string;
  callerIdName: string;
  joinedAt: number;
}

export interface AmiQueue {
  name: string;
  strategy: string;
  members: AmiQueueMember[];
  callers: AmiQueueCaller[];
  completed: number;
  abandoned: number;
  talkTimeSec: number;
}

export class AmiState {
  readonly endpoints = new Map<string, AmiEndpoint>();
  readonly queues = new Map<string, AmiQueue>();
  currentCalls = 0;
  processedCalls = 0;
  readonly startedAt: number;
  lastReloadAt: number;

  constructor(nowMs: number) {
    this.startedAt = nowMs;
    this.lastReloadAt = nowMs;
  }

  /** The PBX of the recordings: trunk `caller`, operators op1/op2 (no contact yet), queue `operators`. */
  static recordedPbx(nowMs: number): AmiState {
    const s = new AmiState(nowMs);
    s.addEndpoint('caller', { aor: '', auths: '' });
    s.addEndpoint('op1');
    s.addEndpoint('op2');
    s.addQueue('operators', ['PJSIP/op2', 'PJSIP/op1'], nowMs);
    return s;
  }

  addEndpoint(name: string, o: { aor?: string; auths?: string } = {}): AmiEndpoint {
    const ep: AmiEndpoint = {
      name, aor: o.aor ?? name, auths: o.auths ?? `${name}-auth`, activeChannels: 0, inUse: false,
    };
    this.endpoints.set(name, ep);
    return ep;
  }

  addQueue(name: string, interfaces: string[], nowMs: number): AmiQueue {
    const q: AmiQueue = {
      name, strategy: 'ringall', callers: [], completed: 0, abandoned: 0, talkTimeSec: 0,
      members: interfaces.map((i) => ({
        interface: i, callsTaken: 0, lastCall: 0, loginTime: Math.floor(nowMs / 1000),
        paused: false, pausedReason: '', inCall: false, ringing: false,
      })),
    };
    this.queues.set(name, q);
    return q;
  }

  /** AST_DEVICE_* number a queue member shows: 1 not in use, 2 in use, 5 unavailable, 6 ringing. */
  memberStatus(m: AmiQueueMember): number {
    const ep = this.endpoints.get(m.interface.replace(/^PJSIP\//, ''));
    if (!ep || !ep.contact) return 5;
    if (m.ringing) return 6;
    if (m.inCall || ep.inUse) return 2;
    return 1;
  }

  /** Device state string of an endpoint (`PJSIP/op1`) as DeviceStateChange prints it. */
  deviceState(name: string): 'NOT_INUSE' | 'INUSE' | 'UNAVAILABLE' {
    const ep = this.endpoints.get(name);
    if (!ep || (!ep.contact && ep.aor !== '')) return 'UNAVAILABLE';
    return ep.inUse ? 'INUSE' : 'NOT_INUSE';
  }
}
