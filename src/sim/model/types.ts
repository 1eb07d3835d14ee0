/** Snapshots of PBX objects as the model exposes them (protocol-neutral). */

export type ChannelState = 'Down' | 'Rsrvd' | 'OffHook' | 'Dialing' | 'Ring' | 'Ringing' | 'Up' | 'Busy';

export interface PartyId {
  name: string;
  number: string;
}

export interface DialplanPosition {
  context: string;
  exten: string;
  priority: number;
  appName: string;
  appData: string;
}

export interface ChannelSnapshot {
  id: string;
  name: string;
  state: ChannelState;
  protocolId: string;
  caller: PartyId;
  connected: PartyId;
  accountcode: string;
  dialplan: DialplanPosition;
  creationTime: number;
  language: string;
  linkedId: string;
}

export type BridgeType = 'holding' | 'mixing';

export interface BridgeSnapshot {
  id: string;
  technology: string;
  bridgeType: BridgeType;
  name: string;
  channels: string[];
  creationTime: number;
}

export type PlaybackState = 'queued' | 'playing' | 'continuing' | 'paused' | 'done' | 'failed' | 'cancelled';

export interface PlaybackSnapshot {
  id: string;
  mediaUri: string;
  nextMediaUri?: string;
  targetUri: string;
  language: string;
  state: PlaybackState;
}

export interface RecordingSnapshot {
  name: string;
  format: string;
  state: 'queued' | 'recording' | 'paused' | 'done' | 'failed' | 'canceled';
  targetUri: string;
  duration?: number;
}

export type EndpointStateName = 'online' | 'offline' | 'unknown';

export interface EndpointSnapshot {
  technology: string;
  resource: string;
  state: EndpointStateName;
  channelIds: string[];
}

export interface ContactInfo {
  uri: string;
  status: 'NonQualified' | 'Reachable' | 'Unreachable' | 'Removed' | 'Created';
  aor: string;
  roundtripUsec: string;
}

/** What a scripted operator softphone does when it is called. */
export type EndpointBehaviour =
  | { kind: 'answer'; afterS?: number }
  | { kind: 'busy'; afterS?: number }
  | { kind: 'no-answer' };

export interface AppSnapshot {
  name: string;
  channelIds: string[];
  bridgeIds: string[];
  endpointIds: string[];
  deviceNames: string[];
}

/** One step of a scripted caller; times in seconds. */
export type CallerStep =
  | { wait: number }
  | { dtmf: string; gap?: number }
  | { talk: number }
  | { hangup: true };

export interface CallerScript {
  from: string;
  name?: string;
  exten?: string;
  context?: string;
  tech?: 'PJSIP' | 'Local';
  /** SIP headers of the INVITE (e.g. Geolocation), readable with PJSIP_HEADER(read,…). */
  headers?: Record<string, string>;
  /** Run after the call is answered (or at once if `startWhen` is 'enter'). */
  steps?: CallerStep[];
  startWhen?: 'answer' | 'enter';
  /** The caller gives up if not answered within this many seconds. */
  abandonAfter?: number;
  /**
   * The caller hangs up this many seconds after reaching the Stasis app
   * unless talking to someone (in a mixing bridge with another channel) by
   * then: a caller who gives up waiting in the queue.
   */
  patience?: number;
  /** Once in a mixing bridge with another channel, the caller hangs up after this many seconds. */
  talkTime?: number;
}
