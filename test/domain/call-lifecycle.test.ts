import { expect } from 'chai';
import { IllegalTransitionError, ValidationError } from '../../src/core/errors';
import { applyCallPatch, CALL_TRANSITIONS, canTransitionCall, END_REASON_FROM, transitionCall } from '../../src/domain/call/lifecycle';
import { CALL_STATES, END_REASONS, type CallRecord, type CallState } from '../../src/domain/types';

const T0 = Date.UTC(2026, 0, 1);
const system = { kind: 'system' } as const;

function call(state: CallState, extra: Partial<CallRecord> = {}): CallRecord {
  return { id: 'call_1', backend: 'asterisk', callerNumber: '081234567890', dialedNumber: '112', state, language: 'id', createdAt: T0, updatedAt: T0, ...extra };
}

describe('call lifecycle', () => {
  it('walks the happy path, each step giving its patch and timeline event', () => {
    let c = call('new');
    const steps: Array<[CallState, Parameters<typeof transitionCall>[2]]> = [
      ['in_ivr', { at: T0 + 100, actor: { kind: 'pbx' } }],
      ['queued', { at: T0 + 9000, actor: { kind: 'caller' }, data: { digit: '1' }, category: 'fire', priority: 1 }],
      ['offered', { at: T0 + 9005, actor: system, operatorId: 'op1' }],
      ['connected', { at: T0 + 12000, actor: { kind: 'operator', id: 'op1' } }],
      ['ended', { at: T0 + 90000, actor: { kind: 'caller' }, endReason: 'completed' }],
    ];
    const types: string[] = [];
    for (const [to, ctx] of steps) {
      const from = c.state;
      const { patch, event } = transitionCall(c, to, ctx);
      expect(event.data.from).to.equal(from);
      expect(event.at).to.equal(ctx.at);
      expect(event.actor).to.deep.equal(ctx.actor);
      expect(patch.state).to.equal(to);
      expect(patch.updatedAt).to.equal(ctx.at);
      types.push(event.type);
      c = applyCallPatch(c, patch);
    }
    expect(types).to.deep.equal(['call.in_ivr', 'call.queued', 'call.offered', 'call.connected', 'call.ended']);
    expect(c).to.deep.include({ state: 'ended', category: 'fire', priority: 1, operatorId: 'op1', queuedAt: T0 + 9000, connectedAt: T0 + 12000, endedAt: T0 + 90000, endReason: 'completed' });
  });

  it('puts the digit and category into the queued event', () => {
    const { event } = transitionCall(call('in_ivr'), 'queued', { at: T0, actor: { kind: 'caller' }, data: { digit: '2', from: 'spoofed' }, category: 'medical', priority: 1 });
    expect(event).to.deep.equal({ at: T0, type: 'call.queued', actor: { kind: 'caller' }, data: { digit: '2', category: 'medical', priority: 1, from: 'in_ivr' } });
  });

  it('a missed offer goes back to the queue keeping its first queuedAt and dropping the operator', () => {
    const c = call('offered', { queuedAt: T0 + 1000, operatorId: 'op2' });
    const { patch, event } = transitionCall(c, 'queued', { at: T0 + 20000, actor: system, data: { result: 'no_answer' } });
    expect(patch.queuedAt).to.equal(T0 + 1000);
    expect(patch).to.have.property('operatorId', undefined);
    expect(event).to.deep.include({ type: 'call.queued' });
    expect(event.data).to.deep.equal({ result: 'no_answer', operatorId: 'op2', from: 'offered' });
    const after = applyCallPatch(c, patch);
    expect(after).to.not.have.property('operatorId');
    expect(after.state).to.equal('queued');
  });

  it('new → queued is allowed (taken up after a restart or via the fail-safe)', () => {
    const { patch } = transitionCall(call('new'), 'queued', { at: T0 + 5, actor: system });
    expect(patch).to.include({ state: 'queued', queuedAt: T0 + 5 });
  });

  const illegal: Array<[CallState, CallState]> = [
    ['new', 'offered'],
    ['new', 'connected'],
    ['in_ivr', 'offered'],
    ['in_ivr', 'connected'],
    ['queued', 'connected'],
    ['queued', 'in_ivr'],
    ['queued', 'queued'],
    ['connected', 'queued'],
    ['connected', 'offered'],
    ['ended', 'queued'],
    ['ended', 'ended'],
    ['ended', 'in_ivr'],
  ];
  for (const [from, to] of illegal) {
    it(`refuses ${from} → ${to} with IllegalTransitionError`, () => {
      const c = call(from, { operatorId: 'op1' });
      expect(() => transitionCall(c, to, { at: T0, actor: system, endReason: 'failed', operatorId: 'op1' }))
        .to.throw(IllegalTransitionError, `call call_1 cannot go from ${from} to ${to}`)
        .with.property('code', 'illegal_transition');
    });
  }

  it('every pair outside the table throws, every pair inside it returns call.<to>', () => {
    for (const from of CALL_STATES) {
      for (const to of CALL_STATES) {
        const reason = END_REASONS.find((r) => END_REASON_FROM[r].includes(from));
        const run = () => transitionCall(call(from, { operatorId: 'op1' }), to, { at: T0, actor: system, operatorId: 'op1', endReason: reason });
        if (canTransitionCall(from, to)) expect(run().event.type).to.equal(`call.${to}`);
        else expect(run).to.throw(IllegalTransitionError);
      }
    }
    expect(CALL_TRANSITIONS.ended).to.deep.equal([]);
  });

  it('ending needs a reason', () => {
    expect(() => transitionCall(call('queued'), 'ended', { at: T0, actor: { kind: 'caller' } }))
      .to.throw(ValidationError)
      .with.property('issues')
      .that.deep.equals([{ field: 'endReason', message: 'required to end a call' }]);
  });

  it('the end reason must fit where the call was', () => {
    expect(() => transitionCall(call('queued'), 'ended', { at: T0, actor: { kind: 'caller' }, endReason: 'abandoned_in_ivr' })).to.throw(
      IllegalTransitionError,
      'call call_1 cannot go from queued to ended (abandoned_in_ivr)',
    );
    expect(() => transitionCall(call('in_ivr'), 'ended', { at: T0, actor: { kind: 'caller' }, endReason: 'completed' })).to.throw(IllegalTransitionError);
    expect(() => transitionCall(call('connected'), 'ended', { at: T0, actor: { kind: 'caller' }, endReason: 'abandoned_in_queue' })).to.throw(IllegalTransitionError);
    const ivr = transitionCall(call('in_ivr'), 'ended', { at: T0 + 3, actor: { kind: 'caller' }, endReason: 'abandoned_in_ivr' });
    expect(ivr.patch).to.include({ endReason: 'abandoned_in_ivr', endedAt: T0 + 3 });
    expect(ivr.event.data).to.deep.equal({ reason: 'abandoned_in_ivr', from: 'in_ivr' });
    const ringing = transitionCall(call('offered', { operatorId: 'op1' }), 'ended', { at: T0, actor: { kind: 'caller' }, endReason: 'abandoned_in_queue' });
    expect(ringing.event.data).to.deep.equal({ reason: 'abandoned_in_queue', operatorId: 'op1', from: 'offered' });
  });

  it('an unknown end reason is refused', () => {
    expect(() => transitionCall(call('queued'), 'ended', { at: T0, actor: system, endReason: 'vanished' as never })).to.throw(IllegalTransitionError);
  });

  it('offering needs the operator; connecting takes it from the offer', () => {
    expect(() => transitionCall(call('queued'), 'offered', { at: T0, actor: system })).to.throw(ValidationError, 'offering needs the operator');
    expect(() => transitionCall(call('offered'), 'connected', { at: T0, actor: system })).to.throw(ValidationError, 'connecting needs the operator');
    const { patch, event } = transitionCall(call('offered', { operatorId: 'op3' }), 'connected', { at: T0 + 7, actor: { kind: 'operator', id: 'op3' } });
    expect(patch).to.include({ operatorId: 'op3', connectedAt: T0 + 7 });
    expect(event.data).to.deep.equal({ operatorId: 'op3', from: 'offered' });
  });

  it('does not mutate the record it was given', () => {
    const c = call('queued');
    const frozen = Object.freeze({ ...c });
    transitionCall(frozen, 'offered', { at: T0, actor: system, operatorId: 'op1' });
    expect(frozen.state).to.equal('queued');
  });
});
