import { expect } from 'chai';
import WebSocket from 'ws';
import { startStack, waitFor, type Stack } from './support/stack';

async function serveAll(stack: Stack, channels: string[]): Promise<void> {
  const left = new Set(channels);
  await waitFor('every waiting caller to be answered', async () => {
    for (const c of [...left]) {
      const r = await stack.record(c);
      if (r?.state === 'connected') {
        stack.sim.control.callerHangup(c);
        left.delete(c);
      }
    }
    return left.size === 0;
  }, 60_000, 100);
  for (const c of channels) expect((await stack.waitState(c, ['ended'])).endReason).to.equal('completed');
}

/**
 * Two instances on one PBX: one holds the ARI app (Redis lease), the other
 * stands by and takes over when the holder dies or stops.
 */
describe('resilience: active/standby on one PBX', function () {
  this.timeout(180_000);
  let stack: Stack;

  beforeEach(async () => {
    stack = await startStack({ operators: ['op1'] });
  });
  afterEach(async () => {
    await stack?.stop();
  });

  it('the standby does not connect while the lease is held, and takes over within 10 s of a SIGKILL, serving every waiting call', async () => {
    const a = await stack.startService('a');
    await stack.waitReady(a);
    const b = await stack.startService('b');
    await stack.notReady('op1');
    const waiting = [1, 2, 3].map((d) => stack.placeCall({ steps: [{ wait: 0.5 }, { dtmf: String(d) }, { wait: 600 }] }));
    for (const w of waiting) await stack.waitState(w, ['queued']);
    // Exactly one WebSocket holds the app: the standby never connected it.
    expect(stack.sim.ari.connections).to.equal(1);

    await a.kill();
    const killedAt = Date.now();
    await stack.waitReady(b, true, 15_000);
    const tookOverMs = Date.now() - killedAt;
    expect(tookOverMs).to.be.below(10_000);
    expect(stack.sim.ari.connections).to.equal(1);

    await stack.ready('op1');
    await serveAll(stack, waiting);
    const all = await stack.allCalls();
    expect(all).to.have.length(3);
  });

  it('SIGTERM: the holder lets the lease go at once, waiting callers keep waiting, the standby serves them', async () => {
    const a = await stack.startService('a');
    await stack.waitReady(a);
    const b = await stack.startService('b');
    await stack.notReady('op1');
    const waiting = [1, 2].map((d) => stack.placeCall({ steps: [{ wait: 0.5 }, { dtmf: String(d) }, { wait: 600 }] }));
    for (const w of waiting) await stack.waitState(w, ['queued']);

    const stoppedAt = Date.now();
    expect(await a.terminate()).to.equal(0);
    // Left waiting: still up, still in their holding bridges.
    for (const w of waiting) expect(stack.sim.pbx.listChannels().some((c) => c.id === w)).to.equal(true);
    for (const w of waiting) expect((await stack.record(w))!.state).to.equal('queued');
    await stack.waitReady(b, true, 10_000);
    expect(Date.now() - stoppedAt).to.be.below(8_000);

    await stack.ready('op1');
    await serveAll(stack, waiting);
  });

  it('ApplicationReplaced: the replaced holder stops using the app and does not take it back while it is held elsewhere', async () => {
    const a = await stack.startService('a');
    await stack.waitReady(a);
    // Another connection takes the app (an instance without the lease, a tool, an operator's mistake).
    const rogue = new WebSocket(`${stack.sim.ariUrl.replace('http', 'ws')}/ari/events?app=siaga112&api_key=siaga112:resilience-secret`);
    await new Promise<void>((resolve, reject) => {
      rogue.once('open', () => resolve());
      rogue.once('error', reject);
    });
    // The replaced instance closes its own socket (no ping-pong over the app).
    await waitFor('the replaced instance to close its WebSocket', () => stack.sim.ari.connections === 1, 10_000);
    await new Promise((r) => setTimeout(r, 3000));
    expect(stack.sim.ari.connections).to.equal(1);
    await stack.waitReady(a, false, 5000).catch(() => undefined);
    // When the other connection goes, the instance takes the app again by itself.
    // Wait for the closing handshake: until the simulator has processed it,
    // the app still counts as active and a standby's /readyz is 200 too.
    await new Promise<void>((resolve) => {
      rogue.once('close', () => resolve());
      rogue.close();
    });
    await stack.waitReady(a, true, 30_000);
    const c = stack.placeCall({ steps: [{ wait: 0.5 }, { dtmf: '1' }, { wait: 600 }] });
    await stack.waitState(c, ['queued']);
  });
});
