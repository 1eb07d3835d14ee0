import { expect } from 'chai';
import { startStack, waitFor, type Stack } from './support/stack';

/**
 * The service killed (SIGKILL) with callers in the IVR, in the queue and in
 * conversation, and started again: every call is taken up, none lost, no
 * record or queue entry duplicated.
 */
describe('resilience: restart take-up after SIGKILL', function () {
  this.timeout(180_000);
  let stack: Stack;

  before(async () => {
    stack = await startStack({ operators: ['op1', 'op2'], menuSeconds: 60 });
  });
  after(async () => {
    await stack?.stop();
  });

  it('takes up every caller (IVR, queue, conversation, unknown channel) and ends the ones that left meanwhile', async () => {
    const first = await stack.startService('a');
    await stack.waitReady(first);
    await stack.ready('op1');
    await stack.notReady('op2');

    // In conversation with op1.
    const talking = stack.placeCall({ steps: [{ wait: 0.5 }, { dtmf: '2' }, { wait: 600 }] });
    const talkingRec = await stack.waitState(talking, ['connected']);
    // Waiting in the queue (nobody else is ready).
    const waiting = [1, 2, 3].map((d) => stack.placeCall({ steps: [{ wait: 0.5 }, { dtmf: String(d) }, { wait: 600 }] }));
    for (const w of waiting) await stack.waitState(w, ['queued']);
    // Still in the (long) menu.
    const inIvr = [0, 1].map(() => stack.placeCall({ steps: [{ wait: 600 }] }));
    for (const c of inIvr) await stack.waitState(c, ['in_ivr']);
    const queuedBefore = await stack.pool.queueSnapshot();
    expect(queuedBefore.map((q) => q.callId).sort()).to.deep.equal((await Promise.all(waiting.map((w) => stack.record(w)))).map((r) => r!.id).sort());

    await first.kill();

    // While no instance listens: one waiting caller hangs up, and a call
    // enters the app but its record is never written (entered Stasis, process gone).
    const leaver = waiting.pop()!;
    stack.sim.control.callerHangup(leaver);
    stack.sim.pbx.activateApp('siaga112', false);
    const unknown = stack.placeCall({ headers: { 'X-Caller-Location': 'lat=-6.175392;lon=106.827153;acc=25' }, steps: [{ wait: 600 }] });
    stack.sim.pbx.answer(unknown); // answered by the dead instance, its record never written
    stack.sim.pbx.deactivateApp('siaga112');
    expect(await stack.record(unknown)).to.equal(undefined);

    const second = await stack.startService('b');
    await stack.waitReady(second, true, 30_000);

    // Every live caller is taken up.
    const leaverRec = await stack.waitState(leaver, ['ended']);
    expect(leaverRec.endReason).to.equal('abandoned_in_queue');
    for (const c of [...inIvr, unknown]) {
      const r = await stack.waitState(c, ['queued', 'offered', 'connected']);
      expect(r.category).to.equal('general');
    }
    const unknownRec = (await stack.record(unknown))!;
    expect((await stack.timeline(unknownRec.id)).map((e) => e.type)).to.include('call.created');
    // Its SIP location header, never recorded by the dead instance, is read again at take-up.
    const located = await waitFor('the location read at take-up', async () => (await stack.record(unknown))?.location);
    expect(located).to.deep.include({ latitude: -6.175392, longitude: 106.827153, accuracyM: 25 });
    for (const w of waiting) {
      const r = (await stack.record(w))!;
      expect(r.state).to.equal('queued');
      const types = (await stack.timeline(r.id)).map((e) => e.type);
      expect(types.filter((t) => t === 'call.queued')).to.have.length(1); // kept its place, not queued again
      expect(types).to.include('call.taken_up');
    }
    // The queue holds each waiting call once.
    const queued = await waitFor('queue to hold the taken-up calls', async () => {
      const q = await stack.pool.queueSnapshot();
      return q.length === waiting.length + inIvr.length + 1 ? q : undefined;
    });
    expect(new Set(queued.map((q) => q.callId)).size).to.equal(queued.length);

    // The conversation was never broken: still bridged; its end completes the record.
    const stillTalking = (await stack.record(talking))!;
    expect(stillTalking.state).to.equal('connected');
    expect(stack.sim.pbx.listChannels().some((c) => c.id === talking)).to.equal(true);
    stack.sim.control.callerHangup(talking);
    const done = await stack.waitState(talking, ['ended']);
    expect(done.endReason).to.equal('completed');
    expect(done.id).to.equal(talkingRec.id);

    // Every waiting caller is served.
    await stack.ready('op2');
    const toServe = [...waiting, ...inIvr, unknown];
    for (let served = 0; served < toServe.length; ) {
      for (const c of toServe) {
        const r = await stack.record(c);
        if (r?.state === 'connected') {
          stack.sim.control.callerHangup(c);
          await stack.waitState(c, ['ended']);
          served += 1;
        }
      }
      await new Promise((r) => setTimeout(r, 100));
      if (served < toServe.length) {
        await waitFor('a taken-up call to be answered', async () => {
          for (const c of toServe) if ((await stack.record(c))?.state === 'connected') return true;
          return false;
        }, 30_000);
      }
    }
    for (const c of toServe) expect((await stack.record(c))!.endReason).to.equal('completed');

    // One record per channel, nothing left active.
    const all = await stack.allCalls();
    const channels = all.map((c) => c.channelId);
    expect(new Set(channels).size).to.equal(channels.length);
    expect(all.filter((c) => c.state !== 'ended')).to.deep.equal([]);
  });
});
