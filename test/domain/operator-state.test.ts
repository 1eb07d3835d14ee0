import { expect } from 'chai';
import { IllegalTransitionError } from '../../src/core/errors';
import { assertOperatorTransition, canTransitionOperator, isFree, OPERATOR_TRANSITIONS, type OperatorSnapshot } from '../../src/domain/operator/operator-state';
import { OPERATOR_STATES, type OperatorState } from '../../src/domain/types';

describe('operator states', () => {
  const legal: Array<[OperatorState, OperatorState]> = [
    ['offline', 'ready'],
    ['offline', 'not_ready'],
    ['ready', 'not_ready'],
    ['not_ready', 'ready'],
    ['ready', 'offered'],
    ['offered', 'on_call'],
    ['offered', 'not_ready'],
    ['offered', 'ready'],
    ['on_call', 'wrap_up'],
    ['wrap_up', 'ready'],
    ['wrap_up', 'not_ready'],
    ['ready', 'offline'],
    ['not_ready', 'offline'],
    ['wrap_up', 'offline'],
  ];
  for (const [from, to] of legal) {
    it(`allows ${from} → ${to}`, () => {
      expect(() => assertOperatorTransition('op1', from, to)).to.not.throw();
      expect(canTransitionOperator(from, to)).to.equal(true);
    });
  }

  const illegal: Array<[OperatorState, OperatorState]> = [
    ['offered', 'offline'],
    ['on_call', 'offline'],
    ['on_call', 'ready'],
    ['on_call', 'not_ready'],
    ['offline', 'offered'],
    ['offline', 'on_call'],
    ['not_ready', 'offered'],
    ['wrap_up', 'offered'],
    ['ready', 'on_call'],
    ['ready', 'ready'],
    ['offered', 'offered'],
  ];
  for (const [from, to] of illegal) {
    it(`refuses ${from} → ${to}`, () => {
      expect(() => assertOperatorTransition('op1', from, to))
        .to.throw(IllegalTransitionError, `operator op1 cannot go from ${from} to ${to}`)
        .with.property('details')
        .that.deep.equals({ entity: 'operator', id: 'op1', from, to });
    });
  }

  it('the table is exactly the listed transitions and survives JSON (for the Lua scripts)', () => {
    const count = OPERATOR_STATES.reduce((n, s) => n + OPERATOR_TRANSITIONS[s].length, 0);
    expect(count).to.equal(legal.length);
    expect(JSON.parse(JSON.stringify(OPERATOR_TRANSITIONS))).to.deep.equal(OPERATOR_TRANSITIONS);
    expect(Object.keys(OPERATOR_TRANSITIONS).sort()).to.deep.equal([...OPERATOR_STATES].sort());
  });

  it('refuses an unknown state', () => {
    expect(() => assertOperatorTransition('op1', 'lunch' as OperatorState, 'ready')).to.throw(IllegalTransitionError);
  });

  describe('isFree', () => {
    const free: OperatorSnapshot = { id: 'op1', state: 'ready', loggedIn: true, softphoneRegistered: true };
    it('is true for a logged-in, ready operator with a registered phone and no call', () => {
      expect(isFree(free)).to.equal(true);
    });
    const notFree: Array<[string, Partial<OperatorSnapshot>]> = [
      ['logged out', { loggedIn: false }],
      ['not ready', { state: 'not_ready', notReadyReason: 'break' }],
      ['in wrap-up', { state: 'wrap_up' }],
      ['on a call', { state: 'on_call', currentCallId: 'call_1' }],
      ['being offered', { state: 'offered', currentCallId: 'call_1' }],
      ['softphone unregistered', { softphoneRegistered: false }],
      ['ready but still holding a call id', { currentCallId: 'call_1' }],
    ];
    for (const [label, change] of notFree) {
      it(`is false when ${label}`, () => expect(isFree({ ...free, ...change })).to.equal(false));
    }
  });
});
