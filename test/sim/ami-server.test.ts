/** AMI server behaviour not covered by the transcripts: fault controls, filters, event masks, the model attachment. */
import { expect } from 'chai';
import { attachAmiToPbx } from '../../src/sim/ami/attach';
import { DialplanStore } from '../../src/sim/ami/dialplan-store';
import { AmiFramer, parseMessages, serializeMessage } from '../../src/sim/ami/message';
import type { AmiPbx, PbxEvent } from '../../src/sim/ami/pbx-events';
import { startAmiServer, type AmiServer } from '../../src/sim/ami/server';
import { Pbx } from '../../src/sim/model/pbx';
import { RawAmiClient, rawLogin } from './ami-raw-client';
import net from 'node:net';
import { SystemClock } from '../../src/core/clock';

describe('sim AMI server', function () {
  let ami: AmiServer;
  beforeEach(async () => {
    ami = await startAmiServer({ port: 0, users: [{ name: 'siaga', secret: 'siaga' }], authFailDelayMs: 10 });
  });
  afterEach(() => ami.stop());

  describe('framing', () => {
    it('serialises in order with CRLF and parses split chunks, repeated keys and bare LF', () => {
      expect(serializeMessage([['Response', 'Success'], ['Output', 'a'], ['Output', 'b: c']])).to.equal('Response: Success\r\nOutput: a\r\nOutput: b: c\r\n\r\n');
      const f = new AmiFramer();
      expect(f.push('Action: Pi')).to.deep.equal([]);
      expect(f.push('ng\r\nActionID: 1\r\n\r\nAction: X\n\n')).to.deep.equal([[['Action', 'Ping'], ['ActionID', '1']], [['Action', 'X']]]);
      expect(parseMessages('garbage line\r\n\r\n')).to.deep.equal([[['', 'garbage line']]]);
    });
  });

  it('actions before login: Permission denied; a message without Action: Missing action in request', async () => {
    const c = await RawAmiClient.connect(ami.port);
    expect(await c.action([['Action', 'Ping'], ['ActionID', 'p']])).to.deep.equal([['Response', 'Error'], ['ActionID', 'p'], ['Message', 'Permission denied']]);
    expect(await c.action([['ActionID', 'n']])).to.deep.equal([['Response', 'Error'], ['ActionID', 'n'], ['Message', 'Missing action in request']]);
    c.close();
  });

  it('Login with Events: off sends no events; Events on brings them back; Filter keeps only matches', async () => {
    const c = await rawLogin(ami.port, 'siaga', 'siaga', 'off');
    ami.registerContact('op1', 'sip:op1@127.0.0.1:5072');
    await new Promise((r) => setTimeout(r, 50));
    expect(c.messages.filter((m) => m[0]![0] === 'Event')).to.have.length(0);
    await c.action([['Action', 'Events'], ['ActionID', 'e'], ['EventMask', 'on']]);
    await c.action([['Action', 'Filter'], ['ActionID', 'f'], ['Operation', 'Add'], ['Filter', 'Event: PeerStatus']]);
    ami.unregisterContact('op1');
    await c.until(() => c.events('PeerStatus').length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.events('ContactStatus')).to.have.length(0);
    expect(c.events('DeviceStateChange')).to.have.length(0);
    c.close();
  });

  it('event mask by category: Events: system gets PeerStatus but not DeviceStateChange (call)', async () => {
    const c = await rawLogin(ami.port, 'siaga', 'siaga', 'system');
    ami.registerContact('op2', 'sip:op2@127.0.0.1:5073');
    await c.until(() => c.events('ContactStatus').length === 1);
    expect(c.events('DeviceStateChange')).to.have.length(0);
    c.close();
  });

  it('dropConnections(ms) closes every session and refuses new connections until ms have passed', async () => {
    const c = await rawLogin(ami.port);
    await ami.dropConnections(300);
    await c.until(() => c.closed);
    expect(ami.connectionCount()).to.equal(0);
    const refused = await new Promise<string>((resolve) => {
      const s = net.createConnection(ami.port, '127.0.0.1');
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      s.on('connect', () => { s.destroy(); resolve('connected'); });
    });
    expect(refused).to.equal('ECONNREFUSED');
    await new Promise((r) => setTimeout(r, 400));
    const again = await rawLogin(ami.port);
    expect(again.banner).to.equal('Asterisk Call Manager/11.0.0');
    again.close();
  });

  it('setResponseDelay delays answers, not events', async () => {
    const c = await rawLogin(ami.port);
    ami.setResponseDelay(250);
    const t0 = Date.now();
    await c.action([['Action', 'Ping'], ['ActionID', 'slow']]);
    expect(Date.now() - t0).to.be.at.least(240);
    ami.setResponseDelay(0);
    const t1 = Date.now();
    await c.action([['Action', 'Ping'], ['ActionID', 'fast']]);
    expect(Date.now() - t1).to.be.below(200);
    c.close();
  });

  it('Originate to an endpoint without contact: sync → Originate failed; async → OriginateResponse Failure', async () => {
    const c = await rawLogin(ami.port);
    const sync = await c.action([['Action', 'Originate'], ['ActionID', 's'], ['Channel', 'PJSIP/op2'], ['Application', 'Wait'], ['Data', '1']]);
    expect(sync).to.deep.equal([['Response', 'Error'], ['ActionID', 's'], ['Message', 'Originate failed']]);
    await c.action([['Action', 'Originate'], ['ActionID', 'a'], ['Channel', 'PJSIP/op2'], ['Application', 'Wait'], ['Data', '1'], ['Async', 'true']]);
    await c.until(() => c.events('OriginateResponse').length === 1);
    const e = c.events('OriginateResponse')[0]!;
    expect(e.find(([k]) => k === 'Response')?.[1]).to.equal('Failure');
    expect(e.find(([k]) => k === 'Uniqueid')?.[1]).to.equal('<null>');
    c.close();
  });

  it('Reload: pbx_config re-reads the dialplan and emits Reload; unknown module is an error', async () => {
    const c = await rawLogin(ami.port);
    const before = ami.dialplan.reloads;
    expect((await c.action([['Action', 'Reload'], ['ActionID', 'r'], ['Module', 'pbx_config']]))[2]).to.deep.equal(['Message', 'Module Reloaded']);
    expect(ami.dialplan.reloads).to.equal(before + 1);
    await c.until(() => c.events('Reload').length === 1);
    expect((await c.action([['Action', 'Reload'], ['ActionID', 'x'], ['Module', 'nosuchmodule']]))[2]).to.deep.equal(['Message', 'No such module']);
    c.close();
  });

  it('dialplan show of an unknown context is an Error with Asterisk\'s text', async () => {
    const c = await rawLogin(ami.port);
    const r = await c.action([['Action', 'Command'], ['ActionID', 'd'], ['Command', 'dialplan show nosuch']]);
    expect(r).to.deep.equal([['Response', 'Error'], ['ActionID', 'd'], ['Message', 'Command output follows'], ['Output', "There is no existence of 'nosuch' context"]]);
    c.close();
  });

  it('DialplanStore reads n(label) priorities and the file:line of each', () => {
    const store = new DialplanStore({ sources: [{ file: 'x.conf', text: '[a]\nexten => s,1,Answer()\n same => n(wait),Queue(q,t,,,300)\n' }] });
    const ctx = store.getContext('a')!;
    expect(ctx.extensions[0]!.priorities.map((p) => [p.priority, p.label, p.app, p.data, p.line])).to.deep.equal([
      [1, undefined, 'Answer', '', 2], [2, 'wait', 'Queue', 'q,t,,,300', 3],
    ]);
    expect(store.show('a').text).to.contain('     [wait]         2. Queue(q,t,,,300)');
  });

  describe('attachAmiToPbx', () => {
    it('turns events of a PBX (the AmiPbx interface) into AMI events, and detaches', async () => {
      let listener: ((e: PbxEvent) => void) | undefined;
      const fake: AmiPbx = { onAny: (fn) => { listener = fn; return () => { listener = undefined; }; } };
      const off = attachAmiToPbx(ami, fake);
      const c = await rawLogin(ami.port);
      const channel = {
        id: '1795885356.36', name: 'PJSIP/caller-0000000e', state: 'Ring' as const, protocolId: 'x', caller: { name: 'Caller 112', number: '081234567890' },
        connected: { name: '', number: '' }, accountcode: '', dialplan: { context: 'from-pstn', exten: '113', priority: 2, appName: 'Stasis', appData: 'siaga112' },
        creationTime: 0, language: 'en', linkedId: '1795885356.36',
      };
      listener!({ kind: 'channel-created', at: 0, apps: [], channel });
      listener!({ kind: 'channel-varset', at: 0, apps: [], channel, variable: 'STASISSTATUS', value: 'FAILED' });
      listener!({ kind: 'channel-destroyed', at: 0, apps: [], channel, cause: 16, causeTxt: 'Normal Clearing', techCause: 0 });
      await c.until(() => c.events('Hangup').length === 1);
      expect(c.events('Newchannel')[0]).to.deep.include(['CallerIDNum', '081234567890']);
      expect(c.events('VarSet')[0]!.slice(-2)).to.deep.equal([['Variable', 'STASISSTATUS'], ['Value', 'FAILED']]);
      expect(c.events('Hangup')[0]!.slice(-2)).to.deep.equal([['Cause', '16'], ['Cause-txt', 'Normal Clearing']]);
      off();
      expect(listener).to.equal(undefined);
      c.close();
    });

    it('with the real model: an operator registering gives ContactStatus/PeerStatus', async () => {
      const pbx = new Pbx({ clock: new SystemClock() });
      const off = attachAmiToPbx(ami, pbx);
      const c = await rawLogin(ami.port);
      pbx.addEndpoint({ resource: 'op2', registered: false });
      pbx.registerEndpoint('op2', 'sip:op2@127.0.0.1:5073');
      await c.until(() => c.events('ContactStatus').length >= 1);
      expect(c.events('PeerStatus')[0]).to.deep.include(['PeerStatus', 'Reachable']);
      expect(ami.state.endpoints.get('op2')!.contact!.uri).to.equal('sip:op2@127.0.0.1:5073');
      off();
      c.close();
    });
  });
});
