import { DialplanAdmin } from '../../src/asterisk/ami/dialplan-admin';
import { expect } from 'chai';
import { delay, startHarness, waitFor, type Harness } from './asterisk-harness';

describe('Asterisk: fail-safe calls (AMI) and callbacks', function () {
  this.timeout(20000);
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('a call while the app is not connected (STASISSTATUS=FAILED) is recorded from AMI events with backend failsafe', async () => {
    h = await startHarness({ connectAri: false });
    const ch = h.sim.control.placeCall({ from: '081299990000', steps: [{ wait: 60 }] });
    const record = await waitFor('fail-safe record', () => h!.callByChannel(ch.id));
    expect(record).to.include({ backend: 'failsafe', callerNumber: '081299990000', dialedNumber: '112', pbxUniqueId: ch.id });
    // The simulator's fallback hangs the call up: the record is closed from the AMI Hangup.
    const ended = await waitFor('ended', async () => {
      const c = await h!.call(record.id);
      return c?.state === 'ended' ? c : undefined;
    });
    expect(ended.endReason).to.equal('failed');
    const types = (await h.timeline(record.id)).map((e) => e.type);
    expect(types).to.deep.equal(['call.created', 'call.ended']);
    expect(h.monitor.failsafeCalls).to.equal(0);
  });

  it('follows a fail-safe call through the Asterisk queue: joined, answered by an operator, hung up', async () => {
    h = await startHarness({ connectAri: false });
    const ami = h.amiServer();
    const ch = h.sim.control.placeCall({ from: '081277770000', steps: [{ wait: 60 }] });
    const record = await waitFor('fail-safe record', () => h!.callByChannel(ch.id));
    const base = { Channel: ch.name, Uniqueid: ch.id, Linkedid: ch.id, CallerIDNum: '081277770000', Exten: '112', Context: 'siaga112-failsafe' };
    ami.emitEvent({ Event: 'QueueCallerJoin', ...base, Queue: 'siaga112-operators', Position: '1', Count: '1' });
    ami.emitEvent({ Event: 'AgentConnect', ...base, Queue: 'siaga112-operators', Interface: 'PJSIP/op1', MemberName: 'PJSIP/op1', HoldTime: '3', RingTime: '1' });
    const connected = await waitFor('connected', async () => {
      const c = await h!.call(record.id);
      return c?.state === 'connected' ? c : undefined;
    });
    expect(connected).to.include({ operatorId: 'op1', category: 'general' });
    ami.emitEvent({ Event: 'Hangup', ...base, Cause: '16', 'Cause-txt': 'Normal Clearing' });
    const ended = await waitFor('ended', async () => {
      const c = await h!.call(record.id);
      return c?.state === 'ended' ? c : undefined;
    });
    expect(ended.endReason).to.equal('completed');
  });

  it('a fail-safe caller who abandons the queue gets a callback task', async () => {
    h = await startHarness({ connectAri: false });
    const ami = h.amiServer();
    const ch = h.sim.control.placeCall({ from: '081266660000', steps: [{ wait: 60 }] });
    const record = await waitFor('fail-safe record', () => h!.callByChannel(ch.id));
    const base = { Channel: ch.name, Uniqueid: ch.id, CallerIDNum: '081266660000' };
    ami.emitEvent({ Event: 'QueueCallerJoin', ...base, Queue: 'siaga112-operators', Position: '1', Count: '1' });
    ami.emitEvent({ Event: 'QueueCallerAbandon', ...base, Queue: 'siaga112-operators', Position: '1', OriginalPosition: '1', HoldTime: '6' });
    const ended = await waitFor('ended', async () => {
      const c = await h!.call(record.id);
      return c?.state === 'ended' ? c : undefined;
    });
    expect(ended.endReason).to.equal('abandoned_in_queue');
    // The callback task is written right after the call's end (a second write).
    const open = await waitFor('the callback task', async () => {
      const tasks = await h!.center.listCallbacks('open');
      return tasks.some((t) => t.callId === record.id) ? tasks : undefined;
    });
    expect(open.filter((t) => t.callId === record.id)).to.have.length(1);
  });

  it('AMI admin: dialplan reload and show through the Command action', async () => {
    h = await startHarness({ connectAri: false });

    const admin = new DialplanAdmin(h.ami);
    expect(await admin.reload()).to.deep.equal(['Dialplan reloaded.']);
    const shown = await admin.show();
    expect(shown.contexts.length).to.be.greaterThan(0);
    expect(shown.unparsed).to.deep.equal([]);
    await admin.show('no-such-context').then(
      () => expect.fail('should reject'),
      (err: Error) => expect(err.message).to.match(/dialplan show|no-such-context/),
    );
    await admin.show('bad context; rm').then(
      () => expect.fail('should reject'),
      (err: Error) => expect(err.message).to.match(/bad context name/),
    );
  });

  it('AMI actions time out when the PBX stops answering, and fail at once when not connected', async () => {
    h = await startHarness({ connectAri: false });
    h.amiServer().setMuted(true);
    const started = Date.now();
    await h.ami.action({ action: 'Ping' }, 300).then(
      () => expect.fail('should time out'),
      (err: Error) => expect(err.message).to.match(/no answer from the PBX within 300 ms/),
    );
    expect(Date.now() - started).to.be.lessThan(2000);
    h.amiServer().setMuted(false);
    await h.ami.stop();
    await h.ami.action({ action: 'Ping' }).then(
      () => expect.fail('should fail'),
      (err: Error) => expect(err.message).to.match(/not connected/),
    );
  });

  it('AMI reconnects by itself after the connection drops', async () => {
    h = await startHarness({ connectAri: false });
    await h.amiServer().dropConnections(300);
    await waitFor('down', () => !h!.ami.connected);
    await waitFor('up again', () => h!.ami.connected, 8000);
    const res = await h.ami.action({ action: 'Ping' });
    expect(res.ping).to.equal('Pong');
  });

  it('dialBack: rings the operator, then dials the caller through the outbound context, and bridges them', async () => {
    h = await startHarness({ operators: [{ id: 'op1', behaviour: { kind: 'answer', afterS: 0.1 } }] });
    // Not ready before the call comes, so the caller abandons the queue and gets a callback task.
    await h.dispatch.operators.setNotReady('op1', 'break');
    const ch = h.sim.control.placeCall({ from: '081255550000', steps: [{ wait: 0.3 }, { dtmf: '1' }, { wait: 0.3 }, { hangup: true }] });
    const record = await waitFor('record', () => h!.callByChannel(ch.id));
    const task = await waitFor('callback task', async () => (await h!.center.listCallbacks('open')).find((t) => t.callId === record.id));
    const taken = await h.center.takeCallback(task.id, 'op1');
    const result = await h.telephony.dialBack(taken, 'PJSIP/op1', 5000);
    expect(result).to.equal('connected');
    const bridge = h.sim.pbx.listBridges().find((b) => b.id === `callback-${taken.id}`);
    expect(bridge?.bridgeType).to.equal('mixing');
    expect(bridge?.channels).to.have.length(2);
    const callee = h.sim.pbx.listChannels().find((c) => c.name.startsWith('Local/081255550000@siaga112-outbound'));
    expect(callee, 'the caller is dialled through the outbound context').to.not.equal(undefined);
    const types = (await h.timeline(record.id)).map((e) => e.type);
    expect(types).to.include.members(['callback.dialing', 'callback.connected']);
    // Either side hanging up ends both legs and the bridge.
    h.sim.control.callerHangup(bridge!.channels[0]!);
    await waitFor('callback ended', async () => (await h!.timeline(record.id)).some((e) => e.type === 'callback.ended'));
    await waitFor('bridge gone', () => !h!.sim.pbx.listBridges().some((b) => b.id === `callback-${taken.id}`));
    await delay(50);
  });
});
