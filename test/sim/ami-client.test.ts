/**
 * The unmodified `asterisk-manager` package against the simulator's AMI server,
 * including the package's known quirks (kept here as tests so they stay visible).
 */
import { expect } from 'chai';
import sinon from 'sinon';
// asterisk-manager has no types; describe the part we use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const AsteriskManager = require('asterisk-manager') as AmiFactory;
import { startAmiServer, type AmiServer } from '../../src/sim/ami/server';

type AmiEvent = Record<string, unknown>;
type ActionCallback = (err: AmiEvent | undefined | null, res?: AmiEvent) => void;
interface Manager {
  on(event: string, fn: (e: AmiEvent) => void): void;
  once(event: string, fn: (...a: unknown[]) => void): void;
  connect(port: number, host: string, cb?: (err: unknown) => void): void;
  login(cb: (err?: AmiEvent) => void): void;
  action(action: Record<string, unknown>, cb?: ActionCallback): string;
  disconnect(): void;
  keepConnected(): void;
  isConnected(): boolean;
}
type AmiFactory = (port?: number, host?: string, user?: string, pass?: string, events?: boolean) => Manager;

function waitFor<T>(fn: (resolve: (v: T) => void) => void, ms = 3000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timed out')), ms);
    fn((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

function act(m: Manager, action: Record<string, unknown>, ms = 3000): Promise<{ err: AmiEvent | undefined | null; res?: AmiEvent }> {
  return waitFor((resolve) => m.action(action, (err, res) => resolve({ err, res })), ms);
}

async function connectAndLogin(port: number, user = 'siaga', pass = 'siaga'): Promise<{ m: Manager; events: AmiEvent[]; err?: AmiEvent }> {
  const m = AsteriskManager(undefined, '127.0.0.1', user, pass, true);
  const events: AmiEvent[] = [];
  m.on('managerevent', (e) => events.push(e));
  await waitFor<void>((resolve) => m.connect(port, '127.0.0.1', () => resolve()));
  const err = await waitFor<AmiEvent | undefined>((resolve) => m.login((e) => resolve(e)));
  return { m, events, err };
}

describe('sim AMI with the asterisk-manager package', function () {
  let ami: AmiServer;
  const managers: Manager[] = [];
  const quietLog = console.log;

  beforeEach(async () => {
    ami = await startAmiServer({ port: 0, users: [{ name: 'siaga', secret: 'siaga' }], authFailDelayMs: 20 });
  });
  afterEach(async () => {
    console.log = quietLog;
    managers.splice(0).forEach((m) => m.disconnect());
    await ami.stop();
  });

  it('logs in, gets FullyBooted, and answers Ping, Command, CoreStatus', async () => {
    const { m, events, err } = await connectAndLogin(ami.port);
    managers.push(m);
    expect(err).to.equal(undefined);
    const ping = await act(m, { action: 'Ping' });
    expect(ping.err).to.equal(undefined);
    expect(ping.res).to.include({ response: 'Success', ping: 'Pong' });
    const cmd = await act(m, { action: 'Command', command: 'dialplan reload' });
    expect(cmd.res).to.include({ response: 'Success', message: 'Command output follows', output: 'Dialplan reloaded.' });
    const st = await act(m, { action: 'CoreStatus' });
    expect(st.res).to.have.property('corecurrentcalls', '0');
    expect(events.map((e) => e.event)).to.include('FullyBooted');
  });

  it('gets ContactStatus/PeerStatus/DeviceStateChange when an operator registers and unregisters', async () => {
    const { m, events } = await connectAndLogin(ami.port);
    managers.push(m);
    const contact = waitFor<AmiEvent>((resolve) => m.on('contactstatus', (e) => e.contactstatus === 'Removed' && resolve(e)));
    ami.registerContact('op1', 'sip:op1@127.0.0.1:5072');
    ami.unregisterContact('op1');
    const removed = await contact;
    expect(removed).to.include({ uri: 'sip:op1@127.0.0.1:5072', aor: 'op1', endpointname: 'op1' });
    const names = events.map((e) => `${String(e.event)}:${String(e.peerstatus ?? e.state ?? e.contactstatus ?? '')}`);
    expect(names).to.include.members([
      'PeerStatus:Reachable', 'DeviceStateChange:NOT_INUSE', 'ContactStatus:NonQualified',
      'PeerStatus:Unreachable', 'DeviceStateChange:UNAVAILABLE', 'ContactStatus:Removed',
    ]);
  });

  it('PJSIPShowContacts: the callback fires on the first response; the list arrives as events', async () => {
    ami.registerContact('op1', 'sip:op1@127.0.0.1:5072');
    const { m, events } = await connectAndLogin(ami.port);
    managers.push(m);
    const complete = waitFor<AmiEvent>((resolve) => m.on('contactlistcomplete', resolve));
    const r = await act(m, { action: 'PJSIPShowContacts', actionid: 'ctc-1' });
    expect(r.res).to.include({ response: 'Success', eventlist: 'start' });
    expect(await complete).to.include({ listitems: '1', actionid: 'ctc-1' });
    const item = events.find((e) => e.event === 'ContactList');
    expect(item).to.include({ endpoint: 'op1', uri: 'sip:op1@127.0.0.1:5072', status: 'NonQualified' });
  });

  it('Originate (async) answers at once, then OriginateResponse arrives as an event', async () => {
    const { m } = await connectAndLogin(ami.port);
    managers.push(m);
    const resp = waitFor<AmiEvent>((resolve) => m.on('originateresponse', resolve));
    const r = await act(m, {
      action: 'Originate', channel: 'Local/112@from-pstn', context: 'simcaller', exten: 's', priority: 1,
      callerid: '"AMI Caller" <0811111111>', async: 'true', variable: { DIGITS: '9#' },
    });
    expect(r.err).to.equal(undefined);
    expect(r.res).to.include({ response: 'Success', message: 'Originate successfully queued' });
    const e = await resp;
    expect(e).to.include({ response: 'Success', reason: '4', calleridnum: '0811111111', calleridname: 'AMI Caller' });
    expect(String(e.channel)).to.match(/^Local\/112@from-pstn-[0-9a-f]{8};1$/);
  });

  it('errors arrive as the first callback argument (Originate without Channel, unknown action)', async () => {
    const { m } = await connectAndLogin(ami.port);
    managers.push(m);
    const r = await act(m, { action: 'Originate', exten: '112', context: 'from-pstn', priority: 1 });
    expect(r.err).to.include({ response: 'Error', message: 'Channel not specified' });
    const u = await act(m, { action: 'FooBar' });
    expect(u.err).to.have.property('message').that.matches(/^Invalid\/unknown command: FooBar\./);
  });

  it('failed login: the login callback gets the error and the server closes the connection', async () => {
    const m = AsteriskManager(undefined, '127.0.0.1', 'siaga', 'wrong', true);
    managers.push(m);
    const closed = waitFor<void>((resolve) => m.once('close', () => resolve()));
    await waitFor<void>((resolve) => m.connect(ami.port, '127.0.0.1', () => resolve()));
    const err = await waitFor<AmiEvent | undefined>((resolve) => m.login((e) => resolve(e)));
    expect(err).to.include({ response: 'Error', message: 'Authentication failed' });
    await closed;
    expect(m.isConnected()).to.equal(false);
  });

  describe('quirks of asterisk-manager 0.2.0 (siaga112 must cope with them)', () => {
    it('sends `Event: on|off` at login, which Asterisk ignores: events=false still gets events', async () => {
      const m = AsteriskManager(undefined, '127.0.0.1', 'siaga', 'siaga', false);
      managers.push(m);
      const got: AmiEvent[] = [];
      m.on('managerevent', (e) => got.push(e));
      await waitFor<void>((resolve) => m.connect(ami.port, '127.0.0.1', () => resolve()));
      await waitFor<unknown>((resolve) => m.login(resolve));
      await waitFor<void>((resolve) => setTimeout(resolve, 50));
      expect(got.map((e) => e.event)).to.include('FullyBooted');
    });

    it('multi-line Command output: `output` is a string for one line, an array for several (Asterisk 22 has no --END COMMAND--)', async () => {
      const { m } = await connectAndLogin(ami.port);
      managers.push(m);
      const one = await act(m, { action: 'Command', command: 'dialplan reload' });
      expect(one.res!.output).to.be.a('string');
      const many = await act(m, { action: 'Command', command: 'dialplan show from-pstn' });
      expect(many.res!.output).to.be.an('array');
      expect((many.res!.output as string[])[0]).to.equal("[ Context 'from-pstn' created by 'pbx_config' ]");
      // One leading space of every line is eaten with the `: ` separator only; the rest stays.
      expect((many.res!.output as string[])[1]).to.match(/^ {2}'112' =>/);
    });

    it('VarSet: `Variable: STASISSTATUS` becomes an object {STASISSTATUS: ""}; the value is in `value`', async () => {
      const { m } = await connectAndLogin(ami.port);
      managers.push(m);
      const got = waitFor<AmiEvent>((resolve) => m.on('varset', resolve));
      ami.emitEvent([['Event', 'VarSet'], ['Privilege', 'dialplan,all'], ['Channel', 'PJSIP/caller-0000000e'], ['Variable', 'STASISSTATUS'], ['Value', 'FAILED']]);
      const e = await got;
      expect(e.variable).to.deep.equal({ STASISSTATUS: '' });
      expect(e.value).to.equal('FAILED');
    });

    it('has no action timeout: a response that never comes leaves the callback pending forever', async () => {
      const { m } = await connectAndLogin(ami.port);
      managers.push(m);
      ami.setMuted(true);
      let fired = false;
      m.action({ action: 'Ping' }, () => (fired = true));
      await waitFor<void>((resolve) => setTimeout(resolve, 300));
      expect(fired).to.equal(false);
    });

    it('after the server drops the connection, actions are written to a dead socket and their callbacks never fire', async () => {
      const { m } = await connectAndLogin(ami.port);
      managers.push(m);
      const closed = waitFor<void>((resolve) => m.once('close', () => resolve()));
      await ami.dropConnections(200);
      await closed;
      let fired = false;
      m.action({ action: 'Ping' }, () => (fired = true));
      await waitFor<void>((resolve) => setTimeout(resolve, 300));
      expect(fired).to.equal(false);
    });

    it('keepConnected() does nothing when called while connected (it only arms itself if isConnected() === false)', async () => {
      const { m } = await connectAndLogin(ami.port);
      managers.push(m);
      const lines: string[] = [];
      console.log = (...a: unknown[]) => lines.push(a.join(' '));
      m.keepConnected();
      await ami.dropConnections(0);
      await waitFor<void>((resolve) => setTimeout(resolve, 200));
      console.log = quietLog;
      expect(lines.join('\n')).not.to.contain('Trying to reconnect');
      expect(m.isConnected()).to.equal(false);
    });

    it('keepConnected() armed during connect: after a drop it waits a fixed 10 s before reconnecting, logging with console.log', async () => {
      const m = AsteriskManager(undefined, '127.0.0.1', 'siaga', 'siaga', true);
      managers.push(m);
      const connected = waitFor<void>((resolve) => m.connect(ami.port, '127.0.0.1', () => resolve()));
      m.keepConnected(); // socket still opening: isConnected() === false, so it arms
      await connected;
      await waitFor<unknown>((resolve) => m.login(resolve));
      const lines: string[] = [];
      console.log = (...a: unknown[]) => lines.push(a.join(' '));
      // Its reconnect timer cannot be cancelled (disconnect() leaves it armed):
      // fake setTimeout so that timer is dropped with the fake clock and does
      // not fire into later tests.
      const fake = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      try {
        await ami.dropConnections(0);
        for (let i = 0; i < 2000 && lines.length === 0; i++) await new Promise<void>((r) => setImmediate(r));
      } finally {
        fake.restore();
        console.log = quietLog;
      }
      expect(lines.join('\n')).to.contain('Trying to reconnect to AMI in 10 seconds');
      expect(m.isConnected()).to.equal(false);
    });
  });
});
