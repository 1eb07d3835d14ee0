/**
 * Data models of the ARI documents the simulator serves, written for the
 * simulator: `name:type` with `?` for optional. Object models go into the
 * resource that returns them; event models into `events`, where ari-client
 * looks up the model of every WebSocket message by its `type`.
 */
const OBJECT_MODELS: Record<string, { resource: string; props: string }> = {
  CallerID: { resource: 'channels', props: 'name:string number:string' },
  DialplanCEP: { resource: 'channels', props: 'context:string exten:string priority:long app_name:string app_data:string' },
  Channel: {
    resource: 'channels',
    props:
      'id:string protocol_id:string name:string state:string caller:CallerID connected:CallerID accountcode:string dialplan:DialplanCEP creationtime:Date language:string channelvars?:object caller_rdnis?:string tenantid?:string',
  },
  Variable: { resource: 'asterisk', props: 'value:string' },
  AsteriskInfo: { resource: 'asterisk', props: 'build?:object system?:object config?:object status?:object' },
  AsteriskPing: { resource: 'asterisk', props: 'asterisk_id:string ping:string timestamp:string' },
  Module: { resource: 'asterisk', props: 'name:string description:string use_count:int status:string support_level:string' },
  Bridge: {
    resource: 'bridges',
    props:
      'id:string technology:string bridge_type:string bridge_class:string creator:string name:string channels:List[string] video_mode?:string video_source_id?:string creationtime:Date',
  },
  Playback: { resource: 'playbacks', props: 'id:string media_uri:string next_media_uri?:string target_uri:string language?:string state:string' },
  LiveRecording: {
    resource: 'recordings',
    props: 'name:string format:string target_uri:string state:string duration?:int talking_duration?:int silence_duration?:int cause?:string',
  },
  StoredRecording: { resource: 'recordings', props: 'name:string format:string' },
  Endpoint: { resource: 'endpoints', props: 'technology:string resource:string state?:string channel_ids:List[string]' },
  DeviceState: { resource: 'deviceStates', props: 'name:string state:string' },
  Application: {
    resource: 'applications',
    props: 'name:string channel_ids:List[string] bridge_ids:List[string] endpoint_ids:List[string] device_names:List[string] events_allowed:List[object] events_disallowed:List[object]',
  },
  Sound: { resource: 'sounds', props: 'id:string text?:string formats:List[object]' },
};

/** Event models: the properties each event adds to Event (type, asterisk_id, application, timestamp). */
const EVENT_MODELS: Record<string, string> = {
  Message: 'type:string asterisk_id?:string',
  Event: 'application:string timestamp:Date',
  ContactInfo: 'uri:string contact_status:string aor:string roundtrip_usec?:string',
  Peer: 'peer_status:string cause?:string address?:string port?:string time?:string',
  DeviceStateChanged: 'device_state:DeviceState',
  PlaybackStarted: 'playback:Playback',
  PlaybackContinuing: 'playback:Playback',
  PlaybackFinished: 'playback:Playback',
  RecordingStarted: 'recording:LiveRecording',
  RecordingFinished: 'recording:LiveRecording',
  RecordingFailed: 'recording:LiveRecording',
  ApplicationReplaced: '',
  BridgeCreated: 'bridge:Bridge',
  BridgeDestroyed: 'bridge:Bridge',
  ChannelCreated: 'channel:Channel',
  ChannelDestroyed: 'cause:int cause_txt:string tech_cause?:int channel:Channel',
  ChannelEnteredBridge: 'bridge:Bridge channel?:Channel',
  ChannelLeftBridge: 'bridge:Bridge channel:Channel',
  ChannelStateChange: 'channel:Channel',
  ChannelDtmfReceived: 'digit:string duration_ms:int channel:Channel',
  ChannelDialplan: 'channel:Channel dialplan_app:string dialplan_app_data:string',
  ChannelCallerId: 'caller_presentation:int caller_presentation_txt:string channel:Channel',
  ChannelHangupRequest: 'cause?:int tech_cause?:int soft?:boolean channel:Channel',
  ChannelVarset: 'variable:string value:string channel?:Channel',
  ChannelTalkingStarted: 'channel:Channel',
  ChannelTalkingFinished: 'channel:Channel duration:int',
  ContactStatusChange: 'endpoint:Endpoint contact_info:ContactInfo',
  PeerStatusChange: 'endpoint:Endpoint peer:Peer',
  EndpointStateChange: 'endpoint:Endpoint',
  Dial: 'caller?:Channel peer:Channel forward?:string forwarded?:Channel dialstring?:string dialstatus:string',
  StasisEnd: 'channel:Channel',
  StasisStart: 'args:List[string] channel:Channel replace_channel?:Channel',
  ChannelConnectedLine: 'channel:Channel',
};

export interface ModelProperty {
  type: string;
  required: boolean;
}

export interface SwaggerModel {
  id: string;
  description: string;
  properties: Record<string, ModelProperty>;
}

function parseProps(props: string): Record<string, ModelProperty> {
  const out: Record<string, ModelProperty> = {};
  for (const token of props.split(/\s+/).filter(Boolean)) {
    const [rawName, type] = token.split(':');
    const optional = rawName.endsWith('?');
    out[optional ? rawName.slice(0, -1) : rawName] = { type, required: !optional };
  }
  return out;
}

export function modelsFor(resource: string): Record<string, SwaggerModel> {
  const out: Record<string, SwaggerModel> = {};
  if (resource === 'events') {
    for (const [id, props] of Object.entries(EVENT_MODELS)) out[id] = { id, description: `${id} (siaga112 simulator)`, properties: parseProps(props) };
    return out;
  }
  for (const [id, m] of Object.entries(OBJECT_MODELS)) {
    if (m.resource === resource) out[id] = { id, description: `${id} (siaga112 simulator)`, properties: parseProps(m.props) };
  }
  return out;
}

/** Event types that have a model (what ari-client can parse). */
export const EVENT_TYPES = Object.keys(EVENT_MODELS).filter((k) => !['Message', 'Event', 'ContactInfo', 'Peer'].includes(k));
