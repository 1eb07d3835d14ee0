import type { Pbx } from '../model/pbx';
import { PbxError } from '../model/pbx-error';
import { ARI_API_VERSION } from './api-docs';
import { appJson, ariTime, bridgeJson, channelJson, endpointJson, playbackJson, recordingJson, type Json } from './json';

export interface AriRequest {
  path: Record<string, string>;
  /** Query parameters and top-level fields of a JSON body, last value wins. */
  params: Map<string, string[]>;
  body: unknown;
}

export interface AriResponse {
  status: number;
  body?: unknown;
}

export type Handler = (req: AriRequest, pbx: Pbx) => AriResponse;

function one(req: AriRequest, name: string): string | undefined {
  const v = req.params.get(name);
  return v === undefined ? undefined : v[v.length - 1];
}

/** allowMultiple parameters: repeated and/or comma-separated. */
function many(req: AriRequest, name: string): string[] {
  return (req.params.get(name) ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

function int(req: AriRequest, name: string): number | undefined {
  const v = one(req, name);
  if (v === undefined || v === '') return undefined;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : 0; // Asterisk reads garbage as 0
}

function variables(req: AriRequest): Record<string, string> | undefined {
  const body = req.body as { variables?: unknown } | null;
  if (!body || typeof body !== 'object' || !body.variables || typeof body.variables !== 'object') return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body.variables as Record<string, unknown>)) out[k] = String(v);
  return out;
}

const ok = (body: unknown): AriResponse => ({ status: 200, body });
const created = (body: unknown): AriResponse => ({ status: 201, body });
const none = (): AriResponse => ({ status: 204 });

function originateRequest(req: AriRequest, channelId?: string) {
  return {
    endpoint: one(req, 'endpoint'),
    extension: one(req, 'extension'),
    context: one(req, 'context'),
    priority: int(req, 'priority'),
    app: one(req, 'app'),
    appArgs: one(req, 'appArgs'),
    callerId: one(req, 'callerId'),
    timeout: int(req, 'timeout'),
    channelId: channelId ?? one(req, 'channelId'),
    variables: variables(req),
  };
}

const MODULES: Record<string, string> = {
  'pbx_config.so': 'Text Extension Configuration',
  'res_pjsip.so': 'Basic SIP resource',
  'app_queue.so': 'True Call Queueing',
  'res_ari.so': 'Asterisk RESTful Interface',
  'res_stasis.so': 'Stasis application support',
};

function moduleJson(name: string): Json {
  const description = MODULES[name];
  if (!description) throw new PbxError(404, 'Module not found in running modules');
  return { name, description, use_count: 0, status: 'Running', support_level: 'core' };
}

/** Handlers by `resource.nickname` (see operations.ts). */
export const HANDLERS: Record<string, Handler> = {
  'applications.list': (_r, pbx) => ok(pbx.listApps().map(appJson)),
  'applications.get': (r, pbx) => ok(appJson(pbx.getApp(r.path.applicationName))),
  'applications.subscribe': (r, pbx) => ok(appJson(pbx.subscribe(r.path.applicationName, many(r, 'eventSource'), true))),
  'applications.unsubscribe': (r, pbx) => ok(appJson(pbx.subscribe(r.path.applicationName, many(r, 'eventSource'), false))),

  'asterisk.getInfo': (r, pbx) => {
    const all: Json = {
      build: { os: 'Linux', kernel: 'sim', machine: 'x86_64', options: 'OPTIONAL_API', date: ariTime(pbx.startedAt).slice(0, 19).replace('T', ' ') + ' UTC', user: 'siaga112' },
      system: { version: '22.10.1', entity_id: pbx.entityId },
      config: { name: '', default_language: 'en', setid: { user: '', group: '' } },
      status: { startup_time: ariTime(pbx.startedAt), last_reload_time: ariTime(pbx.startedAt) },
    };
    const only = many(r, 'only');
    if (only.length === 0) return ok(all);
    return ok(Object.fromEntries(only.filter((k) => k in all).map((k) => [k, all[k]])));
  },
  'asterisk.ping': (_r, pbx) => ok({ ping: 'pong', timestamp: ariTime(pbx.clock.now()), asterisk_id: pbx.entityId }),
  'asterisk.listModules': () => ok(Object.keys(MODULES).map(moduleJson)),
  'asterisk.getModule': (r) => ok(moduleJson(r.path.moduleName)),
  'asterisk.reloadModule': (r) => {
    moduleJson(r.path.moduleName);
    return none();
  },
  'asterisk.getGlobalVar': (r, pbx) => ok({ value: pbx.getGlobalVariable(one(r, 'variable')) }),
  'asterisk.setGlobalVar': (r, pbx) => {
    pbx.setGlobalVariable(one(r, 'variable'), one(r, 'value') ?? '');
    return none();
  },

  'bridges.list': (_r, pbx) => ok(pbx.listBridges().map(bridgeJson)),
  'bridges.create': (r, pbx) => ok(bridgeJson(pbx.createBridge(undefined, { type: one(r, 'type'), bridgeId: one(r, 'bridgeId'), name: one(r, 'name') }))),
  'bridges.createWithId': (r, pbx) => ok(bridgeJson(pbx.createBridge(undefined, { type: one(r, 'type'), bridgeId: r.path.bridgeId, name: one(r, 'name') }))),
  'bridges.get': (r, pbx) => ok(bridgeJson(pbx.getBridge(r.path.bridgeId))),
  'bridges.destroy': (r, pbx) => {
    pbx.destroyBridge(r.path.bridgeId);
    return none();
  },
  'bridges.addChannel': (r, pbx) => {
    pbx.addToBridge(r.path.bridgeId, many(r, 'channel'));
    return none();
  },
  'bridges.removeChannel': (r, pbx) => {
    pbx.removeFromBridge(r.path.bridgeId, many(r, 'channel'));
    return none();
  },
  'bridges.startMoh': (r, pbx) => {
    pbx.bridgeMoh(r.path.bridgeId, one(r, 'mohClass'), true);
    return none();
  },
  'bridges.stopMoh': (r, pbx) => {
    pbx.bridgeMoh(r.path.bridgeId, undefined, false);
    return none();
  },
  'bridges.play': (r, pbx) =>
    created(playbackJson(pbx.play({ kind: 'bridge', id: r.path.bridgeId }, { media: many(r, 'media'), lang: one(r, 'lang'), playbackId: one(r, 'playbackId') }))),
  'bridges.playWithId': (r, pbx) =>
    created(playbackJson(pbx.play({ kind: 'bridge', id: r.path.bridgeId }, { media: many(r, 'media'), lang: one(r, 'lang'), playbackId: r.path.playbackId }))),
  'bridges.record': (r, pbx) =>
    created(recordingJson(pbx.record({ kind: 'bridge', id: r.path.bridgeId }, { name: one(r, 'name'), format: one(r, 'format'), ifExists: one(r, 'ifExists') }))),

  'channels.list': (_r, pbx) => ok(pbx.listChannels().map(channelJson)),
  'channels.originate': (r, pbx) => ok(channelJson(pbx.originate(originateRequest(r)))),
  'channels.originateWithId': (r, pbx) => ok(channelJson(pbx.originate(originateRequest(r, r.path.channelId)))),
  'channels.create': (r, pbx) => ok(channelJson(pbx.createChannel(originateRequest(r)))),
  'channels.get': (r, pbx) => ok(channelJson(pbx.getChannel(r.path.channelId))),
  'channels.hangup': (r, pbx) => {
    pbx.hangup(r.path.channelId, { reason: one(r, 'reason'), reasonCode: one(r, 'reason_code') });
    return none();
  },
  'channels.continueInDialplan': (r, pbx) => {
    pbx.continueInDialplan(r.path.channelId, { context: one(r, 'context'), extension: one(r, 'extension'), priority: int(r, 'priority'), label: one(r, 'label') });
    return none();
  },
  'channels.redirect': (r, pbx) => {
    pbx.redirect(r.path.channelId, one(r, 'endpoint'));
    return none();
  },
  'channels.answer': (r, pbx) => {
    pbx.answer(r.path.channelId);
    return none();
  },
  'channels.ring': (r, pbx) => {
    pbx.ring(r.path.channelId, true);
    return none();
  },
  'channels.ringStop': (r, pbx) => {
    pbx.ring(r.path.channelId, false);
    return none();
  },
  'channels.progress': (r, pbx) => simple(r, pbx),
  'channels.sendDTMF': (r, pbx) => {
    pbx.sendDtmfToChannel(r.path.channelId, one(r, 'dtmf'));
    return none();
  },
  'channels.mute': (r, pbx) => simple(r, pbx),
  'channels.unmute': (r, pbx) => simple(r, pbx),
  'channels.hold': (r, pbx) => simple(r, pbx),
  'channels.unhold': (r, pbx) => simple(r, pbx),
  'channels.startMoh': (r, pbx) => simple(r, pbx),
  'channels.stopMoh': (r, pbx) => simple(r, pbx),
  'channels.startSilence': (r, pbx) => simple(r, pbx),
  'channels.stopSilence': (r, pbx) => simple(r, pbx),
  'channels.play': (r, pbx) =>
    created(playbackJson(pbx.play({ kind: 'channel', id: r.path.channelId }, { media: many(r, 'media'), lang: one(r, 'lang'), playbackId: one(r, 'playbackId') }))),
  'channels.playWithId': (r, pbx) =>
    created(playbackJson(pbx.play({ kind: 'channel', id: r.path.channelId }, { media: many(r, 'media'), lang: one(r, 'lang'), playbackId: r.path.playbackId }))),
  'channels.record': (r, pbx) =>
    created(recordingJson(pbx.record({ kind: 'channel', id: r.path.channelId }, { name: one(r, 'name'), format: one(r, 'format'), ifExists: one(r, 'ifExists') }))),
  'channels.getChannelVar': (r, pbx) => ok({ value: pbx.getVariable(r.path.channelId, one(r, 'variable')) }),
  'channels.setChannelVar': (r, pbx) => {
    const name = one(r, 'variable');
    if (!name) throw new PbxError(400, 'Variable name is required');
    pbx.setVariable(r.path.channelId, name, one(r, 'value') ?? '');
    return none();
  },
  'channels.snoopChannel': (r, pbx) =>
    ok(channelJson(pbx.snoop(r.path.channelId, { app: one(r, 'app'), appArgs: one(r, 'appArgs'), snoopId: one(r, 'snoopId'), spy: one(r, 'spy'), whisper: one(r, 'whisper') }))),
  'channels.snoopChannelWithId': (r, pbx) =>
    ok(channelJson(pbx.snoop(r.path.channelId, { app: one(r, 'app'), appArgs: one(r, 'appArgs'), snoopId: r.path.snoopId, spy: one(r, 'spy'), whisper: one(r, 'whisper') }))),
  'channels.dial': (r, pbx) => {
    pbx.dial(r.path.channelId, { caller: one(r, 'caller'), timeout: int(r, 'timeout') });
    return none();
  },

  'deviceStates.list': (_r, pbx) => ok(pbx.listDeviceStates()),
  'deviceStates.get': (r, pbx) => ok(pbx.getDeviceState(r.path.deviceName)),
  'deviceStates.update': (r, pbx) => {
    pbx.setDeviceState(r.path.deviceName, one(r, 'deviceState'));
    return none();
  },
  'deviceStates.delete': (r, pbx) => {
    pbx.deleteDeviceState(r.path.deviceName);
    return none();
  },

  'endpoints.list': (_r, pbx) => ok(pbx.listEndpoints().map(endpointJson)),
  'endpoints.listByTech': (r, pbx) => ok(pbx.listEndpoints(r.path.tech).map(endpointJson)),
  'endpoints.get': (r, pbx) => ok(endpointJson(pbx.getEndpoint(r.path.tech, r.path.resource))),

  'playbacks.get': (r, pbx) => ok(playbackJson(pbx.getPlayback(r.path.playbackId))),
  'playbacks.stop': (r, pbx) => {
    pbx.stopPlayback(r.path.playbackId);
    return none();
  },
  'playbacks.control': (r, pbx) => {
    pbx.controlPlayback(r.path.playbackId, one(r, 'operation'));
    return none();
  },

  'recordings.listStored': (_r, pbx) => ok(pbx.listStoredRecordings()),
  'recordings.getStored': (r, pbx) => ok(pbx.getStoredRecording(r.path.recordingName)),
  'recordings.deleteStored': (r, pbx) => {
    pbx.deleteStoredRecording(r.path.recordingName);
    return none();
  },
  'recordings.getLive': (r, pbx) => ok(recordingJson(pbx.getLiveRecording(r.path.recordingName))),
  'recordings.cancel': (r, pbx) => {
    pbx.stopRecording(r.path.recordingName);
    return none();
  },
  'recordings.stop': (r, pbx) => {
    pbx.stopRecording(r.path.recordingName);
    return none();
  },

  'sounds.list': () => ok([]),
};

function simple(r: AriRequest, pbx: Pbx): AriResponse {
  pbx.simpleControl(r.path.channelId);
  return none();
}

export { ARI_API_VERSION };
