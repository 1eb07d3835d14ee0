import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { CallRecord, TimelineEvent } from '../../src/domain/types';
import { skipSlow, startStack, waitFor, type ServiceProcess, type Stack } from './support/stack';

/** Queue timeout the service runs with here: a call that cannot be queued goes to the fail-safe after this. */
const QUEUE_TIMEOUT_MS = 3000;
/** A waiting caller may hear nothing for this long at most (reassurance swaps music for a prompt in two requests). */
const SILENCE_LIMIT_MS = 1500;

/** A caller who presses `digit` half a second after the answer and then waits. */
function waiter(stack: Stack, digit: string, waitS = 0.5): string {
  return stack.placeCall({ steps: [{ wait: waitS }, { dtmf: digit }, { wait: 600 }] });
}

/** Where a channel is now, as the PBX sees it. */
function holding(stack: Stack, channelId: string, callId: string): string | undefined {
  if (!stack.sim.pbx.hasChannel(channelId)) return 'dropped (channel gone)';
  const bridges = stack.sim.pbx.listBridges().filter((b) => b.channels.includes(channelId));
  if (bridges.length !== 1) return `in ${bridges.length} bridges`;
  const b = bridges[0];
  if (b.id !== `hold-${callId}` || b.bridgeType !== 'holding') return `in bridge ${b.id} (${b.bridgeType}), not its own holding bridge`;
  if (b.channels.length !== 1) return `its holding bridge has ${b.channels.length} channels`;
  const audio = stack.sim.pbx.bridgeAudio(b.id);
  if (!audio.moh && audio.playbacks.length === 0) return 'silent';
  return undefined;
}

/**
 * Samples every waiting caller while Redis misbehaves: each must stay up, in
 * its own holding bridge, hearing music (or a reassurance prompt). Silence
 * counts only past SILENCE_LIMIT_MS; anything else counts at once.
 */
class HoldWatch {
  readonly violations: string[] = [];
  samples = 0;
  private readonly silentSince = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly stack: Stack,
    private readonly calls: ReadonlyArray<{ channelId: string; callId: string }>,
  ) {
    this.timer = setInterval(() => this.sample(), 100);
  }

  sample(): void {
    this.samples += 1;
    const now = Date.now();
    for (const { channelId, callId } of this.calls) {
      const problem = holding(this.stack, channelId, callId);
      if (problem === 'silent') {
        const since = this.silentSince.get(channelId) ?? now;
        this.silentSince.set(channelId, since);
        if (now - since > SILENCE_LIMIT_MS) this.violate(`${channelId}: silent for ${now - since} ms`);
        continue;
      }
      this.silentSince.delete(channelId);
      if (problem) this.violate(`${channelId}: ${problem}`);
    }
  }

  private violate(what: string): void {
    if (!this.violations.includes(what)) this.violations.push(what);
  }

  stop(): string[] {
    clearInterval(this.timer);
    this.sample();
    return this.violations;
  }
}

async function waitHeld(stack: Stack, channels: string[]): Promise<Array<{ channelId: string; callId: string }>> {
  const out: Array<{ channelId: string; callId: string }> = [];
  for (const channelId of channels) {
    const rec = await stack.waitState(channelId, ['queued']);
    await waitFor(`${channelId} in its holding bridge with music`, () => holding(stack, channelId, rec.id) === undefined, 20_000);
    out.push({ channelId, callId: rec.id });
  }
  return out;
}

/** Answer every caller as operators take them (the test hangs each up once connected). */
async function serveAll(stack: Stack, channels: string[], timeoutMs = 60_000): Promise<void> {
  const left = new Set(channels);
  await waitFor(`every waiting caller to be answered (${channels.length})`, async () => {
    for (const c of [...left]) {
      if ((await stack.record(c))?.state === 'connected') {
        stack.sim.control.callerHangup(c);
        left.delete(c);
      }
    }
    return left.size === 0;
  }, timeoutMs, 100);
  for (const c of channels) expect((await stack.waitState(c, ['ended'])).endReason, c).to.equal('completed');
}

async function readyz(proc: ServiceProcess): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${proc.url}/readyz`);
  return { status: res.status, body: await res.json() };
}

/** call.queued events that put the call in the queue (not the ones that took it back after a missed ring). */
function queuedEntries(timeline: TimelineEvent[]): TimelineEvent[] {
  return timeline.filter((e) => e.type === 'call.queued' && (e.data as { from?: string }).from !== 'offered');
}

/** One record per channel, nothing left active, every call queued exactly once. */
async function expectRecordedOnce(stack: Stack, channels: string[]): Promise<CallRecord[]> {
  const all = await stack.allCalls();
  const byChannel = all.map((c) => c.channelId);
  expect(new Set(byChannel).size, 'one record per channel').to.equal(byChannel.length);
  const mine = all.filter((c) => channels.includes(c.channelId!));
  expect(mine).to.have.length(channels.length);
  for (const c of mine) {
    expect(c.state, c.channelId).to.equal('ended');
    expect(queuedEntries(await stack.timeline(c.id)), `call.queued of ${c.channelId}`).to.have.length(1);
  }
  return mine;
}

describe('resilience: Redis faults', function () {
  this.timeout(180_000);
  let stack: Stack;
  let ledger: Redis | undefined;

  beforeEach(async () => {
    stack = await startStack({ operators: ['op1', 'op2'] });
  });
  afterEach(async () => {
    ledger?.disconnect();
    ledger = undefined;
    await stack?.stop();
  });

  for (const hard of [false, true]) {
    it(`Redis restarted (${hard ? 'SIGKILL' : 'clean'}) with callers waiting and new calls arriving: nobody dropped or silent, every call served and recorded once`, async () => {
      // A generous queue timeout: on a loaded machine Redis may take seconds to come back, and this case is about waiting for it.
      const svc = await stack.startService('a', { queueTimeoutMs: 8000 });
      await stack.waitReady(svc);
      await stack.notReady('op1');
      await stack.notReady('op2');

      const waiting = [1, 2, 3].map((d) => waiter(stack, String(d)));
      const held = await waitHeld(stack, waiting);
      // appendfsync everysec: let the queue reach the disk before a kill.
      await new Promise((r) => setTimeout(r, 1500));
      const watch = new HoldWatch(stack, held);

      await stack.redis.stop(hard);
      // A caller arrives while Redis is down and chooses while it is still down:
      // the enqueue waits for Redis (well within the queue timeout) instead of failing.
      const duringOutage = waiter(stack, '4');
      await stack.waitState(duringOutage, ['queued']);
      await stack.redis.start();
      // And one arrives right after, while the clients reconnect.
      const afterRestart = waiter(stack, '1');

      await waitFor('/readyz 200 with Redis back', async () => (await readyz(svc)).status === 200, 30_000, 200);
      for (const c of [duringOutage, afterRestart]) await stack.waitState(c, ['queued']);
      await waitHeld(stack, [duringOutage, afterRestart]);
      const violations = watch.stop();
      expect(violations, 'waiting callers during the restart').to.deep.equal([]);
      expect(watch.samples).to.be.above(3);
      for (const { channelId } of held) expect((await stack.record(channelId))!.state).to.equal('queued');
      // The queue holds every waiting call once (kept by appendonly, the late one added after the restart).
      const queued = await stack.pool.queueSnapshot();
      const ids = await Promise.all([...waiting, duringOutage, afterRestart].map(async (c) => (await stack.record(c))!.id));
      expect(queued.map((q) => q.callId).sort()).to.deep.equal([...ids].sort());

      // An operator becomes free after Redis is back: dispatch resumes by itself.
      await stack.ready('op1');
      await serveAll(stack, [...waiting, duringOutage, afterRestart]);

      await expectRecordedOnce(stack, [...waiting, duringOutage, afterRestart]);
      expect(await stack.pool.queueSnapshot()).to.deep.equal([]);
    });
  }

  it("an operator freed while the dispatcher's subscriber reconnects (Redis dropped it) is not missed", async () => {
    const svc = await stack.startService('a');
    await stack.waitReady(svc);
    await stack.notReady('op1');
    await stack.notReady('op2');
    const [call] = await waitHeld(stack, [waiter(stack, '2')]);
    ledger = new Redis(stack.redis.url, { maxRetriesPerRequest: 1 });
    const subscribers = Number(await ledger.call('PUBSUB', 'NUMSUB', 'siaga112:dispatch:wake').then((r) => (r as [string, number])[1]));
    expect(subscribers).to.equal(1);
    // Redis drops the subscriber (a restart reaches clients at different moments, an output-buffer limit, a network blip);
    // the operator goes ready before it is back: the wake-up message is lost, pub/sub keeps nothing.
    await ledger.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await stack.pool.operators.setReady(stack.operatorIds.op1);
    await waitFor('the subscriber to be back', async () => Number(((await ledger!.call('PUBSUB', 'NUMSUB', 'siaga112:dispatch:wake')) as [string, number])[1]) === 1, 10_000);
    await serveAll(stack, [call.channelId], 15_000);
  });

  it('Redis back without its data (killed within appendfsync\'s second, a replica promoted): operators and waiting calls are put back, every caller served', async () => {
    const svc = await stack.startService('a');
    await stack.waitReady(svc);
    await stack.notReady('op1');
    await stack.notReady('op2');
    const waiting = [1, 3].map((d) => waiter(stack, String(d)));
    const held = await waitHeld(stack, waiting);
    const watch = new HoldWatch(stack, held);

    await stack.redis.stop(true);
    for (const f of readdirSync(stack.redis.dir)) rmSync(path.join(stack.redis.dir, f), { recursive: true, force: true });
    await stack.redis.start();
    ledger = new Redis(stack.redis.url, { maxRetriesPerRequest: 1 });
    await waitFor('/readyz 200 with Redis back', async () => (await readyz(svc)).status === 200, 30_000, 200);

    // The service puts back what it relies on: its operators (softphones as the PBX reports them) and its waiting calls.
    const op1 = await waitFor('op1 defined again, softphone registered', async () => {
      const snap = await stack.pool.operators.snapshot(stack.operatorIds.op1);
      return snap.softphoneRegistered ? snap : undefined;
    }, 20_000, 200);
    expect(op1.state).to.equal('offline');
    const ids = await Promise.all(waiting.map(async (c) => (await stack.record(c))!.id));
    await waitFor('the waiting calls queued again', async () => {
      const q = await stack.pool.queueSnapshot();
      return q.length === ids.length && ids.every((id) => q.some((e) => e.callId === id));
    }, 20_000, 200);
    // Still the app holder (the lease key was lost with the rest).
    expect(stack.sim.pbx.isAppActive('siaga112')).to.equal(true);
    expect(stack.sim.ari.connections).to.equal(1);
    expect(watch.stop(), 'waiting callers while Redis came back empty').to.deep.equal([]);

    await stack.ready('op1');
    await serveAll(stack, waiting);
    await expectRecordedOnce(stack, waiting);
  });

  it('Redis down for 30 s: waiting callers keep their music, new calls are answered and handed to the fail-safe within the queue timeout, all reconciled when Redis is back', async function () {
    if (skipSlow) this.skip();
    const svc = await stack.startService('a', { queueTimeoutMs: QUEUE_TIMEOUT_MS });
    await stack.waitReady(svc);
    await stack.notReady('op1');
    await stack.notReady('op2');
    const waiting = [1, 2, 3].map((d) => waiter(stack, String(d)));
    const held = await waitHeld(stack, waiting);
    const watch = new HoldWatch(stack, held);

    await stack.redis.stop();
    const downAt = Date.now();
    const down = await waitFor('/readyz 503 naming redis', async () => {
      const r = await readyz(svc);
      return r.status === 503 ? r : undefined;
    }, 15_000, 200);
    expect(JSON.stringify(down.body)).to.match(/redis/);

    // New calls while Redis is down: answered, through the IVR, then to the fail-safe.
    const arriving: string[] = [];
    const failsafeWithin: number[] = [];
    for (const digit of ['1', '4']) {
      const c = waiter(stack, digit);
      arriving.push(c);
      const r = await stack.waitState(c, ['ended'], 20_000);
      expect(r.endReason, c).to.equal('transferred');
      const timeline = await stack.timeline(r.id);
      const types = timeline.map((e) => e.type);
      expect(types, c).to.include('ivr.digit');
      const queued = queuedEntries(timeline);
      expect(queued, c).to.have.length(1);
      const ended = timeline.find((e) => e.type === 'call.ended')!;
      expect((ended.data as { failsafe?: boolean }).failsafe, c).to.equal(true);
      failsafeWithin.push(ended.at - queued[0].at);
      // Not dropped: the channel went on in the dialplan's fail-safe (Queue() there rings the operators).
      const ch = stack.sim.pbx.getChannel(c);
      expect(ch.dialplan.context, c).to.equal('siaga112-failsafe');
      expect(ch.state).to.equal('Up');
    }
    for (const ms of failsafeWithin) expect(ms).to.be.within(QUEUE_TIMEOUT_MS - 100, QUEUE_TIMEOUT_MS + 3000);

    // The rest of the 30 s: waiting callers stay where they were.
    await waitFor('30 s of Redis outage', () => Date.now() - downAt >= 30_000, 40_000, 250);
    expect((await readyz(svc)).status).to.equal(503);
    for (const { channelId } of held) expect((await stack.record(channelId))!.state).to.equal('queued');
    await stack.redis.start();
    await waitFor('/readyz 200 with Redis back', async () => (await readyz(svc)).status === 200, 30_000, 200);
    const violations = watch.stop();
    expect(violations, 'waiting callers during the outage').to.deep.equal([]);
    // The lease could not be renewed for 30 s, yet the holder kept the app (nobody could take it meanwhile).
    expect(stack.sim.pbx.isAppActive('siaga112')).to.equal(true);
    expect(stack.sim.ari.connections).to.equal(1);

    // Reconciled: nothing queued for the calls handed to the fail-safe; waiting callers served.
    ledger = new Redis(stack.redis.url, { maxRetriesPerRequest: 1 });
    const handed = await Promise.all(arriving.map(async (c) => (await stack.record(c))!.id));
    await stack.ready('op1');
    const after = waiter(stack, '2');
    await serveAll(stack, [...waiting, after]);
    const queue = await stack.pool.queueSnapshot();
    expect(queue.map((q) => q.callId)).to.deep.equal([]);
    for (const id of handed) expect(await ledger.hget(`siaga112:dispatch:call:${id}`, 'state'), id).to.not.be.oneOf(['queued', 'offered', 'connected']);
    for (const c of arriving) expect(stack.sim.pbx.getChannel(c).dialplan.context).to.equal('siaga112-failsafe');
    expect((await stack.pool.operators.snapshot(stack.operatorIds.op1)).state).to.be.oneOf(['ready', 'wrap_up']);

    await expectRecordedOnce(stack, [...waiting, after, ...arriving]);
  });
});
