import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CallCenter, type IncomingCall } from '../../src/app/call-center';
import { ManualClock } from '../../src/core/clock';
import { ConflictError, ForbiddenError, NotFoundError, UnavailableError, ValidationError } from '../../src/core/errors';
import { silentLogger } from '../../src/core/logger';
import { DomainEventBus, type DomainEvent } from '../../src/domain/events';
import { loadIvrMenu } from '../../src/domain/ivr/menu';
import { agencyList } from '../../src/domain/outcome/outcome';
import type { DispatchPort, QueueEntry } from '../../src/ports/dispatch';
import type { CallStore } from '../../src/ports/call-store';
import { SqliteCallStore } from '../../src/store';

/** Records what the call centre asks of the queue; the real dispatcher is tested in test/queue. */
class RecordingDispatch implements DispatchPort {
  queued: QueueEntry[] = [];
  offered = new Set<string>();
  wrapUps: string[] = [];
  ended: string[] = [];
  async enqueue(entry: QueueEntry): Promise<void> {
    if (!this.queued.some((q) => q.callId === entry.callId)) this.queued.push(entry);
  }
  async abandon(callId: string): Promise<'removed' | 'offered' | 'absent'> {
    if (this.offered.has(callId)) return 'offered';
    const before = this.queued.length;
    this.queued = this.queued.filter((q) => q.callId !== callId);
    return before === this.queued.length ? 'absent' : 'removed';
  }
  async operatorCallEnded(operatorId: string): Promise<void> {
    this.wrapUps.push(operatorId);
  }
  async endWrapUp(operatorId: string): Promise<void> {
    this.ended.push(operatorId);
  }
}

const menuFile = path.resolve(__dirname, '../../config/ivr.yaml');

describe('CallCenter (application service)', () => {
  let store: CallStore;
  let clock: ManualClock;
  let dispatch: RecordingDispatch;
  let events: DomainEvent[];
  let center: CallCenter;

  const incoming = (channelId = 'chan-1', callerNumber = '081234567890'): IncomingCall => ({
    backend: 'asterisk',
    channelId,
    callerNumber,
    dialedNumber: '112',
    pbxUniqueId: channelId,
  });

  beforeEach(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'siaga112-cc-'));
    clock = new ManualClock(Date.UTC(2026, 10, 28, 8, 0, 0));
    store = await SqliteCallStore.open({ path: path.join(dir, 'calls.sqlite'), clock });
    dispatch = new RecordingDispatch();
    events = [];
    const bus = new DomainEventBus();
    bus.subscribe((e) => events.push(e));
    center = new CallCenter({ store, dispatch, clock, logger: silentLogger(), menu: loadIvrMenu(menuFile), events: bus, agencies: agencyList(), maskCallerNumbers: true });
  });

  afterEach(async () => {
    await store.close();
  });

  it('a call arrives, chooses 2 (medical), waits, is answered, ends, and its outcome is recorded', async () => {
    const arrival = await center.callArrived(incoming());
    expect(arrival.created).to.equal(true);
    expect(arrival.commands[0]).to.include({ type: 'play', promptId: 'greeting' });
    const callId = arrival.call.id;

    clock.advance(3000);
    await center.ivrEvent(callId, { type: 'prompt_finished', promptId: 'greeting' });
    const commands = await center.ivrEvent(callId, { type: 'digit', digit: '2' });
    expect(commands.map((c) => c.type)).to.include('queue');
    expect(dispatch.queued).to.have.length(1);
    expect(dispatch.queued[0]).to.include({ callId, category: 'medical', priority: 1 });

    clock.advance(4000);
    await center.onOffered(callId, 'op1');
    clock.advance(2000);
    await center.onAnswered(callId, 'op1');
    clock.advance(60000);
    await center.operatorHungUp(callId);
    expect(dispatch.wrapUps).to.deep.equal(['op1']);

    const outcome = await center.submitOutcome('op1', callId, { confirmedCategory: 'medical', classification: 'emergency', agencies: ['ambulance'], location: { text: 'Jl. Merdeka 1' }, notes: 'collapsed man' });
    expect(outcome.classification).to.equal('emergency');
    expect(dispatch.ended).to.deep.equal(['op1']);

    const call = await store.getCall(callId);
    expect(call).to.include({ state: 'ended', endReason: 'completed', category: 'medical', operatorId: 'op1' });
    expect(call!.connectedAt! - call!.createdAt).to.equal(9000);
    const types = (await store.getTimeline(callId)).map((e) => e.type);
    expect(types).to.deep.equal(['call.created', 'call.in_ivr', 'ivr.digit', 'call.queued', 'call.offered', 'call.connected', 'call.ended', 'outcome.submitted']);
    expect(events.map((e) => e.type)).to.include.members(['call.queued', 'call.offered', 'call.answered', 'call.ended']);
  });

  it('arrival is one write: the record is in the IVR with both events when the first commands come back', async () => {
    let writes = 0;
    const createCall = store.createCall.bind(store);
    const updateCall = store.updateCall.bind(store);
    store.createCall = (...args) => ((writes += 1), createCall(...args));
    store.updateCall = (...args) => ((writes += 1), updateCall(...args));
    const arrival = await center.callArrived(incoming());
    expect(writes).to.equal(1);
    expect(arrival.call.state).to.equal('in_ivr');
    expect((await store.getTimeline(arrival.call.id)).map((e) => [e.seq, e.type])).to.deep.equal([
      [1, 'call.created'],
      [2, 'call.in_ivr'],
    ]);
  });

  it('a key press the menu does not know is still on the timeline, alone', async () => {
    const { call } = await center.callArrived(incoming());
    await center.ivrEvent(call.id, { type: 'prompt_finished', promptId: 'greeting' });
    await center.ivrEvent(call.id, { type: 'digit', digit: '7' });
    const timeline = await store.getTimeline(call.id);
    expect(timeline.map((e) => e.type)).to.deep.equal(['call.created', 'call.in_ivr', 'ivr.digit']);
    expect(timeline[2].data).to.deep.equal({ digit: '7' });
    expect((await store.getCall(call.id))!.state).to.equal('in_ivr');
  });

  it('the caller location learnt after arrival joins the record once and never overwrites one', async () => {
    const { call } = await center.callArrived(incoming());
    await center.locationFound(call.id, { latitude: -6.2, longitude: 106.8, source: 'sip-geolocation' });
    await center.locationFound(call.id, { text: 'elsewhere', source: 'sip-x-caller-location' });
    expect((await store.getCall(call.id))!.location).to.deep.equal({ latitude: -6.2, longitude: 106.8, source: 'sip-geolocation' });
    expect((await store.getTimeline(call.id)).filter((e) => e.type === 'call.location')).to.have.length(1);
    let refused: unknown;
    await center.locationFound('call_nope', { text: 'x', source: 'sip-geolocation' }).catch((err: unknown) => (refused = err));
    expect(refused).to.be.instanceOf(NotFoundError);
  });

  it('staged IVR step: the commands come back once the record says queued, before the queue has the call', async () => {
    const { call } = await center.callArrived(incoming());
    await center.ivrEvent(call.id, { type: 'prompt_finished', promptId: 'greeting' });
    let letIn!: () => void;
    const gate = new Promise<void>((resolve) => (letIn = resolve));
    const enqueue = dispatch.enqueue.bind(dispatch);
    dispatch.enqueue = async (entry) => {
      await gate;
      return enqueue(entry);
    };
    const staged = await center.ivrEventStaged(call.id, { type: 'digit', digit: '1' });
    expect(staged.commands.map((c) => c.type)).to.include('queue');
    expect((await store.getCall(call.id))!.state).to.equal('queued');
    expect(dispatch.queued).to.have.length(0);
    let settled = false;
    void staged.queued.then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).to.equal(false);
    letIn();
    await staged.queued;
    expect(dispatch.queued.map((q) => q.callId)).to.deep.equal([call.id]);
  });

  it('staged IVR step: a queue that cannot take the call rejects `queued` with UnavailableError, the commands still came back', async () => {
    const { call } = await center.callArrived(incoming());
    await center.ivrEvent(call.id, { type: 'prompt_finished', promptId: 'greeting' });
    dispatch.enqueue = async () => {
      throw new Error('redis is down');
    };
    const staged = await center.ivrEventStaged(call.id, { type: 'digit', digit: '1' });
    expect(staged.commands.map((c) => c.type)).to.include('queue');
    let refused: unknown;
    await staged.queued.catch((err: unknown) => (refused = err));
    expect(refused).to.be.instanceOf(UnavailableError);
    expect((await store.getTimeline(call.id)).map((e) => e.type)).to.include('queue.unavailable');
    // The plain step reports the same failure by rejecting.
    const second = await center.callArrived(incoming('chan-2'));
    await center.ivrEvent(second.call.id, { type: 'prompt_finished', promptId: 'greeting' });
    let plain: unknown;
    await center.ivrEvent(second.call.id, { type: 'digit', digit: '1' }).catch((err: unknown) => (plain = err));
    expect(plain).to.be.instanceOf(UnavailableError);
  });

  it('a repeated arrival of the same channel creates one record', async () => {
    const [a, b] = await Promise.all([center.callArrived(incoming()), center.callArrived(incoming())]);
    expect(a.call.id).to.equal(b.call.id);
    expect([a.created, b.created].sort()).to.deep.equal([false, true]);
    expect(await store.findByCaller('081234567890')).to.have.length(1);
  });

  it('a caller who hangs up in the IVR is abandoned_in_ivr and never queued', async () => {
    const { call } = await center.callArrived(incoming());
    await center.callerHungUp(call.id);
    expect(await store.getCall(call.id)).to.include({ state: 'ended', endReason: 'abandoned_in_ivr' });
    expect(dispatch.queued).to.have.length(0);
    expect(await center.ivrEvent(call.id, { type: 'digit', digit: '1' })).to.deep.equal([]);
  });

  it('a caller who hangs up while waiting leaves the queue and gets a callback task', async () => {
    const { call } = await center.callArrived(incoming());
    await center.queueDirectly(call.id);
    await center.callerHungUp(call.id);
    expect(dispatch.queued).to.have.length(0);
    expect(await store.getCall(call.id)).to.include({ state: 'ended', endReason: 'abandoned_in_queue' });
    const tasks = await center.listCallbacks('open');
    expect(tasks.map((t) => t.callId)).to.deep.equal([call.id]);
    expect(events.map((e) => e.type)).to.include('callback.created');
  });

  it('a caller who hangs up while an operator is rung is ended when the ring settles', async () => {
    const { call } = await center.callArrived(incoming());
    await center.queueDirectly(call.id);
    await center.onOffered(call.id, 'op2');
    dispatch.offered.add(call.id);
    await center.callerHungUp(call.id);
    expect((await store.getCall(call.id))!.state).to.equal('offered');
    await center.onAbandoned(call.id, 'ringing');
    expect(await store.getCall(call.id)).to.include({ state: 'ended', endReason: 'abandoned_in_queue' });
  });

  it('a missed offer returns the call to the queue keeping its first queue time', async () => {
    const { call } = await center.callArrived(incoming());
    await center.queueDirectly(call.id);
    const queuedAt = (await store.getCall(call.id))!.queuedAt;
    clock.advance(15000);
    await center.onOffered(call.id, 'op1');
    await center.onMissed(call.id, 'op1', 'no_answer');
    const after = await store.getCall(call.id);
    expect(after).to.include({ state: 'queued', queuedAt });
    expect(after!.operatorId).to.equal(undefined);
  });

  it('outcome refused for an operator who did not take the call, twice, or with bad fields — nothing changes', async () => {
    const { call } = await center.callArrived(incoming());
    await center.queueDirectly(call.id);
    await center.onOffered(call.id, 'op1');
    await center.onAnswered(call.id, 'op1');
    await center.callerHungUp(call.id);
    const good = { confirmedCategory: 'fire', classification: 'prank', agencies: [], notes: '' };

    await expectReject(center.submitOutcome('op9', call.id, good), ForbiddenError);
    await expectReject(center.submitOutcome('op1', 'call_nope', good), NotFoundError);
    const bad = await expectReject(center.submitOutcome('op1', call.id, { confirmedCategory: 'volcano', classification: 'x', agencies: ['nasa'] }), ValidationError);
    expect(bad.issues.map((i) => i.field)).to.include.members(['confirmedCategory', 'classification', 'agencies.0']);
    expect(await store.getOutcome(call.id)).to.equal(undefined);

    await center.submitOutcome('op1', call.id, good);
    await expectReject(center.submitOutcome('op1', call.id, good), ConflictError);
  });

  it('an offer for a call that is not waiting is refused and changes nothing', async () => {
    const { call } = await center.callArrived(incoming());
    await expectReject(center.onOffered(call.id, 'op1'), ConflictError);
    expect((await store.getCall(call.id))!.state).to.equal('in_ivr');
  });

  it('an offer that comes just after the caller hung up in the queue changes nothing (the race of a hang-up and the dispatcher)', async () => {
    const { call } = await center.callArrived(incoming());
    await center.queueDirectly(call.id);
    await center.callerHungUp(call.id);
    const timeline = await store.getTimeline(call.id);
    await center.onOffered(call.id, 'op1');
    expect(await store.getCall(call.id)).to.deep.include({ state: 'ended', endReason: 'abandoned_in_queue' });
    expect(await store.getTimeline(call.id)).to.deep.equal(timeline);
    expect(await center.listCallbacks('open')).to.have.length(1);
  });

  it('a callback task is taken by one operator only, who may then record the outcome', async () => {
    const { call } = await center.callArrived(incoming());
    await center.queueDirectly(call.id);
    await center.callerHungUp(call.id);
    const [task] = await center.listCallbacks('open');
    const results = await Promise.allSettled([center.takeCallback(task!.id, 'op1'), center.takeCallback(task!.id, 'op2')]);
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
    const winner = (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ takenBy?: string }>).value.takenBy!;
    await expectReject(center.submitOutcome(winner === 'op1' ? 'op2' : 'op1', call.id, { confirmedCategory: 'general', classification: 'ghost', agencies: [], notes: '' }), ForbiddenError);
    await center.submitOutcome(winner, call.id, { confirmedCategory: 'general', classification: 'ghost', agencies: [], notes: 'no answer on callback' });
    expect(await center.listCallbacks('open')).to.have.length(0);
    expect((await store.getOutcome(call.id))!.operatorId).to.equal(winner);
  });
});

async function expectReject<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(type);
    return err as E;
  }
  expect.fail(`expected ${type.name}`);
}
