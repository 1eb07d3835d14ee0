import type {
  BridgeSnapshot,
  ChannelSnapshot,
  ContactInfo,
  EndpointSnapshot,
  PlaybackSnapshot,
  RecordingSnapshot,
} from './types';

/** Fields every model event carries. `apps`: the Stasis apps subscribed to what it is about. */
export interface EventBase {
  at: number;
  apps: string[];
}

export interface PbxEventMap {
  'channel-created': EventBase & { channel: ChannelSnapshot };
  'channel-state': EventBase & { channel: ChannelSnapshot };
  'channel-dialplan': EventBase & { channel: ChannelSnapshot; dialplanApp: string; dialplanAppData: string };
  'channel-varset': EventBase & { channel: ChannelSnapshot; variable: string; value: string };
  'channel-callerid': EventBase & { channel: ChannelSnapshot; callerPresentation: number; callerPresentationTxt: string };
  'channel-connected-line': EventBase & { channel: ChannelSnapshot };
  /** cause is absent when the far end sent BYE (as Asterisk reports it). */
  'channel-hangup-request': EventBase & { channel: ChannelSnapshot; cause?: number; techCause?: number; soft?: boolean };
  'channel-destroyed': EventBase & { channel: ChannelSnapshot; cause: number; causeTxt: string; techCause: number };
  dial: EventBase & { peer: ChannelSnapshot; caller?: ChannelSnapshot; dialstring: string; dialstatus: string; forward: string };
  dtmf: EventBase & { channel: ChannelSnapshot; digit: string; durationMs: number };
  'talking-started': EventBase & { channel: ChannelSnapshot };
  'talking-finished': EventBase & { channel: ChannelSnapshot; durationMs: number };
  'stasis-start': EventBase & { app: string; args: string[]; channel: ChannelSnapshot };
  'stasis-end': EventBase & { app: string; channel: ChannelSnapshot };
  'bridge-created': EventBase & { bridge: BridgeSnapshot };
  'bridge-destroyed': EventBase & { bridge: BridgeSnapshot };
  'channel-entered-bridge': EventBase & { bridge: BridgeSnapshot; channel: ChannelSnapshot };
  'channel-left-bridge': EventBase & { bridge: BridgeSnapshot; channel: ChannelSnapshot };
  'playback-started': EventBase & { playback: PlaybackSnapshot };
  'playback-continuing': EventBase & { playback: PlaybackSnapshot };
  'playback-finished': EventBase & { playback: PlaybackSnapshot };
  'recording-started': EventBase & { recording: RecordingSnapshot };
  'recording-finished': EventBase & { recording: RecordingSnapshot };
  /**
   * Endpoint state or registration changed. `peerStatus`/`contact` are set when a
   * contact registered ('Reachable', contact NonQualified) or went away ('Unreachable', Removed).
   */
  'endpoint-state': EventBase & {
    endpoint: EndpointSnapshot;
    stateChanged: boolean;
    peerStatus?: 'Reachable' | 'Unreachable';
    contact?: ContactInfo;
  };
  'device-state': EventBase & { name: string; state: string };
  /** A second WebSocket took the app over (ARI-level, emitted by the ARI server through the model). */
  'application-replaced': EventBase & { app: string };
}

export type PbxEventKind = keyof PbxEventMap;
export type PbxEvent = { [K in PbxEventKind]: { kind: K } & PbxEventMap[K] }[PbxEventKind];
