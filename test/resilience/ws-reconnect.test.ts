import { expect } from 'chai';
import { skipSlow, startStack, waitFor, type Stack } from './support/stack';

/**
 * The ARI WebSocket down for 60 s (longer than ari-client's own ~43 s of
 * retries) and back: siaga112 reconnects by itself, rebuilds its view from
 * GET /channels and /bridges, serves every waiting call; a conversation
 * stays bridged throughout; /readyz shows the link down and up.
 */
describe('resilience: ARI WebSocket down for 60 s', function () {
  this.timeout(240_000);
  let stack: Stack;

  before(function () {
    if (skipSlow) this.skip();
  });
  beforeEach(async () => {
    stack = await startStack({ operators: ['op1', 'op2'] });
  });
  afterEach(async () => {
    await stack?.stop();
  });

  it('reconnects by itself, keeps the conversation bridged, serves every waiting call, ends the one who left in the gap', async () => {
    const svc = await stack.startService('a');
    await stack.waitReady(svc);
    await stack.ready('op1');
    await stack.notReady('op2');
    const talking = stack.placeCall({ steps: [{ wait: 0.5 }, { dtmf: '2' }, { wait: 600 }] });
    await stack.waitState(talking, ['connected']);
    const waiting = [1, 3, 4].map((d) => stack.placeCall({ steps: [{ wait: 0.5 }, { dtmf: String(d) }, { wait: 600 }] }));
    for (const w of waiting) await stack.waitState(w, ['queued']);

    stack.sim.control.faults.dropWebSocket(60);
    await stack.waitReady(svc, false, 10_000);
    // In the gap: a waiting caller hangs up (its events are lost), op2 becomes ready (no ring while the link is down).
    const leaver = waiting.pop()!;
    await new Promise((r) => setTimeout(r, 5000));
    stack.sim.control.callerHangup(leaver);
    await stack.ready('op2');
    await new Promise((r) => setTimeout(r, 2000));
    expect((await stack.pool.operators.snapshot(stack.operatorIds.op2)).state).to.equal('ready');
    expect((await stack.record(talking))!.state).to.equal('connected');

    await stack.waitReady(svc, true, 90_000);
    expect((await stack.waitState(leaver, ['ended'])).endReason).to.equal('abandoned_in_queue');
    expect((await stack.record(talking))!.state).to.equal('connected');
    expect(stack.sim.pbx.listChannels().some((c) => c.id === talking)).to.equal(true);

    // Waiting calls are served after the gap.
    const left = new Set(waiting);
    await waitFor('waiting callers served after the reconnect', async () => {
      for (const c of [...left]) {
        if ((await stack.record(c))?.state === 'connected') {
          stack.sim.control.callerHangup(c);
          left.delete(c);
        }
      }
      return left.size === 0;
    }, 60_000);
    // The conversation's end still completes its record.
    stack.sim.control.callerHangup(talking);
    expect((await stack.waitState(talking, ['ended'])).endReason).to.equal('completed');
    for (const c of waiting) expect((await stack.waitState(c, ['ended'])).endReason).to.equal('completed');
  });
});
