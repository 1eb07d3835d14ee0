import { expect } from 'chai';
import { ConsoleHarness, issueFields, waitFor, type Login } from './api-harness';

type Json = Record<string, unknown>;
const get = <T = Json>(v: unknown, key: string): T => (v as Json)[key] as T;

/** Read a Server-Sent Events stream into a list of parsed messages. */
async function openLive(h: ConsoleHarness, login: Login): Promise<{ messages: Json[]; close: () => void }> {
  const controller = new AbortController();
  const res = await fetch(`${h.url}/api/live`, { headers: { cookie: login.cookie }, signal: controller.signal });
  expect(res.status).to.equal(200);
  expect(res.headers.get('content-type')).to.match(/^text\/event-stream/);
  const messages: Json[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (data) messages.push(JSON.parse(data) as Json);
        }
      }
    } catch {
      // aborted
    }
  })();
  await waitFor(() => messages.length > 0, 'live.hello');
  return { messages, close: () => controller.abort() };
}

describe('Console API: an operator handles a call; callbacks; supervisor views; live; metrics', () => {
  let h: ConsoleHarness;
  let op1: Login;
  let op2: Login;
  let sup: Login;

  beforeEach(async () => {
    h = await ConsoleHarness.start({ staticFiles: false });
    op1 = await h.login('op1');
    op2 = await h.login('op2');
    sup = await h.login('sup');
  });
  afterEach(async () => h.stop());

  it('ready, offered call with caller history, answer, wrap-up, outcome recorded, ready again', async () => {
    // An earlier call of the same number, classified as a prank.
    const earlier = await h.queueCall('081277778888', '3');
    await h.center.callerHungUp(earlier);
    await h.store.saveOutcome({ callId: earlier, operatorId: 'op2', confirmedCategory: 'police', classification: 'prank', agencies: [], notes: '', submittedAt: h.clock.now() });

    expect(get(get((await h.request('GET', '/api/me/operator', { login: op1 })).body, 'operator'), 'state')).to.equal('offline');
    const ready = await h.request('POST', '/api/me/ready', { login: op1 });
    expect(ready.status).to.equal(200);
    expect(get(ready.body, 'operator')).to.include({ state: 'ready', free: true, softphoneRegistered: true });
    expect((await h.request('GET', '/api/me/call', { login: op1 })).body.current).to.equal(null);

    const callId = await h.queueCall('081277778888', '2', { text: 'Jl. Sudirman 5', source: 'sip-geolocation' });
    await waitFor(() => h.ringer.ringing(callId), 'op1 rung');
    const offered = await h.request('GET', '/api/me/call', { login: op1 });
    const current = get<Json>(offered.body, 'current');
    expect(current.phase).to.equal('offered');
    expect(get(current, 'call')).to.include({ id: callId, callerNumber: '081277778888', category: 'medical', language: 'id', languageName: 'Bahasa Indonesia' });
    expect(get(get(current, 'call'), 'location')).to.deep.include({ text: 'Jl. Sudirman 5' });
    expect(get<Json>(get(current, 'call'), 'categoryName').en).to.equal('Medical / ambulance');
    expect(get<Json[]>(current, 'history').map((e) => [e.callId, e.classification])).to.deep.equal([[earlier, 'prank']]);

    // op2 cannot see op1's call, nor record its outcome.
    expect((await h.request('GET', `/api/calls/${callId}`, { login: op2 })).status).to.equal(403);

    h.ringer.settle(callId, 'answered');
    await waitFor(async () => (await h.store.getCall(callId))?.state === 'connected', 'connected');
    const onCall = await h.request('GET', '/api/me/call', { login: op1 });
    expect(get(get(onCall.body, 'current'), 'phase')).to.equal('on_call');
    expect(get(get(await h.request('GET', '/api/me/operator', { login: op1 }).then((r) => r.body), 'operator'), 'state')).to.equal('on_call');

    await h.center.callerHungUp(callId);
    const wrap = await h.request('GET', '/api/me/call', { login: op1 });
    expect(get(get(wrap.body, 'current'), 'phase')).to.equal('wrap_up');
    expect(get<number>(get(wrap.body, 'current'), 'wrapUpUntil')).to.be.greaterThan(h.clock.now());

    const denied = await h.request('POST', `/api/calls/${callId}/outcome`, { login: op2, body: { confirmedCategory: 'medical', classification: 'emergency' } });
    expect(denied.status).to.equal(403);

    const submitted = await h.request('POST', `/api/calls/${callId}/outcome`, {
      login: op1,
      body: { confirmedCategory: 'medical', classification: 'emergency', agencies: ['ambulance', 'pln'], location: { text: 'Jl. Sudirman 5, depan masjid' }, notes: 'pingsan' },
    });
    expect(submitted.status, submitted.text).to.equal(201);
    const stored = await h.store.getOutcome(callId);
    expect(stored).to.include({ classification: 'emergency', confirmedCategory: 'medical', operatorId: 'op1', notes: 'pingsan' });
    expect(stored!.agencies).to.deep.equal(['ambulance', 'pln']);
    await waitFor(async () => get<string>(get((await h.request('GET', '/api/me/operator', { login: op1 })).body, 'operator'), 'state') === 'ready', 'ready after outcome');

    const again = await h.request('POST', `/api/calls/${callId}/outcome`, { login: op1, body: { confirmedCategory: 'medical', classification: 'emergency' } });
    expect(again.status).to.equal(409);

    const detail = await h.request('GET', `/api/calls/${callId}`, { login: op1 });
    expect(detail.status).to.equal(200);
    expect(get<Json[]>(detail.body, 'timeline').map((e) => e.type)).to.include.members(['call.created', 'call.queued', 'call.offered', 'call.connected', 'call.ended', 'outcome.submitted']);
    expect(get(detail.body, 'outcome')).to.include({ classification: 'emergency' });
  });

  it('a bad outcome payload gets 400 naming every bad field, and nothing is stored', async () => {
    await h.request('POST', '/api/me/ready', { login: op1 });
    const callId = await h.queueCall();
    await waitFor(() => h.ringer.ringing(callId), 'rung');
    h.ringer.settle(callId, 'answered');
    await waitFor(async () => (await h.store.getCall(callId))?.state === 'connected', 'connected');

    const bad = await h.request('POST', `/api/calls/${callId}/outcome`, {
      login: op1,
      body: { confirmedCategory: 'unicorn', classification: 'maybe', agencies: ['police', 'police', 'ghostbusters'], location: { latitude: 123 }, notes: 5, extra: true },
    });
    expect(bad.status).to.equal(400);
    expect(bad.body.error?.code).to.equal('validation_failed');
    expect(issueFields(bad)).to.include.members(['confirmedCategory', 'classification', 'agencies.1', 'agencies.2', 'location.latitude', 'notes', 'extra']);
    const notJson = await h.request('POST', `/api/calls/${callId}/outcome`, { login: op1, rawBody: '{"classification":' });
    expect(notJson.status).to.equal(400);
    expect(issueFields(notJson)).to.deep.equal(['(body)']);
    expect(await h.store.getOutcome(callId)).to.equal(undefined);
  });

  it('not ready needs a reason (400 naming it); with one the operator is not ready for that reason and gets no call', async () => {
    const missing = await h.request('POST', '/api/me/not-ready', { login: op1, body: {} });
    expect(missing.status).to.equal(400);
    expect(issueFields(missing)).to.deep.equal(['reason']);
    const tooLong = await h.request('POST', '/api/me/not-ready', { login: op1, body: { reason: 'x'.repeat(65) } });
    expect(issueFields(tooLong)).to.deep.equal(['reason']);

    const r = await h.request('POST', '/api/me/not-ready', { login: op1, body: { reason: 'break' } });
    expect(get(r.body, 'operator')).to.include({ state: 'not_ready', reason: 'break' });
    await h.request('POST', '/api/me/ready', { login: op1 });
    const r2 = await h.request('POST', '/api/me/not-ready', { login: op1, body: { reason: 'meeting' } });
    expect(get(r2.body, 'operator')).to.include({ state: 'not_ready', reason: 'meeting' });

    const callId = await h.queueCall();
    await new Promise((res) => setTimeout(res, 100));
    expect(h.ringer.rings.filter((o) => o.callId === callId)).to.have.length(0);
    const off = await h.request('POST', '/api/me/offline', { login: op1 });
    expect(get(off.body, 'operator')).to.include({ state: 'offline' });
  });

  it('callbacks: an abandoned call appears oldest first; one operator takes it, the other cannot (409)', async () => {
    const first = await h.queueCall('081200000001');
    const second = await h.queueCall('081200000002');
    await h.center.callerHungUp(first);
    await h.center.callerHungUp(second);

    const list = await h.request('GET', '/api/callbacks', { login: op2 });
    const callbacks = get<Json[]>(list.body, 'callbacks');
    expect(callbacks.map((c) => c.callId)).to.deep.equal([first, second]);
    expect(callbacks[0]).to.include({ callerNumber: '081200000001', category: 'medical', status: 'open' });

    const taskId = callbacks[0]!.id as string;
    const take = await h.request('POST', `/api/callbacks/${taskId}/take`, { login: op1 });
    expect(take.status).to.equal(200);
    expect(get(take.body, 'callback')).to.include({ status: 'taken', takenBy: 'op1' });
    const late = await h.request('POST', `/api/callbacks/${taskId}/take`, { login: op2 });
    expect(late.status).to.equal(409);

    const forOp2 = await h.request('GET', '/api/callbacks', { login: op2 });
    expect(get<Json[]>(forOp2.body, 'callbacks').map((c) => c.callId)).to.deep.equal([second]);
    const forOp1 = await h.request('GET', '/api/callbacks', { login: op1 });
    expect(get<Json[]>(forOp1.body, 'mine').map((c) => c.callId)).to.deep.equal([first]);

    // The taken callback is op1's work at hand; its outcome completes the task.
    const mine = await h.request('GET', '/api/me/call', { login: op1 });
    expect(get(mine.body, 'current')).to.include({ phase: 'callback', callbackTaskId: taskId });
    expect((await h.request('GET', `/api/calls/${first}`, { login: op1 })).status).to.equal(200);
    const outcome = await h.request('POST', `/api/calls/${first}/outcome`, { login: op1, body: { confirmedCategory: 'general', classification: 'non_emergency' } });
    expect(outcome.status, outcome.text).to.equal(201);
    expect((await h.store.listCallbacks('done')).map((t) => t.id)).to.deep.equal([taskId]);

    const bad = await h.request('GET', '/api/callbacks?status=lost', { login: op1 });
    expect(bad.status).to.equal(400);
    expect(issueFields(bad)).to.deep.equal(['status']);
    expect((await h.request('POST', '/api/callbacks/cb_nothere/take', { login: op1 })).status).to.equal(404);
  });

  it('supervisor: the queue in dispatch order with waiting times, and the operators', async () => {
    const general = await h.queueCall('081300000001', '0');
    const fire = await h.queueCall('081300000002', '1');
    const q = await h.request('GET', '/api/queue', { login: sup });
    expect(q.status).to.equal(200);
    expect(get<Json[]>(q.body, 'calls').map((c) => c.callId)).to.deep.equal([fire, general]);
    expect(q.body.length).to.equal(2);
    expect(q.body.longestWaitSeconds).to.be.a('number');

    await h.request('POST', '/api/me/not-ready', { login: op2, body: { reason: 'training' } });
    const ops = await h.request('GET', '/api/operators', { login: sup });
    const byId = Object.fromEntries(get<Json[]>(ops.body, 'operators').map((o) => [o.id, o]));
    expect(byId.op2).to.include({ state: 'not_ready', reason: 'training' });
    expect(byId.op1).to.include({ state: 'offline' });
  });

  it('live: an operator gets their own events and callback changes, not other operators\' calls; a supervisor gets everything', async () => {
    const live1 = await openLive(h, op1);
    const live2 = await openLive(h, op2);
    const liveSup = await openLive(h, sup);
    try {
      expect(live1.messages[0]).to.include({ type: 'live.hello', role: 'operator' });
      await h.request('POST', '/api/me/ready', { login: op1 });
      const callId = await h.queueCall();
      await waitFor(() => live1.messages.some((m) => m.type === 'call.offered' && m.callId === callId), 'op1 sees the offer');
      h.ringer.settle(callId, 'no_answer');
      await waitFor(() => live1.messages.some((m) => m.type === 'call.missed'), 'op1 sees the miss');
      await h.center.callerHungUp(callId);
      await waitFor(() => live2.messages.some((m) => m.type === 'callback.created' && m.callId === callId), 'op2 sees the callback');
      await waitFor(() => liveSup.messages.some((m) => m.type === 'call.queued'), 'supervisor sees the queue');
      expect(live2.messages.map((m) => m.type)).to.not.include.members(['call.offered', 'call.missed', 'call.queued']);
      expect(live2.messages.some((m) => m.type === 'operator.state')).to.equal(false);
      expect(JSON.stringify(liveSup.messages)).to.not.include('081234567890');
      expect(h.live.clientCount()).to.equal(3);
    } finally {
      live1.close();
      live2.close();
      liveSup.close();
    }
    await waitFor(() => h.live.clientCount() === 0, 'streams closed');
  });

  it('metrics: Prometheus text with queue, operators, calls by state and the dispatch latency histogram', async () => {
    await h.request('POST', '/api/me/ready', { login: op1 });
    const answered = await h.queueCall();
    await waitFor(() => h.ringer.ringing(answered), 'rung');
    h.ringer.settle(answered, 'answered');
    await waitFor(async () => (await h.store.getCall(answered))?.state === 'connected', 'connected');
    const waiting = await h.queueCall('081299990000', '1');

    const r = await fetch(`${h.url}/metrics`);
    expect(r.status).to.equal(200);
    expect(r.headers.get('content-type')).to.match(/^text\/plain/);
    const text = await r.text();
    expect(text).to.match(/^siaga112_queue_length 1$/m);
    expect(text).to.match(/^siaga112_calls_active\{state="connected"\} 1$/m);
    expect(text).to.match(/^siaga112_calls_active\{state="queued"\} 1$/m);
    expect(text).to.match(/^siaga112_operators\{state="on_call"\} 1$/m);
    expect(text).to.match(/^siaga112_operators\{state="offline"\} 1$/m);
    expect(text).to.match(/^siaga112_dispatch_latency_seconds_count 1$/m);
    expect(text).to.match(/^siaga112_calls_queued_total\{category="medical"\} 1$/m);
    expect(text).to.match(/^siaga112_queue_longest_wait_seconds \d/m);
    expect(text).to.not.include('081299990000');
    expect(waiting).to.be.a('string');
  });

  it('metrics with a token refuse a scrape without it', async () => {
    await h.stop();
    h = await ConsoleHarness.start({ staticFiles: false, metricsToken: 'scrape-secret-123' });
    expect((await fetch(`${h.url}/metrics`)).status).to.equal(401);
    expect((await fetch(`${h.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).to.equal(401);
    expect((await fetch(`${h.url}/metrics`, { headers: { authorization: 'Bearer scrape-secret-123' } })).status).to.equal(200);
  });
});
