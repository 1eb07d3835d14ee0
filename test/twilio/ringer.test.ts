import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { ManualClock, SystemClock } from '../../src/core/clock';
import { silentLogger } from '../../src/core/logger';
import type { Offer, RingResult } from '../../src/ports/telephony';
import { createTwilioRestClient } from '../../src/twilio/rest-client';
import { InMemoryRingEventBus, RedisRingEventBus, type RingEventBus } from '../../src/twilio/ring-events';
import { TwilioOperatorRinger } from '../../src/twilio/operator-ringer';
import { ReassureMarks, TwilioWaitingCallerControl } from '../../src/twilio/waiting-control';
import { TwilioUrls } from '../../src/twilio/webhook-urls';
import { FakeTwilioApi, type RecordedTwilioRequest } from '../support/fake-twilio';
import { freshRedis } from '../support/redis';
import { ACCOUNT_SID, AUTH_TOKEN, callForm, checkTwiml, findAll, newCallSid, postSigned, PUBLIC_URL, startWebhookServer, type WebhookServer } from './harness';

describe('twilio OperatorRinger against a fake Twilio REST API', () => {
  let redis: Redis;
  let api: FakeTwilioApi;
  let server: WebhookServer;
  let bus: InMemoryRingEventBus;
  const sids = new Map<string, string>();

  const makeRinger = (clock = new SystemClock(), ringBus: RingEventBus = bus) =>
    new TwilioOperatorRinger({
      client: createTwilioRestClient({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: api.baseUrl }),
      urls: new TwilioUrls(PUBLIC_URL),
      bus: ringBus,
      clock,
      logger: silentLogger(),
      callSidOf: async (callId) => sids.get(callId),
    });

  const offerFor = (callSid: string, endpoint = 'client:op1'): Offer => {
    const callId = `call_${callSid.slice(-8)}`;
    sids.set(callId, callSid);
    return { callId, operatorId: 'op1', endpoint, callerNumber: '+6281234567890', category: 'fire', language: 'id', ringTimeoutMs: 15_000 };
  };

  /** Wait for the REST update, return the ring token from its inline TwiML. */
  const updated = async (callSid: string): Promise<{ request: RecordedTwilioRequest; ring: string }> => {
    const request = await api.waitFor((r) => r.kind === 'update' && r.callSid === callSid && !!r.form.Twiml);
    const ring = /ring=(ring_[0-9a-f]{32})/.exec(request.form.Twiml!)![1]!;
    return { request, ring };
  };

  beforeEach(async () => {
    redis = await freshRedis();
    api = await new FakeTwilioApi(ACCOUNT_SID).start();
    bus = new InMemoryRingEventBus();
    server = await startWebhookServer(redis, { ringEvents: bus });
  });
  afterEach(async () => {
    await server.close();
    await api.stop();
    redis.disconnect();
  });

  it('redirects the live call with inline TwiML whose URLs are all absolute, authenticated as the account', async () => {
    const sid = newCallSid();
    const pending = makeRinger().ring(offerFor(sid));
    const { request, ring } = await updated(sid);
    expect(request.username).to.equal(ACCOUNT_SID);
    expect(request.password).to.equal(AUTH_TOKEN);
    const root = checkTwiml(request.form.Twiml!);
    const dial = findAll(root, 'Dial')[0]!;
    expect(dial.attrs).to.include({ timeout: '15', action: `${PUBLIC_URL}/twilio/dial-action?ring=${ring}` });
    expect(findAll(root, 'Identity')[0]!.text).to.equal('op1');
    expect(findAll(root, 'Client')[0]!.attrs.statusCallback).to.equal(`${PUBLIC_URL}/twilio/operator-status?ring=${ring}`);
    await postSigned(server, `/twilio/dial-action?ring=${ring}`, callForm(sid, { DialCallStatus: 'no-answer' }));
    expect(await pending).to.equal('no_answer');
  });

  const cases: Array<[string, RingResult]> = [
    ['completed', 'answered'],
    ['answered', 'answered'],
    ['no-answer', 'no_answer'],
    ['busy', 'busy'],
    ['failed', 'failed'],
  ];
  for (const [dialStatus, expected] of cases) {
    it(`Dial action DialCallStatus=${dialStatus} → ${expected}`, async () => {
      const sid = newCallSid();
      const pending = makeRinger().ring(offerFor(sid));
      const { ring } = await updated(sid);
      const res = await postSigned(server, `/twilio/dial-action?ring=${ring}`, callForm(sid, { DialCallStatus: dialStatus }));
      expect(res.status).to.equal(200);
      expect(await pending).to.equal(expected);
    });
  }

  it('settles answered as soon as the operator leg answers (before the conversation ends)', async () => {
    const sid = newCallSid();
    const leg = newCallSid();
    const pending = makeRinger().ring(offerFor(sid));
    const { ring } = await updated(sid);
    await postSigned(server, `/twilio/operator-status?ring=${ring}`, callForm(leg, { ParentCallSid: sid, CallStatus: 'ringing', Direction: 'outbound-dial' }));
    const res = await postSigned(server, `/twilio/operator-status?ring=${ring}`, callForm(leg, { ParentCallSid: sid, CallStatus: 'in-progress', Direction: 'outbound-dial' }));
    expect(res.status).to.equal(204);
    expect(await pending).to.equal('answered');
  });

  it('caller hangs up while the operator rings → caller_gone, and the ringing leg is ended with Status=completed', async () => {
    const sid = newCallSid();
    const leg = newCallSid();
    const pending = makeRinger().ring(offerFor(sid));
    const { ring } = await updated(sid);
    await postSigned(server, `/twilio/operator-status?ring=${ring}`, callForm(leg, { ParentCallSid: sid, CallStatus: 'ringing' }));
    await postSigned(server, '/twilio/status', callForm(sid, { CallStatus: 'completed' }));
    expect(await pending).to.equal('caller_gone');
    const end = await api.waitFor((r) => r.kind === 'update' && r.callSid === leg);
    expect(end.form).to.deep.equal({ Status: 'completed' });
    expect(server.handler.onStatus.calledOnce).to.equal(true);
  });

  it('a Dial action reporting the caller gone (CallStatus=completed, not answered) → caller_gone', async () => {
    const sid = newCallSid();
    const pending = makeRinger().ring(offerFor(sid));
    const { ring } = await updated(sid);
    await postSigned(server, `/twilio/dial-action?ring=${ring}`, callForm(sid, { CallStatus: 'completed', DialCallStatus: 'no-answer' }));
    expect(await pending).to.equal('caller_gone');
  });

  it('a report about an earlier ring of the same call is ignored', async () => {
    const sid = newCallSid();
    const pending = makeRinger().ring(offerFor(sid));
    const { ring } = await updated(sid);
    await postSigned(server, `/twilio/dial-action?ring=ring_${'c'.repeat(32)}`, callForm(sid, { DialCallStatus: 'busy' }));
    await postSigned(server, `/twilio/dial-action?ring=${ring}`, callForm(sid, { DialCallStatus: 'completed' }));
    expect(await pending).to.equal('answered');
  });

  it('the call is already gone when redirecting (Twilio 404) → caller_gone; other REST errors → failed', async () => {
    const gone = newCallSid();
    api.failCall(gone);
    expect(await makeRinger().ring(offerFor(gone))).to.equal('caller_gone');
    const finished = newCallSid();
    api.failCall(finished, { status: 400, code: 21220, message: 'Invalid call state' });
    expect(await makeRinger().ring(offerFor(finished))).to.equal('caller_gone');
    const broken = newCallSid();
    api.failCall(broken, { status: 500, code: 20500, message: 'Internal Server Error' });
    expect(await makeRinger().ring(offerFor(broken))).to.equal('failed');
  });

  it('an endpoint Twilio cannot dial → unreachable, without touching the call', async () => {
    const sid = newCallSid();
    expect(await makeRinger().ring(offerFor(sid, 'PJSIP/op1'))).to.equal('unreachable');
    expect(api.updatesOf(sid)).to.have.length(0);
  });

  it('settles no_answer when Twilio says nothing past the ring timeout, ending a known leg', async () => {
    const clock = new ManualClock();
    const sid = newCallSid();
    const leg = newCallSid();
    const pending = makeRinger(clock).ring(offerFor(sid));
    const { ring } = await updated(sid);
    await postSigned(server, `/twilio/operator-status?ring=${ring}`, callForm(leg, { ParentCallSid: sid, CallStatus: 'ringing' }));
    clock.advance(15_000 + 9_999);
    let settled = false;
    void pending.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).to.equal(false);
    clock.advance(1);
    expect(await pending).to.equal('no_answer');
    const end = await api.waitFor((r) => r.kind === 'update' && r.callSid === leg);
    expect(end.form.Status).to.equal('completed');
  });

  it('over Redis: the dial action reaching another instance settles the ring', async () => {
    const ringerBus = new RedisRingEventBus(redis);
    const webhookBus = new RedisRingEventBus(redis.duplicate());
    await ringerBus.start();
    await server.close();
    server = await startWebhookServer(redis, { ringEvents: webhookBus });
    try {
      const sid = newCallSid();
      const pending = makeRinger(new SystemClock(), ringerBus).ring(offerFor(sid));
      const { ring } = await updated(sid);
      await postSigned(server, `/twilio/dial-action?ring=${ring}`, callForm(sid, { DialCallStatus: 'busy' }));
      expect(await pending).to.equal('busy');
    } finally {
      await ringerBus.close();
      await webhookBus.close();
    }
  });
});

describe('twilio WaitingCallerControl', () => {
  let redis: Redis;
  let api: FakeTwilioApi;
  let control: TwilioWaitingCallerControl;
  let marks: ReassureMarks;
  const sid = newCallSid();

  beforeEach(async () => {
    redis = await freshRedis();
    api = await new FakeTwilioApi(ACCOUNT_SID).start();
    marks = new ReassureMarks(redis);
    control = new TwilioWaitingCallerControl({
      client: createTwilioRestClient({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: api.baseUrl }),
      urls: new TwilioUrls(PUBLIC_URL),
      callSidOf: async (callId) => (callId === 'call_1' ? sid : undefined),
      marks,
      logger: silentLogger(),
    });
  });
  afterEach(async () => {
    await api.stop();
    redis.disconnect();
  });

  it('reassure marks the call for its next wait-loop turn, once, without a REST call', async () => {
    await control.reassure('call_1');
    expect(await marks.take(sid)).to.equal(true);
    expect(await marks.take(sid)).to.equal(false);
    expect(api.requests).to.have.length(0);
  });

  it('transfer updates the call to a Dial of the backup number with an absolute action', async () => {
    await control.transfer('call_1', '+62215999999');
    const [update] = api.updatesOf(sid);
    const root = checkTwiml(update!.form.Twiml!);
    expect(findAll(root, 'Number')[0]!.text).to.equal('+62215999999');
    expect(findAll(root, 'Dial')[0]!.attrs.action).to.equal(`${PUBLIC_URL}/twilio/dial-action?purpose=transfer`);
  });

  it('refuses a bad target, an unknown call, and reports a gone call as TelephonyError(gone)', async () => {
    await control.transfer('call_1', 'PJSIP/backup').then(
      () => expect.fail('should refuse'),
      (err: Error) => expect(err.name).to.equal('ValidationError'),
    );
    await control.reassure('call_unknown').then(
      () => expect.fail('should refuse'),
      (err: Error) => expect(err.name).to.equal('NotFoundError'),
    );
    api.failCall(sid);
    await control.transfer('call_1', '+62215999999').then(
      () => expect.fail('should fail'),
      (err: { name: string; gone: boolean }) => expect([err.name, err.gone]).to.deep.equal(['TelephonyError', true]),
    );
  });
});
