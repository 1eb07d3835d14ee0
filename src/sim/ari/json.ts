import type { PbxEvent } from '../model/events';
import type { Pbx } from '../model/pbx';
import type {
  AppSnapshot,
  BridgeSnapshot,
  ChannelSnapshot,
  EndpointSnapshot,
  PlaybackSnapshot,
  RecordingSnapshot,
} from '../model/types';

/** ARI's time format: 2026-11-28T16:49:22.249+0000 */
export function ariTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

export type Json = Record<string, unknown>;

export function channelJson(c: ChannelSnapshot): Json {
  return {
    id: c.id,
    name: c.name,
    state: c.state,
    protocol_id: c.protocolId,
    caller: { name: c.caller.name, number: c.caller.number },
    connected: { name: c.connected.name, number: c.connected.number },
    accountcode: c.accountcode,
    dialplan: { context: c.dialplan.context, exten: c.dialplan.exten, priority: c.dialplan.priority, app_name: c.dialplan.appName, app_data: c.dialplan.appData },
    creationtime: ariTime(c.creationTime),
    language: c.language,
  };
}

export function bridgeJson(b: BridgeSnapshot): Json {
  return {
    id: b.id,
    technology: b.technology,
    bridge_type: b.bridgeType,
    bridge_class: 'stasis',
    creator: 'Stasis',
    name: b.name,
    channels: b.channels,
    creationtime: ariTime(b.creationTime),
    video_mode: 'talker',
  };
}

export function playbackJson(p: PlaybackSnapshot): Json {
  const out: Json = { id: p.id, media_uri: p.mediaUri };
  if (p.nextMediaUri !== undefined) out.next_media_uri = p.nextMediaUri;
  return { ...out, target_uri: p.targetUri, language: p.language, state: p.state };
}

export function recordingJson(r: RecordingSnapshot): Json {
  const out: Json = { name: r.name, format: r.format, state: r.state, target_uri: r.targetUri };
  if (r.duration !== undefined) out.duration = r.duration;
  return out;
}

export function endpointJson(e: EndpointSnapshot): Json {
  return { technology: e.technology, resource: e.resource, state: e.state, channel_ids: e.channelIds };
}

export function appJson(a: AppSnapshot): Json {
  return {
    name: a.name,
    channel_ids: a.channelIds,
    bridge_ids: a.bridgeIds,
    endpoint_ids: a.endpointIds,
    device_names: a.deviceNames,
    events_allowed: [],
    events_disallowed: [],
  };
}

/**
 * The ARI messages one model event becomes for one app (zero, one or several),
 * without `asterisk_id`/`application`, which the sender adds.
 */
export function ariMessagesFor(e: PbxEvent, app: string, pbx: Pbx): Json[] {
  const timestamp = ariTime(e.at);
  const ev = (type: string, body: Json): Json => ({ type, timestamp, ...body });
  switch (e.kind) {
    case 'channel-state':
      return [ev('ChannelStateChange', { channel: channelJson(e.channel) })];
    case 'channel-dialplan':
      return [ev('ChannelDialplan', { dialplan_app: e.dialplanApp, dialplan_app_data: e.dialplanAppData, channel: channelJson(e.channel) })];
    case 'channel-varset':
      return [{ variable: e.variable, value: e.value, ...ev('ChannelVarset', { channel: channelJson(e.channel) }) }];
    case 'channel-callerid':
      return [ev('ChannelCallerId', { caller_presentation: e.callerPresentation, caller_presentation_txt: e.callerPresentationTxt, channel: channelJson(e.channel) })];
    case 'channel-connected-line':
      return [ev('ChannelConnectedLine', { channel: channelJson(e.channel) })];
    case 'channel-hangup-request': {
      const head: Json = {};
      if (e.cause !== undefined) head.cause = e.cause;
      if (e.techCause !== undefined) head.tech_cause = e.techCause;
      if (e.soft) head.soft = true;
      return [{ ...head, ...ev('ChannelHangupRequest', { channel: channelJson(e.channel) }) }];
    }
    case 'channel-destroyed': {
      const body: Json = { cause: e.cause, cause_txt: e.causeTxt };
      if (e.techCause) body.tech_cause = e.techCause;
      return [ev('ChannelDestroyed', { ...body, channel: channelJson(e.channel) })];
    }
    case 'dial': {
      const body: Json = { dialstatus: e.dialstatus, forward: e.forward, dialstring: e.dialstring };
      if (e.caller) body.caller = channelJson(e.caller);
      return [ev('Dial', { ...body, peer: channelJson(e.peer) })];
    }
    case 'dtmf':
      return [ev('ChannelDtmfReceived', { digit: e.digit, duration_ms: e.durationMs, channel: channelJson(e.channel) })];
    case 'talking-started':
      return [ev('ChannelTalkingStarted', { channel: channelJson(e.channel) })];
    case 'talking-finished':
      return [{ duration: e.durationMs, ...ev('ChannelTalkingFinished', { channel: channelJson(e.channel) }) }];
    case 'stasis-start':
      return e.app === app ? [ev('StasisStart', { args: e.args, channel: channelJson(e.channel) })] : [];
    case 'stasis-end':
      return e.app === app ? [ev('StasisEnd', { channel: channelJson(e.channel) })] : [];
    case 'bridge-destroyed':
      return [ev('BridgeDestroyed', { bridge: bridgeJson(e.bridge) })];
    case 'channel-entered-bridge':
      return [ev('ChannelEnteredBridge', { bridge: bridgeJson(e.bridge), channel: channelJson(e.channel) })];
    case 'channel-left-bridge':
      return [ev('ChannelLeftBridge', { bridge: bridgeJson(e.bridge), channel: channelJson(e.channel) })];
    case 'playback-started':
      return [ev('PlaybackStarted', { playback: playbackJson(e.playback) })];
    case 'playback-continuing':
      return [ev('PlaybackContinuing', { playback: playbackJson(e.playback) })];
    case 'playback-finished':
      return [ev('PlaybackFinished', { playback: playbackJson(e.playback) })];
    case 'recording-started':
      return [ev('RecordingStarted', { recording: recordingJson(e.recording) })];
    case 'recording-finished':
      return [ev('RecordingFinished', { recording: recordingJson(e.recording) })];
    case 'endpoint-state': {
      const endpoint = endpointJson(e.endpoint);
      const out: Json[] = [];
      if (e.stateChanged && pbx.isEndpointSubscriber(app, e.endpoint.technology, e.endpoint.resource)) out.push(ev('EndpointStateChange', { endpoint }));
      if (e.peerStatus) out.push(ev('PeerStatusChange', { endpoint, peer: { peer_status: e.peerStatus } }));
      if (e.contact) {
        out.push(
          ev('ContactStatusChange', {
            endpoint,
            contact_info: { uri: e.contact.uri, contact_status: e.contact.status, aor: e.contact.aor, roundtrip_usec: e.contact.roundtripUsec },
          }),
        );
      }
      return out;
    }
    case 'device-state':
      return [{ type: 'DeviceStateChanged', application: app, timestamp, device_state: { name: e.name, state: e.state } }];
    case 'application-replaced':
      return [ev('ApplicationReplaced', {})];
    // Not delivered to apps by Asterisk in the recorded traffic.
    case 'channel-created':
    case 'bridge-created':
      return [];
  }
}
