import { expect } from 'chai';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { CallCenter } from '../../src/app/call-center';
import { dispatchPortFor, queueObserverFor } from '../../src/app/dispatch-bridge';
import { configSchema, type AppConfig } from '../../src/config/schema';
import { SystemClock } from '../../src/core/clock';
import { ConfigError } from '../../src/core/errors';
import { silentLogger } from '../../src/core/logger';
import { DomainEventBus } from '../../src/domain/events';
import { loadIvrMenu, type IvrMenu } from '../../src/domain/ivr/menu';
import { agencyList } from '../../src/domain/outcome/outcome';
import type { CallRecord } from '../../src/domain/types';
import type { DispatchObserver } from '../../src/ports/dispatch';
import { createHttpApp } from '../../src/http/app';
import { createDispatch, type Dispatch } from '../../src/queue/create-dispatch';
import { SqliteCallStore } from '../../src/store';
import { createTwilioBackend, type TwilioBackend } from '../../src/twilio/create-twilio-backend';
import { FakeTwilioApi } from '../support/fake-twilio';
import { freshRedis, testRedisUrl } from '../support/redis';
import { ACCOUNT_SID, AUTH_TOKEN, callForm, checkTwiml, findAll, newCallSid, postSigned, PUBLIC_URL, type PostResult, type TwimlNode } from './harness';

const menuFile = path.resolve(__dirname, '../../config/ivr.yaml');
const HOLD_AUDIO = 'https://cdn.example.go.id/hold.wav';

/** Poll (test side, real time) until `cond` holds. */
async function until<T>(cond: () => T | Promise<T>, what: string, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let prefixCounter = 0;

/**
 * The whole Twilio path with the real parts: the webhooks signed with the
 * twilio package's own signing, the CallCenter on a SQLite store, the real
 * BullMQ dispatcher on the test Redis, and the fake Twilio REST API on
 * loopback that records the REST updates the ringer sends.
 */
describe('twilio call path (webhooks, CallCenter, BullMQ dispatcher, fake Twilio REST API)', function () {
  this.timeout(20_000);

  let redis: Redis;
  let api: FakeTwilioApi;
  let dir: string;
  let store: SqliteCallStore;
  let menu: IvrMenu;
  let center: CallCenter;
  let dispatch: Dispatch;
  let backend: TwilioBackend;
  let server: http.Server | undefined;
  let baseUrl: string;
  let config: AppConfig;
  const clock = new SystemClock();
  const logger = silentLogger();

  async function start(options: { reassuranceMs?: number; dispatch?: Record<string, unknown> } = {}): Promise<void> {
    redis = await freshRedis();
    api = await new FakeTwilioApi(ACCOUNT_SID).start();
    dir = mkdtempSync(path.join(os.tmpdir(), 'siaga112-twilio-path-'));
    store = await SqliteCallStore.open({ path: path.join(dir, 'calls.sqlite'), clock });
    menu = loadIvrMenu(menuFile);
    config = configSchema.parse({
      mode: 'twilio',
      service: { publicUrl: PUBLIC_URL },
      twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: api.baseUrl },
      ...(options.dispatch ? { dispatch: options.dispatch } : {}),
    });
    // The order main uses: backend (call centre through a getter), dispatcher, call centre.
    backend = createTwilioBackend({ config, callCenter: () => center, store, redis, clock, logger, menu, holdAudioUrl: HOLD_AUDIO });
    await backend.start();
    const events = new DomainEventBus();
    const observed: DispatchObserver = {
      onOffered: (...a) => center.onOffered(...a),
      onAnswered: (...a) => center.onAnswered(...a),
      onMissed: (...a) => center.onMissed(...a),
      onAbandoned: (...a) => center.onAbandoned(...a),
      onReassured: (...a) => center.onReassured(...a),
      onOverflow: (...a) => center.onOverflow(...a),
      onWrapUpEnded: (...a) => center.onWrapUpEnded(...a),
    };
    prefixCounter += 1;
    dispatch = createDispatch({
      redisUrl: testRedisUrl(),
      clock,
      config: config.dispatch,
      ivrReassuranceMs: options.reassuranceMs ?? 0,
      ringer: backend.ringer,
      waiting: backend.waiting,
      observer: queueObserverFor(observed, logger),
      events,
      instanceId: 'twilio-path',
      logger,
      prefix: `tw${prefixCounter}`,
    });
    center = new CallCenter({ store, dispatch: dispatchPortFor(dispatch), clock, logger, menu, events, agencies: agencyList(), maskCallerNumbers: true });
    await dispatch.start();
    const app = createHttpApp({ logger, readiness: [], trustProxy: false, routers: [backend.router] });
    const listening = http.createServer(app);
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    server = listening;
    baseUrl = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
  }

  afterEach(async () => {
    const running = server;
    if (!running) return;
    server = undefined;
    running.closeAllConnections();
    await new Promise<void>((resolve) => running.close(() => resolve()));
    await dispatch.idle();
    await dispatch.stop();
    await backend.stop();
    await api.stop();
    await store.close();
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (pathAndQuery: string, form: Record<string, string>, options?: Parameters<typeof postSigned>[3]): Promise<PostResult> =>
    postSigned({ baseUrl }, pathAndQuery, form, options);

  /** POST a call-control webhook, expect 200 and TwiML that Twilio accepts; never a hang-up unless `hangupOk`. */
  async function twiml(pathAndQuery: string, form: Record<string, string>, hangupOk = false): Promise<TwimlNode> {
    const res = await post(pathAndQuery, form);
    expect(res.status, `${pathAndQuery}: ${res.body}`).to.equal(200);
    expect(res.contentType).to.match(/xml/);
    const root = checkTwiml(res.body);
    if (!hangupOk) expect(findAll(root, 'Hangup'), `${pathAndQuery} hung up`).to.have.length(0);
    return root;
  }

  const stepOf = (root: TwimlNode): string => {
    const action = findAll(root, 'Gather')[0]!.attrs.action!;
    return new URL(action).searchParams.get('step')!;
  };

  const callOf = async (sid: string): Promise<CallRecord> => {
    const call = await store.findByChannel(sid);
    if (!call) throw new Error(`no record for ${sid}`);
    return call;
  };
  const stateOf = async (sid: string, state: CallRecord['state']): Promise<CallRecord> =>
    until(async () => {
      const c = await store.findByChannel(sid);
      return c?.state === state ? c : undefined;
    }, `${sid} ${state}`);
  const timelineTypes = async (sid: string): Promise<string[]> => (await store.getTimeline((await callOf(sid)).id)).map((e) => e.type);

  async function readyOperator(id: string): Promise<void> {
    await dispatch.operators.define({ id, displayName: id.toUpperCase(), endpoint: `client:${id}` });
    await dispatch.operators.login(id);
    await dispatch.operators.setSoftphone(id, true);
    await dispatch.operators.setReady(id);
  }

  /** The REST update that moved this caller into a <Dial>, with its ring token and checked TwiML. */
  async function dialUpdate(sid: string, nth = 1): Promise<{ root: TwimlNode; ring: string }> {
    const request = await until(() => api.updatesOf(sid).filter((r) => !!r.form.Twiml)[nth - 1], `dial update #${nth} of ${sid}`);
    const root = checkTwiml(request.form.Twiml!);
    const action = findAll(root, 'Dial')[0]!.attrs.action!;
    return { root, ring: new URL(action).searchParams.get('ring')! };
  }

  /** voice → menu → key: the call waits in the queue. */
  async function callAndChoose(sid: string, digit: string): Promise<TwimlNode> {
    const menuRoot = await twiml('/twilio/voice', callForm(sid, { CallStatus: 'ringing' }));
    return twiml(`/twilio/gather?step=${stepOf(menuRoot)}`, callForm(sid, { Digits: digit }));
  }

  it('voice → 1 (fire) → queued → operator dialled → answered → completed, recorded with its timeline', async () => {
    await start();
    await readyOperator('op1');
    const sid = newCallSid();

    const menuRoot = await twiml('/twilio/voice', callForm(sid, { CallStatus: 'ringing', FromCity: 'Jakarta', FromState: 'DKI Jakarta' }));
    const gather = findAll(menuRoot, 'Gather')[0]!;
    expect(gather.attrs).to.include({ numDigits: '1', timeout: String(menu.inputTimeoutSeconds), action: `${PUBLIC_URL}/twilio/gather?step=menu-1` });
    expect(gather.children.map((c) => c.name)).to.deep.equal(['Say', 'Say']);
    expect(gather.children[0]!.text).to.equal(menu.languages.id!.prompts.greeting.text);
    expect(gather.children[1]!.attrs.language).to.equal('id-ID');
    expect(findAll(menuRoot, 'Redirect')[0]!.text).to.equal(`${PUBLIC_URL}/twilio/no-input?step=menu-1`);
    const created = await callOf(sid);
    expect(created).to.include({ backend: 'twilio', channelId: sid, callerNumber: '+6281234567890', dialedNumber: '+62215000112', state: 'in_ivr' });
    expect(created.location).to.deep.equal({ text: 'Jakarta, DKI Jakarta, ID', source: 'twilio-number-area' });

    const waitRoot = await twiml('/twilio/gather?step=menu-1', callForm(sid, { Digits: '1' }));
    expect(waitRoot.children.map((c) => c.name)).to.deep.equal(['Say', 'Enqueue', 'Redirect']);
    expect(waitRoot.children[0]!.text).to.equal(menu.languages.id!.prompts.queued.text);
    expect(findAll(waitRoot, 'Enqueue')[0]!.attrs.waitUrl).to.equal(`${PUBLIC_URL}/twilio/wait`);

    // The dispatcher picks op1 and the ringer moves the live call into a <Dial> through the REST API.
    const { root: dialRoot, ring } = await dialUpdate(sid);
    expect(findAll(dialRoot, 'Identity')[0]!.text).to.equal('op1');
    expect(findAll(dialRoot, 'Dial')[0]!.attrs.timeout).to.equal(String(config.dispatch.ringTimeoutSeconds));
    const offered = await stateOf(sid, 'offered');
    expect(offered).to.include({ category: 'fire', priority: 1, operatorId: 'op1' });

    const leg = newCallSid();
    const legForm = (status: string): Record<string, string> => callForm(leg, { ParentCallSid: sid, CallStatus: status, Direction: 'outbound-dial', From: 'client:anonymous', To: 'client:op1' });
    expect((await post(`/twilio/operator-status?ring=${ring}`, legForm('ringing'))).status).to.equal(204);
    expect((await post(`/twilio/operator-status?ring=${ring}`, legForm('in-progress'))).status).to.equal(204);
    const connected = await stateOf(sid, 'connected');
    expect(connected.operatorId).to.equal('op1');
    expect((await dispatch.operators.snapshot('op1')).state).to.equal('on_call');

    // The operator hangs up: the leg completes and the caller's Dial action says completed with the caller still there.
    expect((await post(`/twilio/operator-status?ring=${ring}`, legForm('completed'))).status).to.equal(204);
    const endRoot = await twiml(`/twilio/dial-action?ring=${ring}`, callForm(sid, { DialCallStatus: 'completed', DialCallSid: leg, DialCallDuration: '42' }), true);
    expect(endRoot.children.map((c) => c.name)).to.deep.equal(['Hangup']);
    expect((await post('/twilio/status', callForm(sid, { CallStatus: 'completed', CallDuration: '60' }))).status).to.equal(204);

    const ended = await stateOf(sid, 'ended');
    expect(ended).to.include({ endReason: 'completed', operatorId: 'op1', category: 'fire' });
    expect(ended.connectedAt).to.be.a('number');
    const timeline = await store.getTimeline(ended.id);
    expect(timeline.map((e) => e.type)).to.deep.equal([
      'call.created',
      'call.in_ivr',
      'ivr.digit',
      'call.queued',
      'call.offered',
      'call.connected',
      'call.ended',
      'twilio.dial_result',
    ]);
    expect(timeline.find((e) => e.type === 'call.ended')!.actor).to.deep.equal({ kind: 'operator', id: 'op1' });
    expect(timeline.find((e) => e.type === 'twilio.dial_result')!.data).to.include({ dialCallStatus: 'completed', durationSeconds: 42 });
    await until(async () => (await dispatch.operators.snapshot('op1')).state === 'wrap_up', 'op1 in wrap-up');
    expect(await dispatch.queueSnapshot()).to.have.length(0);
  });

  it('no input twice → queued as general (never a hang-up), with each Gather a new step', async () => {
    await start();
    const sid = newCallSid();
    const first = await twiml('/twilio/voice', callForm(sid));
    expect(stepOf(first)).to.equal('menu-1');
    const replay = await twiml('/twilio/no-input?step=menu-1', callForm(sid));
    expect(stepOf(replay)).to.equal('menu-2');
    // The replay is the menu alone, in the caller's language.
    expect(findAll(replay, 'Say').map((s) => s.text)).to.deep.equal([menu.languages.id!.prompts.menu.text]);
    const queued = await twiml('/twilio/no-input?step=menu-2', callForm(sid));
    expect(findAll(queued, 'Enqueue')).to.have.length(1);
    const call = await callOf(sid);
    expect(call).to.include({ state: 'queued', category: 'general', priority: menu.categories.general!.priority });
    const timeline = await store.getTimeline(call.id);
    expect(timeline.filter((e) => e.type === 'ivr.no_input')).to.have.length(2);
    expect(timeline.find((e) => e.type === 'call.queued')!.data).to.include({ reason: 'no_input' });
    expect((await dispatch.queueSnapshot()).map((w) => w.callId)).to.deep.equal([call.id]);
  });

  it('the language key switches the menu to English', async () => {
    await start();
    const sid = newCallSid();
    await twiml('/twilio/voice', callForm(sid));
    const english = await twiml('/twilio/gather?step=menu-1', callForm(sid, { Digits: '9' }));
    expect(stepOf(english)).to.equal('menu-2');
    expect(findAll(english, 'Say').map((s) => s.attrs.language)).to.deep.equal(['en-US', 'en-US']);
    const queued = await twiml('/twilio/gather?step=menu-2', callForm(sid, { Digits: '3' }));
    expect(findAll(queued, 'Say')[0]!.text).to.equal(menu.languages.en!.prompts.queued.text);
    expect(await callOf(sid)).to.include({ state: 'queued', category: 'police', language: 'en' });
  });

  it('a forged, tampered or missing signature is refused and nothing is recorded', async () => {
    await start();
    const sid = newCallSid();
    const form = callForm(sid, { CallStatus: 'ringing' });
    const unsigned = await post('/twilio/voice', form, { unsigned: true });
    const forged = await post('/twilio/voice', form, { token: 'not-the-auth-token' });
    const tampered = await post('/twilio/voice', form, { tamper: { From: '+6289999999999' } });
    const otherUrl = await post('/twilio/voice', form, { signedUrl: 'https://attacker.example/twilio/voice' });
    const gather = await post('/twilio/gather?step=menu-1', callForm(sid, { Digits: '1' }), { unsigned: true });
    const status = await post('/twilio/status', callForm(sid, { CallStatus: 'completed' }), { token: 'not-the-auth-token' });
    expect([unsigned, forged, tampered, otherUrl, gather, status].map((r) => r.status)).to.deep.equal([403, 403, 403, 403, 403, 403]);
    expect(await store.findByChannel(sid)).to.equal(undefined);
    expect(await store.queryCalls({})).to.have.length(0);
    expect(await dispatch.queueSnapshot()).to.have.length(0);
    expect(api.requests).to.have.length(0);
  });

  it('replayed webhooks (voice, gather, status) change the record once', async () => {
    await start();
    const sid = newCallSid();
    const voiceForm = callForm(sid, { CallStatus: 'ringing' });
    const v1 = await post('/twilio/voice', voiceForm);
    const v2 = await post('/twilio/voice', voiceForm);
    expect(v2.body).to.equal(v1.body);
    const gatherForm = callForm(sid, { Digits: '2' });
    const g1 = await post('/twilio/gather?step=menu-1', gatherForm);
    const g2 = await post('/twilio/gather?step=menu-1', gatherForm);
    expect(g2.status).to.equal(200);
    expect(g2.body).to.equal(g1.body);
    const statusForm = callForm(sid, { CallStatus: 'completed', CallDuration: '30' });
    await post('/twilio/status', statusForm);
    await post('/twilio/status', statusForm);
    expect(await store.queryCalls({})).to.have.length(1);
    const types = await timelineTypes(sid);
    for (const type of ['call.created', 'ivr.digit', 'call.queued', 'call.ended', 'callback.created']) {
      expect(types.filter((t) => t === type), type).to.have.length(1);
    }
    expect(await center.listCallbacks('open')).to.have.length(1);
  });

  it('the caller hangs up while waiting → abandoned in the queue with a callback task', async () => {
    await start();
    const sid = newCallSid();
    await callAndChoose(sid, '2');
    const waiting = await callOf(sid);
    expect(waiting).to.include({ state: 'queued', category: 'medical' });
    expect((await post('/twilio/status', callForm(sid, { CallStatus: 'completed', CallDuration: '25' }))).status).to.equal(204);
    const ended = await callOf(sid);
    expect(ended).to.include({ state: 'ended', endReason: 'abandoned_in_queue' });
    const tasks = await center.listCallbacks('open');
    expect(tasks.map((t) => [t.callId, t.callerNumber])).to.deep.equal([[ended.id, '+6281234567890']]);
    expect(await dispatch.queueSnapshot()).to.have.length(0);
    expect(await timelineTypes(sid)).to.include.members(['call.ended', 'callback.created']);
  });

  it('the caller hangs up while the operator rings → abandoned with a callback, the ringing leg ended', async () => {
    await start();
    await readyOperator('op1');
    const sid = newCallSid();
    await callAndChoose(sid, '1');
    const { ring } = await dialUpdate(sid);
    await stateOf(sid, 'offered');
    const leg = newCallSid();
    await post(`/twilio/operator-status?ring=${ring}`, callForm(leg, { ParentCallSid: sid, CallStatus: 'ringing', Direction: 'outbound-dial' }));
    expect((await post('/twilio/status', callForm(sid, { CallStatus: 'completed' }))).status).to.equal(204);
    const ended = await stateOf(sid, 'ended');
    expect(ended.endReason).to.equal('abandoned_in_queue');
    const legEnd = await until(() => api.updatesOf(leg)[0], 'the ringing leg ended');
    expect(legEnd.form).to.deep.equal({ Status: 'completed' });
    // The callback task is written right after the call's end (a second write).
    const open = await until(async () => {
      const tasks = await center.listCallbacks('open');
      return tasks.length > 0 ? tasks : undefined;
    }, 'the callback task');
    expect(open.map((t) => t.callId)).to.deep.equal([ended.id]);
    await until(async () => (await dispatch.operators.snapshot('op1')).state === 'ready', 'op1 free again');
  });

  it('the operator does not answer → the call goes back to the queue keeping its place ahead of a later caller', async () => {
    await start();
    await readyOperator('op1');
    const first = newCallSid();
    const later = newCallSid();
    await callAndChoose(first, '1');
    const { ring } = await dialUpdate(first);
    await stateOf(first, 'offered');
    const queuedAt = (await callOf(first)).queuedAt;
    await new Promise((r) => setTimeout(r, 20));
    await callAndChoose(later, '1'); // same priority, arrives later, waits: op1 is ringing for the first
    expect((await callOf(later)).state).to.equal('queued');

    const back = await twiml(`/twilio/dial-action?ring=${ring}`, callForm(first, { DialCallStatus: 'no-answer' }));
    expect(findAll(back, 'Enqueue')).to.have.length(1); // the caller waits again, on hold
    const requeued = await stateOf(first, 'queued');
    expect(requeued.queuedAt).to.equal(queuedAt);
    const order = await until(async () => {
      const w = await dispatch.queueSnapshot();
      return w.length === 2 ? w.map((x) => x.callId) : undefined;
    }, 'both waiting');
    expect(order).to.deep.equal([requeued.id, (await callOf(later)).id]);
    expect((await dispatch.operators.snapshot('op1')).state).to.equal('not_ready');

    // The next free operator gets the first caller, not the later one.
    await readyOperator('op2');
    const { root } = await dialUpdate(first, 2);
    expect(findAll(root, 'Identity')[0]!.text).to.equal('op2');
    expect(api.updatesOf(later)).to.have.length(0);
    const timeline = await store.getTimeline(requeued.id);
    expect(timeline.filter((e) => e.type === 'call.offered')).to.have.length(2);
    expect(timeline.find((e) => e.type === 'twilio.dial_result')!.data).to.include({ dialCallStatus: 'no-answer' });

    // Both hang up: the ring to op2 settles as caller_gone, then the later caller (perhaps offered to op2
    // by now) is gone too; as on Twilio, a finished call can no longer be redirected (21220).
    api.failCall(first, { status: 400, code: 21220, message: 'Call is not in-progress. Cannot redirect.' });
    api.failCall(later, { status: 400, code: 21220, message: 'Call is not in-progress. Cannot redirect.' });
    await post('/twilio/status', callForm(first, { CallStatus: 'completed' }));
    await post('/twilio/status', callForm(later, { CallStatus: 'completed' }));
    expect((await stateOf(first, 'ended')).endReason).to.equal('abandoned_in_queue');
    expect((await stateOf(later, 'ended')).endReason).to.equal('abandoned_in_queue');
  });

  it('reassurance at the IVR interval: the next wait turn says it in the caller language, then plain hold audio again', async () => {
    await start({ reassuranceMs: 400 });
    const sid = newCallSid();
    await callAndChoose(sid, '4');
    const plain = await twiml('/twilio/wait', callForm(sid, { QueueTime: '0' }));
    expect(plain.children.map((c) => c.name)).to.deep.equal(['Play']);
    await until(async () => (await timelineTypes(sid)).includes('call.reassured'), 'a reassurance mark');
    const reassured = await twiml('/twilio/wait', callForm(sid, { QueueTime: '1' }));
    expect(reassured.children.map((c) => c.name)).to.deep.equal(['Say', 'Play']);
    expect(reassured.children[0]!.text).to.equal(menu.languages.id!.prompts.reassurance.text);
  });

  it('a webhook for an unknown call takes it in instead of dropping it; a retried voice webhook resumes', async () => {
    await start();
    const sid = newCallSid();
    // The gather arrives although the voice webhook never got through.
    const root = await twiml('/twilio/gather?step=menu-7', callForm(sid, { Digits: '1' }));
    expect(findAll(root, 'Gather')).to.have.length(1);
    expect((await callOf(sid)).state).to.equal('in_ivr');
    // Twilio asks the voice URL again after a failure (attempt 1): the known call gets the menu again, not a second record.
    const resumed = await twiml('/twilio/voice?attempt=1', callForm(sid));
    expect(findAll(resumed, 'Gather')).to.have.length(1);
    expect(await store.queryCalls({})).to.have.length(1);
  });

  it('the IVR session is gone (restart, another instance): a category key still counts, no input queues as general', async () => {
    await start();
    const chose = newCallSid();
    const silent = newCallSid();
    await twiml('/twilio/voice', callForm(chose));
    await twiml('/twilio/voice', callForm(silent));
    // A new CallCenter on the same store and queue: the first one's IVR sessions are lost.
    center = new CallCenter({ store, dispatch: dispatchPortFor(dispatch), clock, logger, menu, events: new DomainEventBus(), agencies: agencyList(), maskCallerNumbers: true });
    const root = await twiml('/twilio/gather?step=menu-1', callForm(chose, { Digits: '1' }));
    expect(findAll(root, 'Enqueue')).to.have.length(1);
    const fire = await callOf(chose);
    expect(fire).to.include({ state: 'queued', category: 'fire', priority: 1 });
    expect((await store.getTimeline(fire.id)).find((e) => e.type === 'call.queued')!.data).to.include({ reason: 'ivr_unavailable' });
    await twiml('/twilio/no-input?step=menu-1', callForm(silent));
    expect(await callOf(silent)).to.include({ state: 'queued', category: 'general' });
    expect((await dispatch.queueSnapshot()).map((w) => w.callId)).to.deep.equal([fire.id, (await callOf(silent)).id]);
  });

  it('overflow with nobody logged in: the caller is transferred to the backup number, dialled again if it does not answer', async () => {
    const backup = '+62215999999';
    await start({ dispatch: { overflow: { action: 'transfer', transferTarget: backup, noOperatorSeconds: 0.2 } } });
    const sid = newCallSid();
    await callAndChoose(sid, '3');
    const update = await until(() => api.updatesOf(sid).find((r) => !!r.form.Twiml), 'the transfer update');
    const root = checkTwiml(update.form.Twiml!);
    expect(findAll(root, 'Number')[0]!.text).to.equal(backup);
    expect(findAll(root, 'Dial')[0]!.attrs.action).to.equal(`${PUBLIC_URL}/twilio/dial-action?purpose=transfer`);
    const ended = await stateOf(sid, 'ended');
    expect(ended.endReason).to.equal('transferred');
    // The backup did not answer: never leave the caller with nobody, dial it again.
    const again = await twiml('/twilio/dial-action?purpose=transfer', callForm(sid, { DialCallStatus: 'no-answer' }));
    expect(findAll(again, 'Number')[0]!.text).to.equal(backup);
    const done = await twiml('/twilio/dial-action?purpose=transfer', callForm(sid, { DialCallStatus: 'completed', DialCallSid: newCallSid(), DialCallDuration: '90' }), true);
    expect(done.children.map((c) => c.name)).to.deep.equal(['Hangup']);
    const results = (await store.getTimeline(ended.id)).filter((e) => e.type === 'twilio.transfer_result').map((e) => e.data.dialCallStatus);
    expect(results).to.deep.equal(['no-answer', 'completed']);
  });

  it('createTwilioBackend refuses to start without PUBLIC_URL or the auth token', async () => {
    const redisClient = await freshRedis();
    try {
      const base = { callCenter: () => center, store: { findByChannel: async () => undefined, getCall: async () => undefined }, redis: redisClient, clock, logger, menu: loadIvrMenu(menuFile) };
      const noUrl = configSchema.parse({ mode: 'twilio', twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN } });
      expect(() => createTwilioBackend({ ...base, config: noUrl })).to.throw(ConfigError, /PUBLIC_URL/);
      const noToken = configSchema.parse({ mode: 'twilio', service: { publicUrl: PUBLIC_URL }, twilio: { accountSid: ACCOUNT_SID } });
      expect(() => createTwilioBackend({ ...base, config: noToken })).to.throw(ConfigError, /TWILIO_AUTH_TOKEN/);
    } finally {
      redisClient.disconnect();
    }
  });
});
