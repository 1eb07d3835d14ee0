/**
 * 112 calls through the simulator with the unmodified ari-client and
 * asterisk-manager, the real dispatcher (Redis) and a SQLite store.
 */
import { expect } from 'chai';
import { delay, startHarness, waitFor, type Harness } from './asterisk-harness';

const CALLER = '081234567890';

describe('Asterisk: 112 call flow through the simulator', function () {
  this.timeout(20000);
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  async function recordFor(channelId: string) {
    return waitFor('the call record', () => h!.callByChannel(channelId));
  }

  it('happy path: IVR, digit 2 → medical, operator rings, answers, bridged, operator hangs up; whole timeline; outcome accepted', async () => {
    h = await startHarness();
    const ch = h.sim.control.placeCall({ from: CALLER, name: 'Caller', headers: { 'X-Caller-Location': 'lat=-6.175392;lon=106.827153;acc=25' }, steps: [{ wait: 0.3 }, { dtmf: '2' }, { wait: 60 }] });
    const record = await recordFor(ch.id);
    expect(record).to.include({ backend: 'asterisk', callerNumber: CALLER, dialedNumber: '112', channelId: ch.id, pbxUniqueId: ch.id });
    // The SIP headers are read alongside the answer: the location joins the record a moment later.
    const located = await waitFor('the caller location', async () => (await h!.call(record.id))?.location);
    expect(located).to.deep.include({ latitude: -6.175392, longitude: 106.827153, accuracyM: 25 });

    const connected = await waitFor('connected', async () => {
      const c = await h!.call(record.id);
      return c?.state === 'connected' ? c : undefined;
    });
    expect(connected).to.include({ category: 'medical', operatorId: 'op1' });
    // Caller and operator in one mixing bridge.
    const mix = h.sim.pbx.listBridges().find((b) => b.bridgeType === 'mixing');
    expect(mix?.channels).to.include(ch.id);
    expect(mix?.channels).to.have.length(2);
    const operatorLeg = mix!.channels.find((id) => id !== ch.id)!;
    expect(h.sim.pbx.getChannel(operatorLeg).caller.number).to.equal(CALLER);
    // No holding bridge left behind.
    expect(h.sim.pbx.listBridges().filter((b) => b.bridgeType === 'holding')).to.have.length(0);

    await delay(200);
    h.sim.control.callerHangup(operatorLeg); // the operator hangs up
    const ended = await waitFor('ended', async () => {
      const c = await h!.call(record.id);
      return c?.state === 'ended' ? c : undefined;
    });
    expect(ended.endReason).to.equal('completed');
    // The caller's leg was hung up too, and the bridge destroyed.
    await waitFor('caller leg gone', () => !h!.sim.pbx.listChannels().some((c) => c.id === ch.id));
    await waitFor('bridges gone', () => h!.sim.pbx.listBridges().length === 0);

    const timeline = await h.timeline(record.id);
    const types = timeline.map((e) => e.type);
    for (const t of ['call.created', 'call.in_ivr', 'ivr.digit', 'call.queued', 'call.offered', 'call.connected', 'call.ended']) expect(types, t).to.include(t);
    expect(types.indexOf('ivr.digit')).to.be.lessThan(types.indexOf('call.queued'));
    expect(types.indexOf('call.connected')).to.be.lessThan(types.indexOf('call.ended'));
    for (let i = 1; i < timeline.length; i++) expect(timeline[i]!.at).to.be.at.least(timeline[i - 1]!.at);
    expect(ended.queuedAt).to.be.a('number');
    expect(ended.connectedAt! - ended.createdAt).to.be.greaterThan(0);

    const outcome = await h.center.submitOutcome('op1', record.id, { confirmedCategory: 'medical', classification: 'emergency', agencies: ['ambulance'], notes: 'chest pain' });
    expect(outcome).to.include({ callId: record.id, operatorId: 'op1', classification: 'emergency' });
    expect((await h.timeline(record.id)).map((e) => e.type)).to.include('outcome.submitted');
    await waitFor('no resources left', () => h!.telephony.resources().legs === 0 && h!.telephony.resources().rings === 0 && h!.telephony.resources().bridgedOperators === 0 && h!.telephony.resources().playbacks === 0);
  });

  async function stateOf(callId: string, state: string) {
    return waitFor(`state ${state}`, async () => {
      const c = await h!.call(callId);
      return c?.state === state ? c : undefined;
    });
  }

  it('no input → general after the retries', async () => {
    h = await startHarness({ operators: [{ id: 'op1', ready: false }] });
    const ch = h.sim.control.placeCall({ from: CALLER, steps: [{ wait: 60 }] });
    const record = await recordFor(ch.id);
    const queued = await stateOf(record.id, 'queued');
    expect(queued.category).to.equal('general');
    const types = (await h.timeline(record.id)).map((e) => e.type);
    expect(types.filter((t) => t === 'ivr.no_input')).to.have.length(h.menu.maxRetries + 1);
    // Waiting in a holding bridge of its own, with music on hold.
    const hold = await waitFor('holding bridge', () => h!.sim.pbx.listBridges().find((b) => b.bridgeType === 'holding' && b.channels.includes(ch.id)));
    expect(hold.channels).to.deep.equal([ch.id]);
  });

  it('invalid digits → invalid choice prompt, then general', async () => {
    h = await startHarness({ operators: [{ id: 'op1', ready: false }] });
    const ch = h.sim.control.placeCall({ from: CALLER, steps: [{ wait: 0.3 }, { dtmf: '7' }, { wait: 0.6 }, { dtmf: '8' }, { wait: 60 }] });
    const record = await recordFor(ch.id);
    const queued = await stateOf(record.id, 'queued');
    expect(queued.category).to.equal('general');
    const timeline = await h.timeline(record.id);
    expect(timeline.filter((e) => e.type === 'ivr.digit').map((e) => e.data.digit)).to.deep.equal(['7', '8']);
    expect(timeline.find((e) => e.type === 'call.queued')?.data.reason).to.equal('invalid_input');
  });

  it('a digit stops the prompt that is playing (barge-in) and no stale prompt_finished follows', async () => {
    h = await startHarness({ operators: [{ id: 'op1', ready: false }] });
    const menuTimes: number[] = [];
    const isMenu = (e: unknown): boolean => (e as { playback: { mediaUri: string } }).playback.mediaUri.endsWith('/menu');
    h.sim.pbx.on('playback-started', (e) => isMenu(e) && menuTimes.push(Date.now()));
    h.sim.pbx.on('playback-finished', (e) => isMenu(e) && menuTimes.push(Date.now()));
    // The menu prompt plays 1.5 s; the digit comes 0.4 s after the answer (during it).
    const ch = h.sim.control.placeCall({ from: CALLER, steps: [{ wait: 0.4 }, { dtmf: '3' }, { wait: 60 }] });
    const record = await recordFor(ch.id);
    const queued = await stateOf(record.id, 'queued');
    expect(queued.category).to.equal('police');
    const types = (await h.timeline(record.id)).map((e) => e.type);
    expect(types.filter((t) => t.startsWith('ivr.'))).to.deep.equal(['ivr.digit']);
    // The 1.5 s menu prompt was stopped by siaga112 well before its end.
    await waitFor('menu playback finished', () => menuTimes.length === 2);
    expect(menuTimes[1]! - menuTimes[0]!).to.be.lessThan(1200);
    expect(h.sim.pbx.listChannels().find((c) => c.id === ch.id)).to.not.equal(undefined);
  });

  it('caller hangs up in the IVR, in the middle of a prompt: abandoned in IVR, nothing left behind', async () => {
    h = await startHarness();
    const ch = h.sim.control.placeCall({ from: CALLER, steps: [{ wait: 0.5 }, { hangup: true }] });
    const record = await recordFor(ch.id);
    const ended = await stateOf(record.id, 'ended');
    expect(ended.endReason).to.equal('abandoned_in_ivr');
    await delay(1200); // past the prompt and the digit timeout: nothing may fire for the gone call
    expect((await h.call(record.id))?.state).to.equal('ended');
    expect(h.telephony.resources()).to.include({ legs: 0, calls: 0, playbacks: 0, rings: 0 });
  });

  it('caller hangs up while waiting: abandoned in queue with a callback task; holding bridge destroyed', async () => {
    h = await startHarness({ operators: [{ id: 'op1', ready: false }] });
    const ch = h.sim.control.placeCall({ from: CALLER, steps: [{ wait: 0.3 }, { dtmf: '1' }, { wait: 1.5 }, { hangup: true }] });
    const record = await recordFor(ch.id);
    await stateOf(record.id, 'queued');
    const ended = await stateOf(record.id, 'ended');
    expect(ended.endReason).to.equal('abandoned_in_queue');
    // The callback task is written right after the end of the call (a second write): wait for it, not only for the end.
    const callbacks = await waitFor('the callback task', async () => {
      const open = await h!.center.listCallbacks('open');
      return open.some((c) => c.callId === record.id) ? open : undefined;
    });
    expect(callbacks.filter((c) => c.callId === record.id)).to.have.length(1);
    await waitFor('no bridges', () => h!.sim.pbx.listBridges().length === 0);
  });

  it('caller hangs up while the operator phone rings: the operator leg is hung up and the operator is free again', async () => {
    h = await startHarness({ operators: [{ id: 'op1', behaviour: { kind: 'no-answer' } }], ringTimeoutSeconds: 10 });
    const ch = h.sim.control.placeCall({ from: CALLER, steps: [{ wait: 0.3 }, { dtmf: '2' }, { wait: 60 }] });
    const record = await recordFor(ch.id);
    await stateOf(record.id, 'offered');
    const opLeg = await waitFor('operator leg ringing', () => h!.sim.pbx.listChannels().find((c) => c.name.startsWith('PJSIP/op1')));
    h.sim.control.callerHangup(ch.id);
    const ended = await stateOf(record.id, 'ended');
    expect(ended.endReason).to.equal('abandoned_in_queue');
    await waitFor('operator leg hung up', () => !h!.sim.pbx.listChannels().some((c) => c.id === opLeg.id));
    const op = await waitFor('operator ready', async () => {
      const s = await h!.dispatch.operators.snapshot('op1');
      return s.state === 'ready' ? s : undefined;
    });
    expect(op.state).to.equal('ready');
    const callbacks = await waitFor('the callback task', async () => {
      const open = await h!.center.listCallbacks('open');
      return open.some((c) => c.callId === record.id) ? open : undefined;
    });
    expect(callbacks.filter((c) => c.callId === record.id)).to.have.length(1);
  });

  it('operator does not answer: the call goes back to the queue with its place, the operator leg is gone', async () => {
    h = await startHarness({ operators: [{ id: 'op1', behaviour: { kind: 'no-answer' } }], ringTimeoutSeconds: 1 });
    const ch = h.sim.control.placeCall({ from: CALLER, steps: [{ wait: 0.3 }, { dtmf: '1' }, { wait: 60 }] });
    const record = await recordFor(ch.id);
    const first = await stateOf(record.id, 'offered');
    await waitFor('missed', async () => (await h!.timeline(record.id)).some((e) => e.type === 'call.queued' && e.data.from === 'offered'));
    const back = await h.call(record.id);
    expect(back?.queuedAt).to.equal(first.queuedAt);
    // Its operator leg ended with no answer and no channel is left ringing.
    await waitFor('no operator leg', () => !h!.sim.pbx.listChannels().some((c) => c.name.startsWith('PJSIP/op1')));
    expect(h.sim.pbx.listChannels().some((c) => c.id === ch.id)).to.equal(true);
  });

  it('operator busy: the ring ends as busy and the call waits on', async () => {
    h = await startHarness({ operators: [{ id: 'op1', behaviour: { kind: 'busy', afterS: 0.1 } }], ringTimeoutSeconds: 5 });
    const ch = h.sim.control.placeCall({ from: CALLER, steps: [{ wait: 0.3 }, { dtmf: '1' }, { wait: 60 }] });
    const record = await recordFor(ch.id);
    const missed = await waitFor('missed as busy', async () => (await h!.timeline(record.id)).find((e) => e.type === 'call.queued' && e.data.from === 'offered'));
    expect(missed.data.result).to.equal('busy');
    expect(h.sim.pbx.listChannels().some((c) => c.id === ch.id)).to.equal(true);
  });

  it('operator with no registered contact: originate answers Allocation failed → unreachable', async () => {
    h = await startHarness({ operators: [{ id: 'op1', registered: false }] });
    // The pool still believes op1 is registered (no event came yet): force it so the offer is made.
    await h.dispatch.operators.setSoftphone('op1', true);
    await h.dispatch.operators.setReady('op1').catch(() => undefined);
    const ch = h.sim.control.placeCall({ from: CALLER, steps: [{ wait: 0.3 }, { dtmf: '1' }, { wait: 60 }] });
    const record = await recordFor(ch.id);
    const missed = await waitFor('missed as unreachable', async () => (await h!.timeline(record.id)).find((e) => e.type === 'call.queued' && e.data.from === 'offered'));
    expect(missed.data.result).to.equal('unreachable');
  });

  it('an operator whose softphone unregisters is reported (AMI and ARI) and is not offered calls', async () => {
    h = await startHarness({ operators: [{ id: 'op1' }] });
    h.sim.control.unregisterEndpoint('op1');
    await waitFor('unregistered reported', () => h!.softphones.some((s) => s.endpoint === 'PJSIP/op1' && !s.registered));
    await waitFor('pool knows', async () => !(await h!.dispatch.operators.snapshot('op1')).softphoneRegistered);
    const ch = h.sim.control.placeCall({ from: CALLER, steps: [{ wait: 0.3 }, { dtmf: '1' }, { wait: 60 }] });
    const record = await recordFor(ch.id);
    await stateOf(record.id, 'queued');
    await delay(800);
    expect((await h.call(record.id))?.state).to.equal('queued');
    expect(h.sim.pbx.listChannels().some((c) => c.name.startsWith('PJSIP/op1'))).to.equal(false);
    h.sim.control.registerEndpoint('op1');
    await waitFor('registered reported', () => h!.softphones.some((s) => s.endpoint === 'PJSIP/op1' && s.registered));
    // Reported once per change, although ARI sends three events for it.
    expect(h.softphones.filter((s) => s.endpoint === 'PJSIP/op1' && !s.registered)).to.have.length(1);
  });

  it('softphone registration seen through AMI (ContactStatus / PeerStatus) is reported once per change', async () => {
    h = await startHarness({ operators: [{ id: 'op1' }, { id: 'op2', registered: false, ready: false }] });
    h.amiServer().registerContact('op2', 'sip:op2@127.0.0.1:5073');
    await waitFor('op2 registered via AMI', () => h!.monitor.softphoneStates().get('PJSIP/op2') === true);
    await waitFor('pool knows op2 registered', async () => (await h!.dispatch.operators.snapshot('op2')).softphoneRegistered);
    h.amiServer().unregisterContact('op2');
    await waitFor('op2 unregistered via AMI', () => h!.monitor.softphoneStates().get('PJSIP/op2') === false);
    await waitFor('pool knows op2 unregistered', async () => !(await h!.dispatch.operators.snapshot('op2')).softphoneRegistered);
  });

  it('reassures a waiting caller at the interval, on their own holding bridge', async () => {
    h = await startHarness({ operators: [{ id: 'op1', ready: false }], reassuranceMs: 400 });
    const plays: string[] = [];
    h.sim.pbx.on('playback-started', (e) => plays.push((e as unknown as { playback: { mediaUri: string; targetUri: string } }).playback.targetUri + ' ' + (e as unknown as { playback: { mediaUri: string } }).playback.mediaUri));
    const ch = h.sim.control.placeCall({ from: CALLER, steps: [{ wait: 0.3 }, { dtmf: '1' }, { wait: 60 }] });
    const record = await recordFor(ch.id);
    await stateOf(record.id, 'queued');
    await waitFor('reassured', async () => (await h!.timeline(record.id)).some((e) => e.type === 'call.reassured'));
    await waitFor('reassurance played on the bridge', () => plays.some((p) => p.startsWith(`bridge:hold-${record.id}`) && p.includes('reassurance')));
  });
});
