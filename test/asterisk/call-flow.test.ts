/**
 * 112 calls through the simulator with the unmodified ari-client and
 * asterisk-manager, the real dispatcher (Redis) and a SQLite store.
 */
import { expect } from 'chai';
import { delay, startHarness, waitFor, type Harness } from './asterisk-harness';

const CALLER = '081234567890';

describe('Asterisk: 112 call flow through the simulator', function () {
  this.timeout(20000);
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  async function recordFor(channelId: string) {
    return waitFor('the call record', () => h!.callByChannel(channelId));
  }

  it('happy path: IVR, digit 2 → medical, operator rings, answers, bridged, operator hangs up; whole timeline; outcome accepted', async () => {
    h = await startHarness();
    const ch = h.sim.control.placeCall({ from: CALLER, name: 'Caller', headers: { 'X-Caller-Location': 'lat=-6.175392;lon=106.827153;acc=25' }, steps: [{ wait: 0.3 }, { dtmf: '2' }, { wait: 60 }] });
    const record = await recordFor(ch.id);
    expect(record).to.include({ backend: 'asterisk', callerNumber: CALLER, dialedNumber: '112', channelId: ch.id, pbxUniqueId: ch.id });
    expect(record.location).to.deep.include({ latitude: -6.175392, longitude: 106.827153, accuracyM: 25 });

    const connected = await waitFor('connected', async () => {
      const c = await h!.call(record.id);
      return c?.state === 'connected' ? c : undefined;
    });
    expect(connected).to.include({ category: 'medical', operatorId: 'op1' });
    // Caller and operator in one mixing bridge.
    const mix = h.sim.pbx.listBridges().find((b) => b.bridgeType === 'mixing');
    expect(mix?.channels).to.include(ch.id);
    expect(mix?.channels).to.have.length(2);
    const operatorLeg = mix!.channels.find((id) => id !== ch.id)!;
    expect(h.sim.pbx.getChannel(operatorLeg).caller.number).to.equal(CALLER);
    // No holding bridge left behind.
    expect(h.sim.pbx.listBridges().filter((b) => b.bridgeType === 'holding')).to.have.length(0);

    await delay(200);
    h.sim.control.callerHangup(operatorLeg); // the operator hangs up
    const ended = await waitFor('ended', async () => {
      const c = await h!.call(record.id);
      return c?.state === 'ended' ? c : undefined;
    });
    expect(ended.endReason).to.equal('completed');
    // The caller's leg was hung up too, and the bridge destroyed.
    await waitFor('caller leg gone', () => !h!.sim.pbx.listChannels().some((c) => c.id === ch.id));
    await waitFor('bridges gone', () => h!.sim.pbx.listBridges().length === 0);

    const timeline = await h.timeline(record.id);
    const types = timeline.map((e) => e.type);
    for (const t of ['call.created', 'call.in_ivr', 'ivr.digit', 'call.queued', 'call.offered', 'call.connected', 'call.ended']) expect(types, t).to.include(t);
    expect(types.indexOf('ivr.digit')).to.be.lessThan(types.indexOf('call.queued'));
    expect(types.indexOf('call.connected')).to.be.lessThan(types.indexOf('call.ended'));
    for (let i = 1; i < timeline.length; i++) expect(timeline[i]!.at).to.be.at.least(timeline[i - 1]!.at);
    expect(ended.queuedAt).to.be.a('number');
    expect(ended.connectedAt! - ended.createdAt).to.be.greaterThan(0);

    const outcome = await h.center.submitOutcome('op1', record.id, { confirmedCategory: 'medical', classification: 'emergency', agencies: ['ambulance'], notes: 'chest pain' });
    expect(outcome).to.include({ callId: record.id, operatorId: 'op1', classification: 'emergency' });
    expect((await h.timeline(record.id)).map((e) => e.type)).to.include('outcome.submitted');
    await waitFor('no resources left', () => h!.telephony.resources().legs === 0 && h!.telephony.resources().rings === 0 && h!.telephony.resources().bridgedOperators === 0 && h!.telephony.resources().playbacks === 0);
  });
});
