import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { freshRedis } from '../support/redis';
import { connectTwiml, holdLoopTwiml, menuTwiml, retryTwiml, waitTwiml } from '../../src/twilio/twiml';
import { callForm, checkTwiml, findAll, newCallSid, postSigned, PUBLIC_URL, startWebhookServer, type WebhookServer } from './harness';

describe('twilio TwiML builders', () => {
  const prompt = { text: 'Tekan 1 untuk kebakaran & 2 untuk medis.', sayLanguage: 'id-ID', voice: 'Google.id-ID-Standard-A' };

  it('menu: one-digit Gather with absolute action, nested Say, then a Redirect for no input', () => {
    const root = checkTwiml(menuTwiml({ prompts: [prompt, { text: 'x', sayLanguage: 'en-US', audioUrl: 'https://cdn.example/menu.wav' }], timeoutSeconds: 5, actionUrl: `${PUBLIC_URL}/twilio/gather?step=menu-1`, noInputUrl: `${PUBLIC_URL}/twilio/no-input?step=menu-1` }));
    expect(root.children.map((c) => c.name)).to.deep.equal(['Gather', 'Redirect']);
    const gather = root.children[0]!;
    expect(gather.attrs).to.include({ numDigits: '1', timeout: '5', action: `${PUBLIC_URL}/twilio/gather?step=menu-1`, method: 'POST', input: 'dtmf' });
    expect(gather.children.map((c) => c.name)).to.deep.equal(['Say', 'Play']);
    expect(gather.children[0]!.attrs).to.deep.equal({ language: 'id-ID', voice: 'Google.id-ID-Standard-A' });
    expect(gather.children[0]!.text).to.equal(prompt.text);
    expect(root.children[1]!.text).to.equal(`${PUBLIC_URL}/twilio/no-input?step=menu-1`);
    expect(findAll(root, 'Hangup')).to.have.length(0);
  });

  it('refuses a relative action (inline TwiML has no document URL)', () => {
    expect(() => menuTwiml({ prompts: [prompt], timeoutSeconds: 5, actionUrl: '/twilio/gather', noInputUrl: `${PUBLIC_URL}/x` })).to.throw(/absolute/);
  });

  it('wait: Enqueue with an absolute waitUrl and a fall-through Redirect, never a Hangup', () => {
    const root = checkTwiml(waitTwiml({ prompts: [prompt], queueName: 'siaga112', waitUrl: `${PUBLIC_URL}/twilio/wait`, holdLoopUrl: `${PUBLIC_URL}/twilio/wait?mode=loop` }));
    expect(root.children.map((c) => c.name)).to.deep.equal(['Say', 'Enqueue', 'Redirect']);
    expect(root.children[1]!.attrs).to.deep.equal({ waitUrl: `${PUBLIC_URL}/twilio/wait`, waitUrlMethod: 'POST' });
    expect(root.children[1]!.attrs).to.not.have.property('action');
  });

  it('hold loop: reassurance then hold audio; the plain loop redirects to itself', () => {
    const inQueue = checkTwiml(holdLoopTwiml({ reassurance: [prompt], holdAudioUrl: 'https://cdn.example/hold.wav' }));
    expect(inQueue.children.map((c) => c.name)).to.deep.equal(['Say', 'Play']);
    const loop = checkTwiml(holdLoopTwiml({ loopUrl: `${PUBLIC_URL}/twilio/wait?mode=loop` }));
    expect(loop.children.map((c) => c.name)).to.deep.equal(['Pause', 'Redirect']);
  });

  it('connect: Dial with the ring timeout, absolute action and a Client identity or Sip address', () => {
    const client = checkTwiml(connectTwiml({ target: { kind: 'client', identity: 'op1' }, ringTimeoutSeconds: 15, actionUrl: `${PUBLIC_URL}/twilio/dial-action?ring=r`, legStatusUrl: `${PUBLIC_URL}/twilio/operator-status?ring=r`, parameters: { callId: 'call_1' } }));
    const dial = findAll(client, 'Dial')[0]!;
    expect(dial.attrs).to.include({ timeout: '15', action: `${PUBLIC_URL}/twilio/dial-action?ring=r`, method: 'POST' });
    expect(findAll(client, 'Identity')[0]!.text).to.equal('op1');
    expect(findAll(client, 'Client')[0]!.attrs.statusCallbackEvent).to.equal('initiated ringing answered completed');
    const sip = checkTwiml(connectTwiml({ target: { kind: 'sip', uri: 'sip:op2@pbx.example.go.id' }, ringTimeoutSeconds: 2, actionUrl: `${PUBLIC_URL}/a` }));
    expect(findAll(sip, 'Sip')[0]!.text).to.equal('sip:op2@pbx.example.go.id');
    expect(findAll(sip, 'Dial')[0]!.attrs.timeout).to.equal('5'); // Twilio's minimum
  });

  it('retry: pause and redirect, no hang-up', () => {
    const root = checkTwiml(retryTwiml({ retryUrl: `${PUBLIC_URL}/twilio/voice?attempt=1` }));
    expect(root.children.map((c) => c.name)).to.deep.equal(['Pause', 'Redirect']);
  });

  it('the checker itself rejects what Twilio would not accept', () => {
    expect(() => checkTwiml('<Response><Gather numDigits="1"/></Response>')).to.throw(/without action/);
    expect(() => checkTwiml('<Response><Gather action="/rel"/></Response>')).to.throw(/absolute/);
    expect(() => checkTwiml('<Response><Say colour="red">x</Say></Response>')).to.throw(/attribute colour/);
    expect(() => checkTwiml('<Response><Gather action="https://x/a"><Dial/></Gather></Response>')).to.throw(/nested/);
    expect(() => checkTwiml('<Response><Say>x</Response>')).to.throw(/XML/);
  });
});

describe('twilio webhook routes', () => {
  let redis: Redis;
  let server: WebhookServer;

  beforeEach(async () => {
    redis = await freshRedis();
    server = await startWebhookServer(redis);
  });
  afterEach(async () => {
    await server.close();
    redis.disconnect();
  });

  it('voice: creates the call through the handler and answers the IVR menu', async () => {
    const sid = newCallSid();
    const res = await postSigned(server, '/twilio/voice', callForm(sid, { CallStatus: 'ringing' }));
    expect(res.status).to.equal(200);
    const root = checkTwiml(res.body);
    expect(findAll(root, 'Gather')[0]!.attrs.action).to.equal(`${PUBLIC_URL}/twilio/gather?step=menu-1`);
    const call = server.handler.onIncoming.firstCall.args[0];
    expect(call).to.include({ callSid: sid, from: '+6281234567890', to: '+62215000112', callStatus: 'ringing', attempt: 0, fromCountry: 'ID' });
  });

  it('gather: passes the digit and step, answers Enqueue', async () => {
    const sid = newCallSid();
    const res = await postSigned(server, '/twilio/gather?step=menu-1', callForm(sid, { Digits: '1' }));
    expect(res.status).to.equal(200);
    const root = checkTwiml(res.body);
    expect(findAll(root, 'Enqueue')[0]!.text).to.equal('siaga112');
    expect(server.handler.onDigit.firstCall.args[0]).to.include({ callSid: sid, step: 'menu-1', digits: '1' });
  });

  it('no-input: asks the handler, which never hangs up', async () => {
    const res = await postSigned(server, '/twilio/no-input?step=menu-1', callForm(newCallSid()));
    expect(res.status).to.equal(200);
    expect(findAll(checkTwiml(res.body), 'Hangup')).to.have.length(0);
    expect(server.handler.onNoInput.calledOnce).to.equal(true);
  });

  it('malformed webhooks get 400 naming the fields, and the handler is not called', async () => {
    const bad = callForm('CA-not-a-sid', { CallStatus: 'dancing', Digits: '12' });
    const res = await postSigned(server, '/twilio/gather?step=menu-1', bad);
    expect(res.status).to.equal(400);
    const fields = (JSON.parse(res.body).error.details.issues as Array<{ field: string }>).map((i) => i.field);
    expect(fields).to.include.members(['body.CallSid', 'body.CallStatus', 'body.Digits']);
    const noStep = await postSigned(server, '/twilio/gather', callForm(newCallSid(), { Digits: '1' }));
    expect(noStep.status).to.equal(400);
    expect(noStep.body).to.contain('query.step');
    expect(server.handler.onDigit.called).to.equal(false);
  });

  it('a replayed webhook runs the handler once and gets the same TwiML', async () => {
    const form = callForm(newCallSid(), { Digits: '2' });
    const first = await postSigned(server, '/twilio/gather?step=menu-1', form);
    const second = await postSigned(server, '/twilio/gather?step=menu-1', form);
    expect(second.status).to.equal(200);
    expect(second.body).to.equal(first.body);
    expect(server.handler.onDigit.callCount).to.equal(1);
    // The same call at another step is a new event.
    await postSigned(server, '/twilio/gather?step=menu-2', form);
    expect(server.handler.onDigit.callCount).to.equal(2);
  });

  it('concurrent duplicates: one handler run, both answered', async () => {
    server.handler.onIncoming.callsFake(async () => {
      await new Promise((r) => setTimeout(r, 100));
      return { kind: 'wait' };
    });
    const form = callForm(newCallSid());
    const [a, b] = await Promise.all([postSigned(server, '/twilio/voice', form), postSigned(server, '/twilio/voice', form)]);
    expect(server.handler.onIncoming.callCount).to.equal(1);
    expect(a.body).to.equal(b.body);
  });

  it('a replayed status callback changes the record once', async () => {
    const form = callForm(newCallSid(), { CallStatus: 'completed', CallDuration: '42' });
    const r1 = await postSigned(server, '/twilio/status', form);
    const r2 = await postSigned(server, '/twilio/status', form);
    expect([r1.status, r2.status]).to.deep.equal([204, 204]);
    expect(server.handler.onStatus.callCount).to.equal(1);
    expect(server.handler.onStatus.firstCall.args[0]).to.include({ callStatus: 'completed', callDurationSeconds: 42 });
  });

  it('a failing handler keeps the caller on the line and lets the retry run it again', async () => {
    const sid = newCallSid();
    server.handler.onIncoming.onFirstCall().rejects(new Error('store down'));
    const res = await postSigned(server, '/twilio/voice', callForm(sid));
    expect(res.status).to.equal(200);
    const root = checkTwiml(res.body);
    expect(findAll(root, 'Hangup')).to.have.length(0);
    expect(findAll(root, 'Redirect')[0]!.text).to.equal(`${PUBLIC_URL}/twilio/voice?attempt=1`);
    const retry = await postSigned(server, '/twilio/voice?attempt=1', callForm(sid));
    expect(findAll(checkTwiml(retry.body), 'Gather')).to.have.length(1);
    expect(server.handler.onIncoming.callCount).to.equal(2);
    expect(server.handler.onIncoming.secondCall.args[0].attempt).to.equal(1);
  });

  it('after the last retry the failover number is dialled', async () => {
    await server.close();
    server = await startWebhookServer(redis, { maxAttempts: 1, failoverTarget: '+62215999999' });
    server.handler.onIncoming.rejects(new Error('store down'));
    const res = await postSigned(server, '/twilio/voice?attempt=1', callForm(newCallSid()));
    const root = checkTwiml(res.body);
    expect(findAll(root, 'Number')[0]!.text).to.equal('+62215999999');
    expect(findAll(root, 'Dial')[0]!.attrs.action).to.equal(`${PUBLIC_URL}/twilio/dial-action?purpose=transfer`);
  });

  it('wait: hold audio each turn, reassurance when requested, and the loop mode redirects to itself', async () => {
    const sid = newCallSid();
    server.handler.onWait.callsFake(async (e: { reassureRequested: boolean }) =>
      e.reassureRequested ? { reassurance: [{ text: 'Mohon jangan tutup telepon.', sayLanguage: 'id-ID' }] } : {},
    );
    const plain = checkTwiml((await postSigned(server, '/twilio/wait', callForm(sid, { QueueTime: '12' }))).body);
    expect(plain.children.map((c) => c.name)).to.deep.equal(['Play']);
    await server.marks.mark(sid);
    const reassured = checkTwiml((await postSigned(server, '/twilio/wait', callForm(sid, { QueueTime: '20' }))).body);
    expect(reassured.children.map((c) => c.name)).to.deep.equal(['Say', 'Play']);
    const again = checkTwiml((await postSigned(server, '/twilio/wait', callForm(sid))).body);
    expect(again.children.map((c) => c.name)).to.deep.equal(['Play']);
    expect(server.handler.onWait.secondCall.args[0]).to.include({ reassureRequested: true, queueTimeSeconds: 20 });
    const loop = checkTwiml((await postSigned(server, '/twilio/wait?mode=loop', callForm(sid))).body);
    expect(findAll(loop, 'Redirect')[0]!.text).to.equal(`${PUBLIC_URL}/twilio/wait?mode=loop`);
  });

  it('wait: a failing handler still plays hold audio', async () => {
    server.handler.onWait.rejects(new Error('boom'));
    const res = await postSigned(server, '/twilio/wait', callForm(newCallSid()));
    expect(checkTwiml(res.body).children.map((c) => c.name)).to.deep.equal(['Play']);
  });

  it('dial-action: the handler decides; end after a conversation, wait after no answer', async () => {
    const sid = newCallSid();
    const ring = 'ring_' + 'a'.repeat(32);
    server.handler.onDialResult.resolves({ kind: 'end' });
    const ended = await postSigned(server, `/twilio/dial-action?ring=${ring}`, callForm(sid, { DialCallStatus: 'completed', DialCallSid: newCallSid(), DialCallDuration: '60' }));
    expect(findAll(checkTwiml(ended.body), 'Hangup')).to.have.length(1);
    expect(server.handler.onDialResult.firstCall.args[0]).to.include({ purpose: 'operator', ring, dialCallStatus: 'completed', dialCallDurationSeconds: 60 });
    server.handler.onDialResult.resolves({ kind: 'wait' });
    const ring2 = 'ring_' + 'b'.repeat(32);
    const back = await postSigned(server, `/twilio/dial-action?ring=${ring2}`, callForm(newCallSid(), { DialCallStatus: 'no-answer' }));
    expect(findAll(checkTwiml(back.body), 'Enqueue')).to.have.length(1);
    const badRing = await postSigned(server, '/twilio/dial-action?ring=x', callForm(newCallSid(), { DialCallStatus: 'no-answer' }));
    expect(badRing.status).to.equal(400);
  });
});
