import { expect } from 'chai';
import { ManualClock, type Clock } from '../../src/core/clock';
import { ConflictError, NotFoundError, UnavailableError, ValidationError } from '../../src/core/errors';
import type { CallbackTask, CallRecord, Outcome } from '../../src/domain/types';
import type { CallStore, CallUpdate } from '../../src/ports/call-store';

/** One test's database, reachable again and again (to test re-opening). */
export interface ContractFixture {
  /** Open a store on this fixture's database. */
  open(clock: Clock): Promise<CallStore>;
  /** Raw SQL on the same database, for checks the interface cannot express. */
  sql(statement: string): Promise<Record<string, unknown>[]>;
  /** Remove the database. */
  destroy(): Promise<void>;
}

export type ContractFactory = () => Promise<ContractFixture>;

const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);
const system = { kind: 'system' } as const;

function call(id: string, overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    id,
    backend: 'asterisk',
    callerNumber: '081234567890',
    dialedNumber: '112',
    state: 'new',
    language: 'id',
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

function created(at = T0): CallUpdate['event'] {
  return { at, type: 'call.created', actor: system, data: {} };
}

function outcome(callId: string, overrides: Partial<Outcome> = {}): Outcome {
  return {
    callId,
    operatorId: 'op1',
    confirmedCategory: 'fire',
    classification: 'emergency',
    agencies: ['fire', 'ambulance'],
    notes: 'rumah terbakar',
    submittedAt: T0 + 60_000,
    ...overrides,
  };
}

function callback(id: string, callId: string, createdAt = T0): CallbackTask {
  return { id, callId, callerNumber: '081234567890', createdAt, status: 'open' };
}

/** Resolve to the error a promise rejects with; fail if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/**
 * The behaviour every CallStore must have. Call inside a `describe`; each
 * test gets a fresh database from `factory`.
 */
export function callStoreContract(factory: ContractFactory): void {
  let fixture: ContractFixture;
  let store: CallStore;
  let clock: ManualClock;

  beforeEach(async () => {
    fixture = await factory();
    clock = new ManualClock(T0 + 1000);
    store = await fixture.open(clock);
  });

  afterEach(async () => {
    await store.close();
    await fixture.destroy();
  });

  describe('createCall / getCall', () => {
    it('stores every field and the first timeline event (seq 1)', async () => {
      const full = call('c1', {
        trunk: 'telkomsel-1',
        channelId: '1700000000.1',
        pbxUniqueId: '1700000000.1',
        state: 'in_ivr',
        endReason: 'completed',
        category: 'fire',
        priority: 1,
        operatorId: 'op1',
        location: { text: 'Jl. Merdeka 1', latitude: -6.2, longitude: 106.8, accuracyM: 30, source: 'sip-geolocation' },
        queuedAt: T0 + 1,
        connectedAt: T0 + 2,
        endedAt: T0 + 3,
      });
      const event = await store.createCall(full, { at: T0, type: 'call.created', actor: { kind: 'pbx' }, data: { trunk: 'telkomsel-1' } });
      expect(event).to.deep.equal({ callId: 'c1', seq: 1, at: T0, type: 'call.created', actor: { kind: 'pbx' }, data: { trunk: 'telkomsel-1' } });
      expect(await store.getCall('c1')).to.deep.equal(full);
      expect(await store.getTimeline('c1')).to.deep.equal([event]);
    });

    it('keeps absent optional fields absent and epoch milliseconds as numbers', async () => {
      const minimal = call('c1', { createdAt: 4_102_444_800_000, updatedAt: 4_102_444_800_000 });
      await store.createCall(minimal, { at: T0, type: 'call.created', actor: system });
      const back = await store.getCall('c1');
      expect(back).to.deep.equal(minimal);
      expect(back?.createdAt).to.be.a('number');
      expect((await store.getTimeline('c1'))[0]?.data).to.deep.equal({});
    });

    it('refuses an existing id with ConflictError and leaves the first call as it was', async () => {
      await store.createCall(call('c1'), created());
      const err = await rejection(store.createCall(call('c1', { callerNumber: '0899' }), created(T0 + 5)));
      expect(err).to.be.instanceOf(ConflictError);
      expect((await store.getCall('c1'))?.callerNumber).to.equal('081234567890');
      expect(await store.getTimeline('c1')).to.have.length(1);
    });

    it('refuses a malformed record or event with ValidationError and stores nothing', async () => {
      const badState = { ...call('c1'), state: 'flying' } as unknown as CallRecord;
      expect(await rejection(store.createCall(badState, created()))).to.be.instanceOf(ValidationError);
      const noCaller = { ...call('c2'), callerNumber: '' };
      expect(await rejection(store.createCall(noCaller, created()))).to.be.instanceOf(ValidationError);
      const badEvent = { at: -1, type: '', actor: { kind: 'martian' } } as unknown as CallUpdate['event'];
      expect(await rejection(store.createCall(call('c3'), badEvent))).to.be.instanceOf(ValidationError);
      expect(await store.getCall('c1')).to.equal(undefined);
      expect(await store.getCall('c3')).to.equal(undefined);
      expect(await store.getTimeline('c3')).to.deep.equal([]);
    });

    it('writes the events that follow the creation in the same transaction, numbered after it', async () => {
      const first = await store.createCall(call('c1', { state: 'in_ivr' }), created(), [
        { at: T0, type: 'call.in_ivr', actor: system },
        { at: T0 + 1, type: 'ivr.note', actor: system, data: { n: 1 } },
      ]);
      expect(first.seq).to.equal(1);
      const timeline = await store.getTimeline('c1');
      expect(timeline.map((e) => [e.seq, e.type])).to.deep.equal([
        [1, 'call.created'],
        [2, 'call.in_ivr'],
        [3, 'ivr.note'],
      ]);
      expect(timeline[2].data).to.deep.equal({ n: 1 });
      // The numbering goes on after them.
      expect((await store.appendEvent('c1', { at: T0 + 2, type: 'later', actor: system })).seq).to.equal(4);
    });

    it('refuses a malformed list of following events and creates nothing', async () => {
      const bad: unknown[] = ['x', [{ at: 'soon', type: 'x', actor: system }], Array.from({ length: 17 }, () => ({ at: T0, type: 'x', actor: system }))];
      for (const after of bad) {
        const err = await rejection(store.createCall(call('c1'), created(), after as CallUpdate['before']));
        expect(err, JSON.stringify(after).slice(0, 60)).to.be.instanceOf(ValidationError);
      }
      expect(await store.getCall('c1')).to.equal(undefined);
      expect(await store.getTimeline('c1')).to.deep.equal([]);
    });

    it('returns undefined for an unknown call', async () => {
      expect(await store.getCall('nope')).to.equal(undefined);
      expect(await store.getTimeline('nope')).to.deep.equal([]);
    });
  });

  describe('updateCall', () => {
    it('applies the patch and appends its event together, stamping updatedAt from the clock', async () => {
      await store.createCall(call('c1'), created());
      clock.advance(500);
      const event = await store.updateCall('c1', {
        patch: { state: 'queued', category: 'medical', priority: 2, queuedAt: T0 + 10 },
        event: { at: T0 + 10, type: 'call.queued', actor: system, data: { priority: 2 } },
      });
      expect(event).to.deep.equal({ callId: 'c1', seq: 2, at: T0 + 10, type: 'call.queued', actor: system, data: { priority: 2 } });
      const back = await store.getCall('c1');
      expect(back).to.deep.include({ state: 'queued', category: 'medical', priority: 2, queuedAt: T0 + 10, updatedAt: clock.now() });
      expect((await store.getTimeline('c1')).map((e) => e.type)).to.deep.equal(['call.created', 'call.queued']);
    });

    it('writes the events before the change in the same transaction, ahead of its own event', async () => {
      await store.createCall(call('c1', { state: 'in_ivr' }), created());
      const event = await store.updateCall('c1', {
        patch: { state: 'queued', category: 'fire', priority: 1, queuedAt: T0 + 5 },
        event: { at: T0 + 5, type: 'call.queued', actor: system },
        before: [{ at: T0 + 5, type: 'ivr.digit', actor: { kind: 'caller' }, data: { digit: '1' } }],
        expectState: 'in_ivr',
      });
      expect(event).to.deep.include({ seq: 3, type: 'call.queued' });
      const timeline = await store.getTimeline('c1');
      expect(timeline.map((e) => [e.seq, e.type])).to.deep.equal([
        [1, 'call.created'],
        [2, 'ivr.digit'],
        [3, 'call.queued'],
      ]);
      expect(timeline[1].data).to.deep.equal({ digit: '1' });
    });

    it('writes neither the change nor its earlier events when the compare-and-set refuses, or the list is malformed', async () => {
      await store.createCall(call('c1', { state: 'in_ivr' }), created());
      const refused = await rejection(
        store.updateCall('c1', {
          patch: { state: 'queued' },
          event: { at: T0 + 5, type: 'call.queued', actor: system },
          before: [{ at: T0 + 5, type: 'ivr.digit', actor: { kind: 'caller' }, data: { digit: '1' } }],
          expectState: 'new',
        }),
      );
      expect(refused).to.be.instanceOf(ConflictError);
      const malformed = await rejection(
        store.updateCall('c1', { patch: { state: 'queued' }, event: { at: T0 + 5, type: 'call.queued', actor: system }, before: [{ type: 'ivr.digit' }] as unknown as CallUpdate['before'] }),
      );
      expect(malformed).to.be.instanceOf(ValidationError);
      expect((await store.getCall('c1'))!.state).to.equal('in_ivr');
      expect((await store.getTimeline('c1')).map((e) => e.type)).to.deep.equal(['call.created']);
    });

    it('ends a call and creates its callback task in one transaction, with the events that follow the change after its own', async () => {
      await store.createCall(call('c1', { state: 'queued' }), created());
      const event = await store.updateCall('c1', {
        patch: { state: 'ended', endReason: 'abandoned_in_queue', endedAt: T0 + 30 },
        event: { at: T0 + 30, type: 'call.ended', actor: { kind: 'caller' } },
        before: [{ at: T0 + 30, type: 'queue.left', actor: { kind: 'caller' } }],
        after: [{ at: T0 + 30, type: 'callback.created', actor: system, data: { taskId: 'cb1' } }],
        callback: callback('cb1', 'c1', T0 + 30),
        expectState: 'queued',
      });
      expect(event).to.deep.include({ seq: 3, type: 'call.ended' });
      expect((await store.getTimeline('c1')).map((e) => [e.seq, e.type])).to.deep.equal([
        [1, 'call.created'],
        [2, 'queue.left'],
        [3, 'call.ended'],
        [4, 'callback.created'],
      ]);
      expect(await store.listCallbacks('open')).to.deep.equal([callback('cb1', 'c1', T0 + 30)]);
      // The seq goes on from the last event written.
      expect(await store.appendEvent('c1', { at: T0 + 31, type: 'note', actor: system })).to.deep.include({ seq: 5 });
    });

    it('creates no callback task when the change is refused, and no change when the task is refused', async () => {
      await store.createCall(call('c1', { state: 'queued' }), created());
      await store.createCall(call('c2', { state: 'queued' }), created());
      await store.createCallback(callback('cb-taken-id', 'c2'));
      const end = (task: CallbackTask, expectState: CallUpdate['expectState'] = 'queued'): Promise<unknown> =>
        store.updateCall('c1', {
          patch: { state: 'ended', endReason: 'abandoned_in_queue', endedAt: T0 + 30 },
          event: { at: T0 + 30, type: 'call.ended', actor: { kind: 'caller' } },
          after: [{ at: T0 + 30, type: 'callback.created', actor: system, data: { taskId: task.id } }],
          callback: task,
          expectState,
        });
      // Another instance moved the call on first: neither the end nor the task.
      expect(await rejection(end(callback('cb1', 'c1'), 'offered'))).to.be.instanceOf(ConflictError);
      // A task id that exists: the call is not ended either.
      expect(await rejection(end(callback('cb-taken-id', 'c1')))).to.be.instanceOf(ConflictError);
      // A task for another call, or a malformed one: refused before any SQL.
      expect(await rejection(end(callback('cb2', 'c2')))).to.be.instanceOf(ValidationError);
      expect(await rejection(end({ ...callback('cb3', 'c1'), status: 'taken' }))).to.be.instanceOf(ValidationError);
      const tooMany = Array.from({ length: 9 }, (_, i) => ({ at: T0 + i, type: `e${i}`, actor: system }));
      expect(await rejection(store.updateCall('c1', { patch: { state: 'offered' }, event: { at: T0, type: 'x', actor: system }, before: tooMany, after: tooMany }))).to.be.instanceOf(ValidationError);
      expect((await store.getCall('c1'))!.state).to.equal('queued');
      expect((await store.getTimeline('c1')).map((e) => e.type)).to.deep.equal(['call.created']);
      expect((await store.listCallbacks()).map((t) => t.id)).to.deep.equal(['cb-taken-id']);
    });

    it('takes updatedAt from the patch when given, and clears optional fields set to undefined', async () => {
      await store.createCall(call('c1', { operatorId: 'op1', location: { text: 'x' } }), created());
      await store.updateCall('c1', {
        patch: { operatorId: undefined, location: undefined, updatedAt: T0 + 77 },
        event: { at: T0 + 77, type: 'call.requeued', actor: { kind: 'operator', id: 'op1' } },
      });
      const back = await store.getCall('c1');
      expect(back).to.not.have.property('operatorId');
      expect(back).to.not.have.property('location');
      expect(back?.updatedAt).to.equal(T0 + 77);
    });

    it('rejects an unknown call with NotFoundError and writes nothing', async () => {
      const err = await rejection(store.updateCall('ghost', { patch: { state: 'ended' }, event: { at: T0, type: 'call.ended', actor: system } }));
      expect(err).to.be.instanceOf(NotFoundError);
      expect(await store.getCall('ghost')).to.equal(undefined);
      expect(await store.getTimeline('ghost')).to.deep.equal([]);
    });

    it('compare-and-set: applies with the expected state, refuses another with ConflictError and writes nothing', async () => {
      await store.createCall(call('c1'), created());
      await store.updateCall('c1', { patch: { state: 'in_ivr' }, event: { at: T0 + 1, type: 'call.in_ivr', actor: system }, expectState: 'new' });
      const err = await rejection(
        store.updateCall('c1', { patch: { state: 'ended', endReason: 'abandoned_in_ivr' }, event: { at: T0 + 2, type: 'call.ended', actor: system }, expectState: 'new' }),
      );
      expect(err).to.be.instanceOf(ConflictError);
      expect((err as ConflictError).code).to.equal('call_state_changed');
      expect((await store.getCall('c1'))!.state).to.equal('in_ivr');
      expect((await store.getTimeline('c1')).map((e) => e.type)).to.deep.equal(['call.created', 'call.in_ivr']);
      const missing = await rejection(store.updateCall('ghost', { patch: { state: 'ended' }, event: { at: T0, type: 'x', actor: system }, expectState: 'new' }));
      expect(missing).to.be.instanceOf(NotFoundError);
    });

    it('compare-and-set: of two racing transitions from one state, exactly one wins', async () => {
      await store.createCall(call('c1', { state: 'queued' }), created());
      const results = await Promise.allSettled(
        ['op1', 'op2', 'op3'].map((op) => store.updateCall('c1', { patch: { state: 'offered', operatorId: op }, event: { at: T0 + 1, type: 'call.offered', actor: system }, expectState: 'queued' })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
      expect((await store.getTimeline('c1')).filter((e) => e.type === 'call.offered')).to.have.length(1);
    });

    it('rejects a bad patch with ValidationError and changes nothing', async () => {
      await store.createCall(call('c1'), created());
      const before = await store.getCall('c1');
      const event = { at: T0 + 1, type: 'x', actor: system };
      const bad: unknown[] = [
        { id: 'other' },
        { colour: 'red' },
        { state: 'flying' },
        { callerNumber: undefined },
        { createdAt: 1.5 },
        { location: 'here' },
      ];
      for (const patch of bad) {
        const err = await rejection(store.updateCall('c1', { patch: patch as CallUpdate['patch'], event }));
        expect(err, JSON.stringify(patch)).to.be.instanceOf(ValidationError);
      }
      expect(await store.getCall('c1')).to.deep.equal(before);
      expect(await store.getTimeline('c1')).to.have.length(1);
    });
  });

  describe('appendEvent / getTimeline', () => {
    it('appends without changing the call', async () => {
      await store.createCall(call('c1'), created());
      const before = await store.getCall('c1');
      clock.advance(1000);
      const e = await store.appendEvent('c1', { at: T0 + 5, type: 'ivr.digit', actor: { kind: 'caller' }, data: { digit: '1' } });
      expect(e.seq).to.equal(2);
      expect(await store.getCall('c1')).to.deep.equal(before);
      expect(await store.getTimeline('c1')).to.deep.equal([
        { callId: 'c1', seq: 1, at: T0, type: 'call.created', actor: system, data: {} },
        { callId: 'c1', seq: 2, at: T0 + 5, type: 'ivr.digit', actor: { kind: 'caller' }, data: { digit: '1' } },
      ]);
    });

    it('rejects an unknown call with NotFoundError', async () => {
      expect(await rejection(store.appendEvent('ghost', { at: T0, type: 'x', actor: system }))).to.be.instanceOf(NotFoundError);
      expect(await store.getTimeline('ghost')).to.deep.equal([]);
    });

    it('gives 50 parallel appends the unique seqs 2..51', async () => {
      await store.createCall(call('c1'), created());
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.appendEvent('c1', { at: T0 + i, type: 'tick', actor: system, data: { i } })),
      );
      const seqs = results.map((r) => r.seq).sort((a, b) => a - b);
      expect(seqs).to.deep.equal(Array.from({ length: 50 }, (_, i) => i + 2));
      const timeline = await store.getTimeline('c1');
      expect(timeline.map((e) => e.seq)).to.deep.equal(Array.from({ length: 51 }, (_, i) => i + 1));
      // Each stored event is the one its append was told about.
      for (const r of results) expect(timeline[r.seq - 1]).to.deep.equal(r);
    });

    it('keeps seqs unique when updates and appends race on one call', async () => {
      await store.createCall(call('c1'), created());
      const writes = Array.from({ length: 30 }, (_, i) =>
        i % 2 === 0
          ? store.updateCall('c1', { patch: { priority: i }, event: { at: T0 + i, type: 'call.priority', actor: system, data: { i } } })
          : store.appendEvent('c1', { at: T0 + i, type: 'tick', actor: system, data: { i } }),
      );
      const results = await Promise.all(writes);
      expect(new Set(results.map((r) => r.seq)).size).to.equal(30);
      const timeline = await store.getTimeline('c1');
      expect(timeline.map((e) => e.seq)).to.deep.equal(Array.from({ length: 31 }, (_, i) => i + 1));
      // The call's priority is the one of the update whose event came last.
      const lastUpdate = [...timeline].reverse().find((e) => e.type === 'call.priority');
      expect((await store.getCall('c1'))?.priority).to.equal(lastUpdate?.data.i);
    });

    it('keeps each call its own sequence', async () => {
      await store.createCall(call('a'), created());
      await store.createCall(call('b'), created());
      await store.appendEvent('a', { at: T0, type: 'x', actor: system });
      expect((await store.appendEvent('b', { at: T0, type: 'x', actor: system })).seq).to.equal(2);
      expect((await store.appendEvent('a', { at: T0, type: 'x', actor: system })).seq).to.equal(3);
    });
  });

  describe('queries', () => {
    beforeEach(async () => {
      // Three callers over five minutes; c5 has the channel id c2 had on another PBX.
      await store.createCall(call('c1', { callerNumber: '0811', createdAt: T0, channelId: 'ch-1', category: 'fire', operatorId: 'op1', state: 'ended' }), created(T0));
      await store.createCall(call('c2', { callerNumber: '0822', createdAt: T0 + 60_000, channelId: 'ch-2', category: 'medical', operatorId: 'op2' }), created(T0 + 60_000));
      await store.createCall(call('c3', { callerNumber: '0811', createdAt: T0 + 120_000, channelId: 'ch-3', category: 'fire', operatorId: 'op2', state: 'queued' }), created(T0 + 120_000));
      await store.createCall(call('c4', { callerNumber: '0833', createdAt: T0 + 180_000, category: 'police', state: 'ended' }), created(T0 + 180_000));
      await store.createCall(call('c5', { callerNumber: '0811', createdAt: T0 + 240_000, channelId: 'ch-2', category: 'fire', operatorId: 'op1', state: 'connected' }), created(T0 + 240_000));
      await store.saveOutcome(outcome('c1', { classification: 'prank' }));
      await store.saveOutcome(outcome('c2', { classification: 'emergency' }));
      await store.saveOutcome(outcome('c3', { classification: 'emergency' }));
    });

    const ids = (calls: CallRecord[]): string[] => calls.map((c) => c.id);

    it('findByChannel finds the newest call with that channel id', async () => {
      expect((await store.findByChannel('ch-1'))?.id).to.equal('c1');
      expect((await store.findByChannel('ch-2'))?.id).to.equal('c5');
      expect(await store.findByChannel('ch-none')).to.equal(undefined);
    });

    it('findByCaller lists newest first, within [from, to) when given', async () => {
      expect(ids(await store.findByCaller('0811'))).to.deep.equal(['c5', 'c3', 'c1']);
      expect(ids(await store.findByCaller('0811', { from: T0, to: T0 + 240_000 }))).to.deep.equal(['c3', 'c1']);
      expect(ids(await store.findByCaller('0811', { from: T0 + 1, to: T0 + 240_001 }))).to.deep.equal(['c5', 'c3']);
      expect(await store.findByCaller('0899')).to.deep.equal([]);
    });

    it('findByTimeRange lists oldest first within [from, to)', async () => {
      expect(ids(await store.findByTimeRange({ from: T0 + 60_000, to: T0 + 180_000 }))).to.deep.equal(['c2', 'c3']);
      expect(ids(await store.findByTimeRange({ from: 0, to: T0 + 10 ** 9 }))).to.deep.equal(['c1', 'c2', 'c3', 'c4', 'c5']);
      expect(await store.findByTimeRange({ from: T0 + 1, to: T0 + 1 })).to.deep.equal([]);
    });

    it('refuses a backwards or malformed range with ValidationError', async () => {
      expect(await rejection(store.findByTimeRange({ from: T0 + 10, to: T0 }))).to.be.instanceOf(ValidationError);
      expect(await rejection(store.findByTimeRange({ from: Number.NaN, to: T0 }))).to.be.instanceOf(ValidationError);
      expect(await rejection(store.findByCaller('0811', { from: T0 + 10, to: T0 }))).to.be.instanceOf(ValidationError);
    });

    it('queryCalls filters by each criterion and combinations, newest first', async () => {
      expect(ids(await store.queryCalls({}))).to.deep.equal(['c5', 'c4', 'c3', 'c2', 'c1']);
      expect(ids(await store.queryCalls({ range: { from: T0 + 60_000, to: T0 + 180_000 } }))).to.deep.equal(['c3', 'c2']);
      expect(ids(await store.queryCalls({ callerNumber: '0811' }))).to.deep.equal(['c5', 'c3', 'c1']);
      expect(ids(await store.queryCalls({ category: 'fire' }))).to.deep.equal(['c5', 'c3', 'c1']);
      expect(ids(await store.queryCalls({ classification: 'emergency' }))).to.deep.equal(['c3', 'c2']);
      expect(ids(await store.queryCalls({ classification: 'ghost' }))).to.deep.equal([]);
      expect(ids(await store.queryCalls({ operatorId: 'op2' }))).to.deep.equal(['c3', 'c2']);
      expect(ids(await store.queryCalls({ category: 'fire', classification: 'emergency', operatorId: 'op2', callerNumber: '0811', range: { from: T0, to: T0 + 10 ** 6 } }))).to.deep.equal(['c3']);
    });

    it('queryCalls pages with limit and offset', async () => {
      expect(ids(await store.queryCalls({ limit: 2 }))).to.deep.equal(['c5', 'c4']);
      expect(ids(await store.queryCalls({ limit: 2, offset: 2 }))).to.deep.equal(['c3', 'c2']);
      expect(ids(await store.queryCalls({ limit: 2, offset: 4 }))).to.deep.equal(['c1']);
      expect(ids(await store.queryCalls({ offset: 10 }))).to.deep.equal([]);
    });

    it('queryCalls refuses bad paging or filters with ValidationError', async () => {
      for (const q of [{ limit: 0 }, { limit: 1.5 }, { limit: 100_000 }, { offset: -1 }, { callerNumber: '' }, { range: { from: 5, to: 1 } }]) {
        expect(await rejection(store.queryCalls(q)), JSON.stringify(q)).to.be.instanceOf(ValidationError);
      }
    });

    it('findActive lists calls not ended, oldest first', async () => {
      expect(ids(await store.findActive())).to.deep.equal(['c2', 'c3', 'c5']);
      await store.updateCall('c3', { patch: { state: 'ended', endReason: 'abandoned_in_queue', endedAt: T0 + 300_000 }, event: { at: T0 + 300_000, type: 'call.ended', actor: { kind: 'caller' } } });
      expect(ids(await store.findActive())).to.deep.equal(['c2', 'c5']);
    });
  });

  describe('outcomes', () => {
    beforeEach(async () => {
      await store.createCall(call('c1'), created());
    });

    it('stores one outcome per call and reads it back', async () => {
      const o = outcome('c1', { location: { text: 'Pasar Baru', source: 'operator' } });
      await store.saveOutcome(o);
      expect(await store.getOutcome('c1')).to.deep.equal(o);
      const plain = outcome('c1');
      await store.createCall(call('c2'), created());
      await store.saveOutcome({ ...plain, callId: 'c2', agencies: [] });
      expect(await store.getOutcome('c2')).to.deep.equal({ ...plain, callId: 'c2', agencies: [] });
      expect(await store.getOutcome('c3')).to.equal(undefined);
    });

    it('refuses a second outcome with ConflictError and keeps the first', async () => {
      await store.saveOutcome(outcome('c1'));
      const err = await rejection(store.saveOutcome(outcome('c1', { classification: 'prank', notes: 'changed' })));
      expect(err).to.be.instanceOf(ConflictError);
      expect(await store.getOutcome('c1')).to.deep.equal(outcome('c1'));
    });

    it('refuses an outcome for an unknown call with NotFoundError', async () => {
      expect(await rejection(store.saveOutcome(outcome('ghost')))).to.be.instanceOf(NotFoundError);
      expect(await store.getOutcome('ghost')).to.equal(undefined);
    });

    it('refuses a malformed outcome with ValidationError and stores nothing', async () => {
      const bad = [
        { classification: 'maybe' },
        { agencies: 'fire' },
        { submittedAt: -5 },
        { operatorId: '' },
      ] as unknown as Partial<Outcome>[];
      for (const b of bad) expect(await rejection(store.saveOutcome(outcome('c1', b))), JSON.stringify(b)).to.be.instanceOf(ValidationError);
      expect(await store.getOutcome('c1')).to.equal(undefined);
    });
  });

  describe('operators', () => {
    it('upserts, reads and lists operators by id', async () => {
      await store.upsertOperator({ id: 'op2', displayName: 'Sari', endpoint: 'PJSIP/op2' });
      await store.upsertOperator({ id: 'op1', displayName: 'Budi', endpoint: 'PJSIP/op1' });
      await store.upsertOperator({ id: 'op2', displayName: 'Sari W.', endpoint: 'client:op2' });
      expect(await store.getOperator('op2')).to.deep.equal({ id: 'op2', displayName: 'Sari W.', endpoint: 'client:op2' });
      expect(await store.listOperators()).to.deep.equal([
        { id: 'op1', displayName: 'Budi', endpoint: 'PJSIP/op1' },
        { id: 'op2', displayName: 'Sari W.', endpoint: 'client:op2' },
      ]);
      expect(await store.getOperator('op9')).to.equal(undefined);
    });

    it('refuses a malformed operator with ValidationError', async () => {
      const err = await rejection(store.upsertOperator({ id: 'op1', displayName: '', endpoint: 'PJSIP/op1' }));
      expect(err).to.be.instanceOf(ValidationError);
      expect(await store.listOperators()).to.deep.equal([]);
    });
  });

  describe('callback tasks', () => {
    beforeEach(async () => {
      await store.createCall(call('c1'), created());
      await store.createCall(call('c2'), created());
    });

    it('creates tasks and lists them oldest first, optionally by status', async () => {
      await store.createCallback(callback('cb2', 'c2', T0 + 20));
      await store.createCallback(callback('cb1', 'c1', T0 + 10));
      expect((await store.listCallbacks()).map((t) => t.id)).to.deep.equal(['cb1', 'cb2']);
      expect(await store.listCallbacks('open')).to.deep.equal([callback('cb1', 'c1', T0 + 10), callback('cb2', 'c2', T0 + 20)]);
      expect(await store.listCallbacks('taken')).to.deep.equal([]);
    });

    it('refuses a duplicate task id, an unknown call, and a task that is not new', async () => {
      await store.createCallback(callback('cb1', 'c1'));
      expect(await rejection(store.createCallback(callback('cb1', 'c2')))).to.be.instanceOf(ConflictError);
      expect(await rejection(store.createCallback(callback('cb2', 'ghost')))).to.be.instanceOf(NotFoundError);
      const taken: CallbackTask = { ...callback('cb3', 'c1'), status: 'taken', takenBy: 'op1', takenAt: T0 };
      expect(await rejection(store.createCallback(taken))).to.be.instanceOf(ValidationError);
      expect(await store.listCallbacks()).to.deep.equal([callback('cb1', 'c1')]);
    });

    it('lets one operator take an open task, then refuses others with ConflictError', async () => {
      await store.createCallback(callback('cb1', 'c1'));
      const task = await store.takeCallback('cb1', 'op1', T0 + 100);
      expect(task).to.deep.equal({ ...callback('cb1', 'c1'), status: 'taken', takenBy: 'op1', takenAt: T0 + 100 });
      const err = await rejection(store.takeCallback('cb1', 'op2', T0 + 200));
      expect(err).to.be.instanceOf(ConflictError);
      expect((await store.listCallbacks('taken'))[0]).to.deep.equal(task);
    });

    it('gives a task to exactly one of many operators taking it at once', async () => {
      await store.createCallback(callback('cb1', 'c1'));
      const settled = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.takeCallback('cb1', `op${i}`, T0 + i)));
      const won = settled.filter((s): s is PromiseFulfilledResult<CallbackTask> => s.status === 'fulfilled');
      const lost = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
      expect(won).to.have.length(1);
      expect(lost).to.have.length(9);
      for (const l of lost) expect(l.reason).to.be.instanceOf(ConflictError);
      expect((await store.listCallbacks('taken'))[0]?.takenBy).to.equal(won[0]?.value.takenBy);
    });

    it('refuses to take an unknown task with NotFoundError', async () => {
      expect(await rejection(store.takeCallback('ghost', 'op1', T0))).to.be.instanceOf(NotFoundError);
    });

    it('completes a task only for the operator who took it', async () => {
      await store.createCallback(callback('cb1', 'c1'));
      expect(await rejection(store.completeCallback('cb1', 'op1')), 'still open').to.be.instanceOf(ConflictError);
      await store.takeCallback('cb1', 'op1', T0 + 100);
      expect(await rejection(store.completeCallback('cb1', 'op2')), 'other operator').to.be.instanceOf(ConflictError);
      await store.completeCallback('cb1', 'op1');
      expect((await store.listCallbacks('done')).map((t) => t.id)).to.deep.equal(['cb1']);
      expect(await rejection(store.completeCallback('cb1', 'op1')), 'already done').to.be.instanceOf(ConflictError);
      expect(await rejection(store.takeCallback('cb1', 'op2', T0)), 'take when done').to.be.instanceOf(ConflictError);
      expect(await rejection(store.completeCallback('ghost', 'op1'))).to.be.instanceOf(NotFoundError);
    });

    it('refuses a bad status filter with ValidationError', async () => {
      expect(await rejection(store.listCallbacks('lost' as CallbackTask['status']))).to.be.instanceOf(ValidationError);
    });
  });

  describe('lifecycle', () => {
    it('answers ping, and refuses work after close with UnavailableError', async () => {
      await store.ping();
      await store.close();
      expect(await rejection(store.ping())).to.be.instanceOf(UnavailableError);
      expect(await rejection(store.getCall('c1'))).to.be.instanceOf(UnavailableError);
      await store.close(); // twice is harmless
      store = await fixture.open(clock); // for afterEach
    });

    it('keeps everything across close and re-open', async () => {
      await store.createCall(call('c1', { location: { text: 'x', latitude: -6.1 } }), created());
      await store.updateCall('c1', { patch: { state: 'queued' }, event: { at: T0 + 1, type: 'call.queued', actor: system } });
      await store.saveOutcome(outcome('c1'));
      await store.upsertOperator({ id: 'op1', displayName: 'Budi', endpoint: 'PJSIP/op1' });
      await store.createCallback(callback('cb1', 'c1'));
      await store.takeCallback('cb1', 'op1', T0 + 2);
      const before = {
        call: await store.getCall('c1'),
        timeline: await store.getTimeline('c1'),
        outcome: await store.getOutcome('c1'),
        operators: await store.listOperators(),
        callbacks: await store.listCallbacks(),
      };
      await store.close();
      store = await fixture.open(clock);
      expect({
        call: await store.getCall('c1'),
        timeline: await store.getTimeline('c1'),
        outcome: await store.getOutcome('c1'),
        operators: await store.listOperators(),
        callbacks: await store.listCallbacks(),
      }).to.deep.equal(before);
      expect((await store.appendEvent('c1', { at: T0 + 3, type: 'x', actor: system })).seq).to.equal(3);
    });

    it('runs each migration once: re-opening applies nothing again', async () => {
      const first = await fixture.sql('SELECT version, name, applied_at FROM schema_migrations ORDER BY version');
      expect(first.map((r) => Number(r.version))).to.deep.equal([1]);
      expect(Number(first[0]?.applied_at)).to.equal(T0 + 1000);
      await store.close();
      clock.advance(60_000);
      store = await fixture.open(clock);
      await store.close();
      store = await fixture.open(clock);
      const again = await fixture.sql('SELECT version, name, applied_at FROM schema_migrations ORDER BY version');
      expect(again).to.deep.equal(first);
    });

    it('keeps the timeline append-only even for raw SQL', async () => {
      await store.createCall(call('c1'), created());
      expect(await rejection(fixture.sql("UPDATE call_timeline SET type = 'forged'"))).to.be.instanceOf(Error);
      expect(await rejection(fixture.sql('DELETE FROM call_timeline'))).to.be.instanceOf(Error);
      expect((await store.getTimeline('c1'))[0]?.type).to.equal('call.created');
    });
  });
}
