/**
 * The ARI operations the simulator serves, declared once. The HTTP router is
 * built from this table and the Swagger documents under /ari/api-docs/ are
 * generated from it, so what is documented is exactly what is served.
 *
 * Line format: `resource METHOD /path nickname ResponseClass params`, params
 * comma-separated as `<in><!?>name:type<*?>`: in = p(ath) | q(uery) | b(ody),
 * `!` required, `*` allowMultiple (comma-separated list).
 */
const TABLE = `
applications GET /applications list List[Application]
applications GET /applications/{applicationName} get Application p!applicationName:string
applications POST /applications/{applicationName}/subscription subscribe Application p!applicationName:string,q!eventSource:string*
applications DELETE /applications/{applicationName}/subscription unsubscribe Application p!applicationName:string,q!eventSource:string*
asterisk GET /asterisk/info getInfo AsteriskInfo q:only:string*
asterisk GET /asterisk/ping ping AsteriskPing
asterisk GET /asterisk/modules listModules List[Module]
asterisk GET /asterisk/modules/{moduleName} getModule Module p!moduleName:string
asterisk PUT /asterisk/modules/{moduleName} reloadModule void p!moduleName:string
asterisk GET /asterisk/variable getGlobalVar Variable q!variable:string
asterisk POST /asterisk/variable setGlobalVar void q!variable:string,q:value:string
bridges GET /bridges list List[Bridge]
bridges POST /bridges create Bridge q:type:string,q:bridgeId:string,q:name:string
bridges POST /bridges/{bridgeId} createWithId Bridge q:type:string,p!bridgeId:string,q:name:string
bridges GET /bridges/{bridgeId} get Bridge p!bridgeId:string
bridges DELETE /bridges/{bridgeId} destroy void p!bridgeId:string
bridges POST /bridges/{bridgeId}/addChannel addChannel void p!bridgeId:string,q!channel:string*,q:role:string,q:absorbDTMF:boolean,q:mute:boolean,q:inhibitConnectedLineUpdates:boolean
bridges POST /bridges/{bridgeId}/removeChannel removeChannel void p!bridgeId:string,q!channel:string*
bridges POST /bridges/{bridgeId}/moh startMoh void p!bridgeId:string,q:mohClass:string
bridges DELETE /bridges/{bridgeId}/moh stopMoh void p!bridgeId:string
bridges POST /bridges/{bridgeId}/play play Playback p!bridgeId:string,q!media:string*,q:announcer_format:string,q:lang:string,q:offsetms:int,q:skipms:int,q:playbackId:string
bridges POST /bridges/{bridgeId}/play/{playbackId} playWithId Playback p!bridgeId:string,p!playbackId:string,q!media:string*,q:announcer_format:string,q:lang:string,q:offsetms:int,q:skipms:int
bridges POST /bridges/{bridgeId}/record record LiveRecording p!bridgeId:string,q!name:string,q!format:string,q:recorder_format:string,q:maxDurationSeconds:int,q:maxSilenceSeconds:int,q:ifExists:string,q:beep:boolean,q:terminateOn:string
channels GET /channels list List[Channel]
channels POST /channels originate Channel q!endpoint:string,q:extension:string,q:context:string,q:priority:long,q:label:string,q:app:string,q:appArgs:string,q:callerId:string,q:timeout:int,b:variables:containers,q:channelId:string,q:otherChannelId:string,q:originator:string,q:formats:string
channels POST /channels/create create Channel q!endpoint:string,q!app:string,q:appArgs:string,q:channelId:string,q:otherChannelId:string,q:originator:string,q:formats:string,b:variables:containers
channels GET /channels/{channelId} get Channel p!channelId:string
channels POST /channels/{channelId} originateWithId Channel p!channelId:string,q!endpoint:string,q:extension:string,q:context:string,q:priority:long,q:label:string,q:app:string,q:appArgs:string,q:callerId:string,q:timeout:int,b:variables:containers,q:otherChannelId:string,q:originator:string,q:formats:string
channels DELETE /channels/{channelId} hangup void p!channelId:string,q:reason_code:string,q:reason:string
channels POST /channels/{channelId}/continue continueInDialplan void p!channelId:string,q:context:string,q:extension:string,q:priority:int,q:label:string
channels POST /channels/{channelId}/redirect redirect void p!channelId:string,q!endpoint:string
channels POST /channels/{channelId}/answer answer void p!channelId:string
channels POST /channels/{channelId}/ring ring void p!channelId:string
channels DELETE /channels/{channelId}/ring ringStop void p!channelId:string
channels POST /channels/{channelId}/progress progress void p!channelId:string
channels POST /channels/{channelId}/dtmf sendDTMF void p!channelId:string,q:dtmf:string,q:before:int,q:between:int,q:duration:int,q:after:int
channels POST /channels/{channelId}/mute mute void p!channelId:string,q:direction:string
channels DELETE /channels/{channelId}/mute unmute void p!channelId:string,q:direction:string
channels POST /channels/{channelId}/hold hold void p!channelId:string
channels DELETE /channels/{channelId}/hold unhold void p!channelId:string
channels POST /channels/{channelId}/moh startMoh void p!channelId:string,q:mohClass:string
channels DELETE /channels/{channelId}/moh stopMoh void p!channelId:string
channels POST /channels/{channelId}/silence startSilence void p!channelId:string
channels DELETE /channels/{channelId}/silence stopSilence void p!channelId:string
channels POST /channels/{channelId}/play play Playback p!channelId:string,q!media:string*,q:lang:string,q:offsetms:int,q:skipms:int,q:playbackId:string
channels POST /channels/{channelId}/play/{playbackId} playWithId Playback p!channelId:string,p!playbackId:string,q!media:string*,q:lang:string,q:offsetms:int,q:skipms:int
channels POST /channels/{channelId}/record record LiveRecording p!channelId:string,q!name:string,q!format:string,q:maxDurationSeconds:int,q:maxSilenceSeconds:int,q:ifExists:string,q:beep:boolean,q:terminateOn:string
channels GET /channels/{channelId}/variable getChannelVar Variable p!channelId:string,q!variable:string
channels POST /channels/{channelId}/variable setChannelVar void p!channelId:string,q!variable:string,q:value:string
channels POST /channels/{channelId}/snoop snoopChannel Channel p!channelId:string,q:spy:string,q:whisper:string,q!app:string,q:appArgs:string,q:snoopId:string
channels POST /channels/{channelId}/snoop/{snoopId} snoopChannelWithId Channel p!channelId:string,p!snoopId:string,q:spy:string,q:whisper:string,q!app:string,q:appArgs:string
channels POST /channels/{channelId}/dial dial void p!channelId:string,q:caller:string,q:timeout:int
deviceStates GET /deviceStates list List[DeviceState]
deviceStates GET /deviceStates/{deviceName} get DeviceState p!deviceName:string
deviceStates PUT /deviceStates/{deviceName} update void p!deviceName:string,q!deviceState:string
deviceStates DELETE /deviceStates/{deviceName} delete void p!deviceName:string
endpoints GET /endpoints list List[Endpoint]
endpoints GET /endpoints/{tech} listByTech List[Endpoint] p:tech:string
endpoints GET /endpoints/{tech}/{resource} get Endpoint p:tech:string,p:resource:string
events GET /events eventWebsocket Message q!app:string*,q:subscribeAll:boolean
playbacks GET /playbacks/{playbackId} get Playback p!playbackId:string
playbacks DELETE /playbacks/{playbackId} stop void p!playbackId:string
playbacks POST /playbacks/{playbackId}/control control void p!playbackId:string,q!operation:string
recordings GET /recordings/stored listStored List[StoredRecording]
recordings GET /recordings/stored/{recordingName} getStored StoredRecording p!recordingName:string
recordings DELETE /recordings/stored/{recordingName} deleteStored void p!recordingName:string
recordings GET /recordings/live/{recordingName} getLive LiveRecording p!recordingName:string
recordings DELETE /recordings/live/{recordingName} cancel void p!recordingName:string
recordings POST /recordings/live/{recordingName}/stop stop void p!recordingName:string
sounds GET /sounds list List[Sound] q:lang:string,q:format:string
`;

export interface OperationParam {
  name: string;
  paramType: 'path' | 'query' | 'body';
  required: boolean;
  allowMultiple: boolean;
  dataType: string;
}

export interface OperationSpec {
  resource: string;
  httpMethod: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  nickname: string;
  responseClass: string;
  parameters: OperationParam[];
}

const IN: Record<string, OperationParam['paramType']> = { p: 'path', q: 'query', b: 'body' };

function parseParam(text: string): OperationParam {
  const m = /^([pqb])(!|:)([A-Za-z_]+):([A-Za-z[\]]+)(\*?)$/.exec(text);
  if (!m) throw new Error(`bad operation parameter ${text}`);
  return { paramType: IN[m[1]], required: m[2] === '!', name: m[3], dataType: m[4], allowMultiple: m[5] === '*' };
}

export const OPERATIONS: OperationSpec[] = TABLE.trim()
  .split('\n')
  .map((line) => {
    const [resource, httpMethod, path, nickname, responseClass, params] = line.trim().split(/\s+/);
    return {
      resource,
      httpMethod: httpMethod as OperationSpec['httpMethod'],
      path,
      nickname,
      responseClass,
      parameters: params ? params.split(',').map(parseParam) : [],
    };
  });

export const RESOURCES = [...new Set(OPERATIONS.map((o) => o.resource))];
