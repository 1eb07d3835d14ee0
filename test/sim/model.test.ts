import { expect } from 'chai';
import { ManualClock } from '../../src/core/clock';
import type { PbxEvent } from '../../src/sim/model/events';
import { Pbx } from '../../src/sim/model/pbx';
import { PbxError } from '../../src/sim/model/pbx-error';

function setup(): { pbx: Pbx; clock: ManualClock; events: PbxEvent[]; kinds: () => string[] } {
  const clock = new ManualClock();
  const pbx = new Pbx({ clock });
  pbx.activateApp('siaga112');
  pbx.addEndpoint({ resource: 'op1', behaviour: { kind: 'no-answer' } });
  const events: PbxEvent[] = [];
  pbx.onAny((e) => events.push(e));
  return { pbx, clock, events, kinds: () => events.map((e) => e.kind) };
}

describe('sim: PBX model behaves as the recordings show', function () {
  it('does not stop a playback on DTMF; stopping it gives PlaybackFinished done, then 404', function () {
    const { pbx, clock, events } = setup();
    const ch = pbx.placeCall({ from: '0811' });
    pbx.answer(ch.id);
    const pb = pbx.play({ kind: 'channel', id: ch.id }, { media: ['sound:silence/10'], playbackId: 'pb-1' });
    expect(pb.state).to.equal('queued');
    clock.advance(100);
    pbx.callerDtmf(ch.id, '1');
    expect(pbx.getPlayback('pb-1').state).to.equal('playing');
    pbx.stopPlayback('pb-1');
    const finished = events.filter((e) => e.kind === 'playback-finished');
    expect(finished.map((e) => (e.kind === 'playback-finished' ? e.playback.state : ''))).to.deep.equal(['done']);
    expect(() => pbx.getPlayback('pb-1')).to.throw(PbxError).with.property('status', 404);
  });

  it('caller hangs up while the operator rings: HangupRequest without cause, LeftBridge, StasisEnd; the leg rings on', function () {
    const { pbx, clock, events } = setup();
    const caller = pbx.placeCall({ from: '0811' });
    pbx.answer(caller.id);
    const b = pbx.createBridge('siaga112', { type: 'holding' });
    pbx.addToBridge(b.id, [caller.id]);
    const op = pbx.originate({ endpoint: 'PJSIP/op1', app: 'siaga112', appArgs: `operator,${caller.id}`, timeout: 60 });
    clock.advance(100);
    events.length = 0;
    pbx.callerHangup(caller.id);
    const forCaller = events.filter((e) => 'channel' in e && e.channel.id === caller.id && e.apps.includes('siaga112'));
    expect(forCaller.map((e) => e.kind)).to.deep.equal(['channel-hangup-request', 'channel-left-bridge', 'stasis-end']);
    const req = forCaller[0];
    expect(req.kind === 'channel-hangup-request' && req.cause).to.equal(undefined);
    const destroyed = events.find((e) => e.kind === 'channel-destroyed');
    expect(destroyed?.apps).to.deep.equal([]); // not delivered to the app
    clock.advance(3000);
    expect(pbx.getChannel(op.id).state).to.equal('Ringing');
    events.length = 0;
    pbx.hangup(op.id, { reason: 'normal' });
    expect(events.map((e) => e.kind)).to.deep.equal(['channel-hangup-request', 'dial', 'channel-destroyed']);
    const dial = events[1];
    expect(dial.kind === 'dial' && dial.dialstatus).to.equal('NOANSWER');
    const gone = events[2];
    expect(gone.kind === 'channel-destroyed' && gone.cause).to.equal(16);
  });

  it('an originated operator enters Stasis only when it answers', function () {
    const { pbx, clock, events } = setup();
    pbx.setEndpointBehaviour('op1', { kind: 'answer', afterS: 2 });
    const op = pbx.originate({ endpoint: 'PJSIP/op1', app: 'siaga112', appArgs: 'operator,c1' });
    clock.advance(1000);
    expect(events.some((e) => e.kind === 'stasis-start')).to.equal(false);
    clock.advance(1500);
    const start = events.find((e) => e.kind === 'stasis-start');
    expect(start && start.kind === 'stasis-start' && start.args).to.deep.equal(['operator', 'c1']);
    expect(pbx.getChannel(op.id).state).to.equal('Up');
  });

  it('no answer within the timeout: ChannelDestroyed cause 19 (tech 480), no StasisStart', function () {
    const { pbx, clock, events } = setup();
    pbx.originate({ endpoint: 'PJSIP/op1', app: 'siaga112', timeout: 8 });
    clock.advance(8100);
    const d = events.find((e) => e.kind === 'channel-destroyed');
    expect(d && d.kind === 'channel-destroyed' && [d.cause, d.techCause]).to.deep.equal([19, 480]);
    expect(events.some((e) => e.kind === 'stasis-start')).to.equal(false);
  });

  it('refuses to originate to an unregistered or unknown endpoint with 500 Allocation failed (key "error")', function () {
    const { pbx, events } = setup();
    pbx.addEndpoint({ resource: 'op2', registered: false });
    for (const endpoint of ['PJSIP/op2', 'PJSIP/nobody', 'SIP/op1']) {
      try {
        pbx.originate({ endpoint, app: 'siaga112' });
        expect.fail('should throw');
      } catch (err) {
        expect(err).to.be.instanceOf(PbxError);
        expect((err as PbxError).status).to.equal(500);
        expect((err as PbxError).bodyKey).to.equal('error');
      }
    }
    expect(events).to.deep.equal([]);
  });

  it('reads SIP headers a carrier passed, 500 for a missing one', function () {
    const { pbx } = setup();
    const ch = pbx.placeCall({ from: '0811', headers: { Geolocation: '<cid:a@b>', 'X-Caller-Location': 'lat=1;lon=2' } });
    expect(pbx.getVariable(ch.id, 'PJSIP_HEADER(read,Geolocation)')).to.equal('<cid:a@b>');
    expect(pbx.getVariable(ch.id, 'PJSIP_HEADERS(X-)')).to.equal('X-Caller-Location');
    expect(() => pbx.getVariable(ch.id, 'PJSIP_HEADER(read,X-None)')).to.throw(PbxError).with.property('status', 500);
    expect(() => pbx.getVariable(ch.id, 'NOT_SET')).to.throw(PbxError).with.property('status', 404);
  });

  it('publishes AMI-facing events: channel-created, channel-state, endpoint-state on (un)registration', function () {
    const { pbx, kinds, events } = setup();
    const ch = pbx.placeCall({ from: '0811' });
    pbx.answer(ch.id);
    pbx.unregisterEndpoint('op1');
    expect(kinds()).to.include.members(['channel-created', 'channel-state', 'endpoint-state', 'device-state']);
    const ep = events.find((e) => e.kind === 'endpoint-state');
    expect(ep && ep.kind === 'endpoint-state' && [ep.endpoint.state, ep.peerStatus, ep.contact?.status]).to.deep.equal(['offline', 'Unreachable', 'Removed']);
    const off = pbx.on('dtmf', () => expect.fail('unsubscribed'));
    off();
    pbx.callerDtmf(ch.id, '1');
  });
});
