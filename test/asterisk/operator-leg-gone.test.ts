/**
 * Asterisk answers "Channel not found" for a bridge request with two
 * channels without saying which one is gone: an operator who hangs up the
 * moment they answer must not end the caller's call.
 */
import { expect } from 'chai';
import { delay, startHarness, waitFor, type Harness } from './asterisk-harness';

describe('Asterisk: the operator leg gone at answer', function () {
  this.timeout(20000);
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('the operator hangs up as they answer: the caller keeps waiting with their place, not ended as hung up', async () => {
    h = await startHarness({ operators: [{ id: 'op1', behaviour: { kind: 'answer', afterS: 0.2 } }], ringTimeoutSeconds: 5 });
    let opLeg: string | undefined;
    let gone = false;
    const offStart = h.sim.pbx.on('stasis-start', (e) => {
      if (e.args[0] === 'operator' && !opLeg) opLeg = e.channel.id;
    });
    // The operator leg answered (StasisStart delivered) and is gone just as siaga112 makes the mixing bridge.
    const offBridge = h.sim.pbx.on('bridge-created', (e) => {
      if (e.bridge.bridgeType !== 'mixing' || !opLeg || gone) return;
      gone = true;
      h!.sim.pbx.hangup(opLeg);
    });
    const off = (): void => (offStart(), offBridge());
    const ch = h.sim.control.placeCall({ from: '081234567890', steps: [{ wait: 0.3 }, { dtmf: '2' }, { wait: 60 }] });
    const record = await waitFor('the call record', () => h!.callByChannel(ch.id));
    const back = await waitFor('the offer settled', async () => (await h!.timeline(record.id)).find((e) => e.type === 'call.queued' && e.data.from === 'offered'));
    off();
    expect(gone, 'the operator leg was gone before the bridge request').to.equal(true);
    expect(back.data.result).to.equal('failed');
    await delay(300);
    const timeline = await h.timeline(record.id);
    expect(timeline.map((e) => e.type)).to.not.include('call.ended');
    expect(timeline.map((e) => e.type)).to.not.include('caller.hangup');
    expect(h.sim.pbx.hasChannel(ch.id), 'the caller is still on the line').to.equal(true);
    const call = await h.call(record.id);
    expect(call?.state).to.be.oneOf(['queued', 'offered', 'connected']);
    // The caller waits in their own holding bridge (music), or has been connected to the next answer.
    await waitFor('the caller in a bridge again', () => h!.sim.pbx.listBridges().some((b) => b.channels.includes(ch.id)));
  });
});
