import { expect } from 'chai';
import { ManualClock } from '../../src/core/clock';
import { startSimulator, type Simulator } from '../../src/sim/index';
import { ariFetch, EventTap, flush, until } from './helpers';

describe('sim: ARI app semantics and fault controls', function () {
  let sim: Simulator;
  let clock: ManualClock;
  const taps: EventTap[] = [];
  const open = async (opts: { subscribeAll?: boolean } = {}): Promise<EventTap> => {
    const tap = await EventTap.open(sim.ariUrl, 'siaga112', opts);
    taps.push(tap);
    await flush(10);
    return tap;
  };
  const api = (method: string, path: string, query: Record<string, string> = {}) => ariFetch(sim.ariUrl, method, path, { query });

  beforeEach(async function () {
    clock = new ManualClock(Date.UTC(2026, 10, 28, 16, 0, 0));
    sim = await startSimulator({ ariPort: 0, clock, scenario: { endpoints: [{ resource: 'op1', after: 1 }] } });
  });

  afterEach(async function () {
    for (const t of taps.splice(0)) await t.close();
    await sim.stop();
  });

  it('keeps channels in the app while its WebSocket is away; REST works; nothing is replayed on reconnect', async function () {
    const first = await open();
    const caller = sim.control.placeCall({ from: '0811' });
    await api('POST', `/channels/${caller.id}/answer`);
    await flush();
    await first.close();
    await flush();
    const app = await api('GET', '/applications/siaga112');
    expect(app.status).to.equal(200);
    expect((app.body as { channel_ids: string[] }).channel_ids).to.deep.equal([caller.id]);
    expect((await api('POST', `/channels/${caller.id}/variable`, { variable: 'X', value: '1' })).status).to.equal(204);
    sim.control.callerDtmf(caller.id, '5'); // missed: no socket
    const second = await open();
    expect(second.messages).to.deep.equal([]);
    sim.control.callerDtmf(caller.id, '7');
    await flush();
    expect(second.messages.map((m) => [m.type, m.digit])).to.deep.equal([['ChannelDtmfReceived', '7']]);
    const list = await api('GET', '/channels');
    expect((list.body as Array<{ id: string }>).map((c) => c.id)).to.deep.equal([caller.id]);
  });

  it('destroys an app with no WebSocket and no channels (404), and a call cannot enter it', async function () {
    const tap = await open();
    await tap.close();
    await flush();
    expect((await api('GET', '/applications/siaga112')).status).to.equal(404);
    const ch = sim.control.placeCall({ from: '0812' });
    expect(sim.pbx.getChannel(ch.id).dialplan.appName).to.equal('Stasis');
    expect(() => sim.pbx.getVariable(ch.id, 'STASISSTATUS')).to.not.throw();
    expect(sim.pbx.getVariable(ch.id, 'STASISSTATUS')).to.equal('FAILED');
    clock.advance(3000);
    expect(sim.pbx.hasChannel(ch.id)).to.equal(false);
  });

  it('sends events only to the app the channel is in', async function () {
    const mine = await open();
    const other = await EventTap.open(sim.ariUrl, 'otherapp');
    taps.push(other);
    await flush();
    sim.control.placeCall({ from: '0813' });
    await flush();
    expect(mine.types()).to.deep.equal(['StasisStart']);
    expect(other.messages).to.deep.equal([]);
  });

  it('dropWebSocket: closes the socket abnormally and refuses reconnects until the time is up', async function () {
    const tap = await open();
    const closed = new Promise<number>((resolve) => tap.ws.once('close', (code) => resolve(code)));
    sim.control.faults.dropWebSocket(5);
    expect(await closed).to.equal(1006);
    let refused = false;
    await EventTap.open(sim.ariUrl, 'siaga112').catch(() => (refused = true));
    expect(refused).to.equal(true);
    clock.advance(5000);
    const again = await open();
    expect(again.ws.readyState).to.equal(again.ws.OPEN);
  });

  it('restart with channels kept: the port goes away and comes back with the caller still there', async function () {
    await open();
    const caller = sim.control.placeCall({ from: '0814' });
    await sim.control.faults.restart({ keepChannels: true, downSeconds: 0.05 });
    expect((await api('GET', `/channels/${caller.id}`)).status).to.equal(200);
  });

  it('restart with channels lost: nothing is left and the port refuses connections while down', async function () {
    await open();
    const caller = sim.control.placeCall({ from: '0815' });
    const restarting = sim.control.faults.restart({ keepChannels: false, downSeconds: 0.3 });
    await flush(50);
    let refused = false;
    await fetch(`${sim.ariUrl}/ari/channels`).catch(() => (refused = true));
    expect(refused).to.equal(true);
    await restarting;
    expect((await api('GET', `/channels/${caller.id}`)).status).to.equal(404);
    expect((await api('GET', '/channels')).body).to.deep.equal([]);
    expect((await api('GET', '/applications/siaga112')).status).to.equal(404);
  });

  it('delayResponses: holds every REST answer for the given time of the PBX clock', async function () {
    sim.control.faults.delayResponses(2000);
    let answered = false;
    const pending = api('GET', '/channels').then((r) => ((answered = true), r));
    await flush(50);
    expect(answered).to.equal(false);
    clock.advance(2000);
    expect((await pending).status).to.equal(200);
    sim.control.faults.delayResponses(0);
    expect((await api('GET', '/channels')).status).to.equal(200);
  });

  it('duplicateEvents: sends each of the next events twice', async function () {
    const tap = await open();
    sim.control.faults.duplicateEvents(1);
    const caller = sim.control.placeCall({ from: '0816' });
    await api('POST', `/channels/${caller.id}/answer`);
    await flush();
    expect(tap.types()).to.deep.equal(['StasisStart', 'StasisStart', 'ChannelStateChange']);
    expect(tap.raw[0]).to.equal(tap.raw[1]);
  });

  it('reorderEvents: swaps an event with the one after it', async function () {
    const tap = await open();
    const caller = sim.control.placeCall({ from: '0817' });
    await api('POST', `/channels/${caller.id}/answer`);
    await flush();
    sim.control.faults.reorderEvents(1);
    sim.control.callerDtmf(caller.id, '12');
    clock.advance(500);
    await until(() => tap.types().filter((t) => t === 'ChannelDtmfReceived').length === 2, 2000, 'two digits');
    expect(tap.messages.filter((m) => m.type === 'ChannelDtmfReceived').map((m) => m.digit)).to.deep.equal(['2', '1']);
  });

  it('reorderEvents: an event with none after it is held at most reorderMaxHoldMs, never forever', async function () {
    const tap = await open();
    sim.control.faults.reorderEvents(1);
    // StasisStart is the last event until the app answers: held, it must still arrive.
    const caller = sim.control.placeCall({ from: '0818' });
    await flush();
    expect(tap.types()).to.deep.equal([]);
    clock.advance(sim.ari.faults.reorderMaxHoldMs - 1);
    await flush();
    expect(tap.types()).to.deep.equal([]);
    clock.advance(1);
    await until(() => tap.types().length === 1, 2000, 'the held StasisStart');
    expect(tap.messages[0]).to.include({ type: 'StasisStart' });
    // Released once: the next event is not preceded by it again.
    await api('POST', `/channels/${caller.id}/answer`);
    await flush();
    expect(tap.types()).to.deep.equal(['StasisStart', 'ChannelStateChange']);
  });

  it('rejects bad credentials with 401 on REST and on the WebSocket', async function () {
    expect((await ariFetch(sim.ariUrl, 'GET', '/channels', { auth: null })).status).to.equal(401);
    let failed = false;
    await EventTap.open(sim.ariUrl, 'siaga112', { password: 'wrong' }).catch(() => (failed = true));
    expect(failed).to.equal(true);
  });

  it('has a small HTTP control API on the ARI port (same credentials)', async function () {
    const tap = await open();
    const post = (path: string, body: unknown, auth = 'Basic ' + Buffer.from('siaga112:demo').toString('base64')) =>
      fetch(`${sim.ariUrl}${path}`, { method: 'POST', headers: { Authorization: auth, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const res = await post('/sim/calls', { from: '0819', name: 'Via API' });
    expect(res.status).to.equal(201);
    const ch = (await res.json()) as { id: string; caller: { number: string } };
    expect(ch.caller.number).to.equal('0819');
    await flush();
    expect(tap.types()).to.deep.equal(['StasisStart']);
    expect((await post(`/sim/calls/${ch.id}/hangup`, {})).status).to.equal(204);
    expect(sim.pbx.hasChannel(ch.id)).to.equal(false);
    expect((await post('/sim/endpoints/op1/unregister', {})).status).to.equal(204);
    expect(sim.pbx.getEndpoint('PJSIP', 'op1').state).to.equal('offline');
    expect((await post('/sim/nothing', {})).status).to.equal(404);
    expect((await post('/sim/calls', { from: '1' }, 'Basic eDp5')).status).to.equal(401);
  });
});
