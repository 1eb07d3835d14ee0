/**
 * The part of ARI's JSON that siaga112 reads, typed here once. These types
 * stay inside src/asterisk/: the rest of the service sees call ids only.
 */
export interface AriChannel {
  id: string;
  name: string;
  state: string;
  caller: { name: string; number: string };
  dialplan?: { context: string; exten: string; priority: number; app_name?: string; app_data?: string };
}

/** A bridge as GET /bridges lists it. */
export interface AriBridge {
  id: string;
  name?: string;
  bridge_type: string;
  channels: string[];
}

export interface AriPlayback {
  id: string;
  target_uri: string;
  state: string;
}

export interface AriEndpoint {
  technology: string;
  resource: string;
  state?: string;
}

/** One WebSocket message. Fields absent from a type are simply undefined. */
export interface AriEvent {
  type: string;
  application?: string;
  timestamp?: string;
  channel?: AriChannel;
  args?: string[];
  digit?: string;
  playback?: AriPlayback;
  cause?: number;
  cause_txt?: string;
  endpoint?: AriEndpoint;
  peer?: { peer_status?: string };
  contact_info?: { uri?: string; contact_status?: string; aor?: string };
  bridge?: { id: string };
}

export interface OriginateRequest {
  /** Chosen by siaga112 so the leg's events can be matched before the HTTP answer arrives. */
  channelId: string;
  endpoint: string;
  app: string;
  appArgs: string;
  callerId?: string;
  timeoutSeconds?: number;
}

/**
 * What the call handler needs from ARI. Every method rejects with a
 * TelephonyError; `gone` is set when the channel, playback or bridge no
 * longer exists (the caller hung up), which callers treat as expected.
 */
export interface AriConnection {
  /** Connect and keep connected (forever, with capped backoff) until stop(). */
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly connected: boolean;
  onEvent(handler: (event: AriEvent) => void): void;
  /** Called with true on every (re)connection and false when the socket drops. */
  onConnection(handler: (up: boolean) => void): void;

  answer(channelId: string): Promise<void>;
  hangup(channelId: string, reason?: string): Promise<void>;
  play(channelId: string, playbackId: string, media: string, lang?: string): Promise<void>;
  stopPlayback(playbackId: string): Promise<void>;
  /** undefined when the variable or header is not there (Asterisk answers 404 or 500). */
  getVariable(channelId: string, variable: string): Promise<string | undefined>;
  startMoh(channelId: string, mohClass?: string): Promise<void>;
  stopMoh(channelId: string): Promise<void>;
  createBridge(bridgeId: string, type: 'holding' | 'mixing', name?: string): Promise<void>;
  addToBridge(bridgeId: string, channelIds: string[]): Promise<void>;
  removeFromBridge(bridgeId: string, channelId: string): Promise<void>;
  destroyBridge(bridgeId: string): Promise<void>;
  startBridgeMoh(bridgeId: string, mohClass?: string): Promise<void>;
  stopBridgeMoh(bridgeId: string): Promise<void>;
  playOnBridge(bridgeId: string, playbackId: string, media: string, lang?: string): Promise<void>;
  originate(req: OriginateRequest): Promise<void>;
  continueInDialplan(channelId: string, context: string, extension: string, priority?: number): Promise<void>;
  /** Receive events of an event source, e.g. `endpoint:PJSIP` (softphone registrations). */
  subscribe(eventSource: string): Promise<void>;
  listChannels(): Promise<AriChannel[]>;
  /** Every bridge (id, type, member channels): what a restart or a WebSocket gap left behind. */
  listBridges(): Promise<AriBridge[]>;
  /** Endpoints of a technology with their state (`online` = a registered contact). */
  listEndpoints(technology: string): Promise<AriEndpoint[]>;
}
