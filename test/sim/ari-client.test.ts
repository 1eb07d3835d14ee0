import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import sinon from 'sinon';
import { startSimulator, type Simulator } from '../../src/sim/index';
import { flush, until } from './helpers';

// ari-client has no type declarations; what the tests use of it is typed here.
interface AriChannel {
  id: string;
  name: string;
  answer(): Promise<void>;
  play(opts: { media: string }, playback?: AriPlayback): Promise<AriPlayback>;
  getChannelVar(opts: { variable: string }): Promise<{ value: string }>;
  hangup(): Promise<void>;
}
interface AriPlayback {
  id: string;
}
interface AriBridge {
  id: string;
  addChannel(opts: { channel: string }): Promise<void>;
  startMoh(opts?: { mohClass?: string }): Promise<void>;
}
interface AriClient extends EventEmitter {
  start(app: string): Promise<void>;
  stop(): void;
  Playback(): AriPlayback;
  channels: {
    list(): Promise<AriChannel[]>;
    get(o: { channelId: string }): Promise<AriChannel>;
    originate(o: Record<string, string>): Promise<AriChannel>;
  };
  bridges: { create(o: { type: string; name?: string }): Promise<AriBridge> };
}
type Ev = Record<string, unknown> & { type: string };

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ari = require('ari-client') as { connect(url: string, user: string, pass: string): Promise<AriClient> };

function nextEvent(client: AriClient, type: string, pred: (e: Ev, obj: unknown) => boolean = () => true, timeoutMs = 3000): Promise<{ event: Ev; obj: unknown }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(type, listener);
      reject(new Error(`no ${type} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (event: Ev, obj: unknown): void => {
      if (!pred(event, obj)) return;
      clearTimeout(timer);
      client.off(type, listener);
      resolve({ event, obj });
    };
    client.on(type, listener);
  });
}

describe('sim: the unmodified ari-client against the simulator', function () {
  let sim: Simulator;
  let client: AriClient;
  const events: Ev[] = [];

  beforeEach(async function () {
    sim = await startSimulator({
      ariPort: 0,
      scenario: {
        sounds: { 'hello-world': 0.3 },
        endpoints: [
          { resource: 'op1', after: 0.2 },
          { resource: 'op2', behaviour: 'busy', after: 0.1 },
          { resource: 'op3', behaviour: 'no-answer' },
          { resource: 'op4', registered: false },
        ],
      },
    });
    events.length = 0;
    client = await ari.connect(sim.ariUrl, 'siaga112', 'demo');
    client.on('*', (e: Ev) => events.push(e));
    await client.start('siaga112');
  });

  afterEach(async function () {
    client?.stop();
    await sim?.stop();
  });

  it('connects, lists channels, gets StasisStart, answers, plays, receives DTMF, reads SIP headers', async function () {
    expect(await client.channels.list()).to.deep.equal([]);
    const started = nextEvent(client, 'StasisStart');
    sim.control.placeCall({ from: '081234567890', name: 'Caller 112', headers: { Geolocation: '<cid:loc@carrier>' }, steps: [{ wait: 0.5 }, { dtmf: '12#', gap: 0.05 }] });
    const { event, obj } = await started;
    const channel = obj as AriChannel;
    const snap = event.channel as { caller: { number: string }; dialplan: { context: string; exten: string } };
    expect(event.args).to.deep.equal([]);
    expect(snap.caller.number).to.equal('081234567890');
    expect(snap.dialplan).to.include({ context: 'from-pstn', exten: '112' });
    expect((await client.channels.list()).map((c) => c.id)).to.deep.equal([channel.id]);

    const finished = nextEvent(client, 'PlaybackFinished');
    await channel.answer();
    const playback = client.Playback();
    await channel.play({ media: 'sound:hello-world' }, playback);
    expect((await finished).event.playback).to.include({ id: playback.id, state: 'done' });

    await until(() => events.filter((e) => e.type === 'ChannelDtmfReceived').length === 3, 3000, 'three digits');
    expect(events.filter((e) => e.type === 'ChannelDtmfReceived').map((e) => e.digit)).to.deep.equal(['1', '2', '#']);
    expect(await channel.getChannelVar({ variable: 'PJSIP_HEADER(read,Geolocation)' })).to.deep.equal({ value: '<cid:loc@carrier>' });
    let err: unknown;
    await channel.getChannelVar({ variable: 'PJSIP_HEADER(read,X-Nope)' }).catch((e: unknown) => (err = e));
    expect(String(err)).to.include('Unable to read provided function');
  });

  it('creates bridges and originates an operator that answers into the app', async function () {
    const started = nextEvent(client, 'StasisStart');
    sim.control.placeCall({ from: '081234567890' });
    const caller = (await started).obj as AriChannel;
    await caller.answer();
    const holding = await client.bridges.create({ type: 'holding', name: 'hold-queue' });
    await holding.addChannel({ channel: caller.id });
    await holding.startMoh({ mohClass: 'default' });

    const opStarted = nextEvent(client, 'StasisStart', (e) => (e.args as string[])[0] === 'operator');
    const op = await client.channels.originate({ endpoint: 'PJSIP/op1', app: 'siaga112', appArgs: `operator,${caller.id}`, callerId: '"112 Caller" <081234567890>', timeout: '20' });
    const { event } = await opStarted;
    expect(event.args).to.deep.equal(['operator', caller.id]);
    expect((event.channel as { id: string; state: string }).id).to.equal(op.id);
    expect((event.channel as { state: string }).state).to.equal('Up');
    const dials = events.filter((e) => e.type === 'Dial').map((e) => e.dialstatus);
    expect(dials).to.deep.equal(['', 'RINGING', 'ANSWER']);

    const mixing = await client.bridges.create({ type: 'mixing' });
    await mixing.addChannel({ channel: `${caller.id},${op.id}` } as { channel: string });
    await until(() => events.filter((e) => e.type === 'ChannelEnteredBridge').length === 3, 2000, 'bridge entries');
    const entered = events.filter((e) => e.type === 'ChannelEnteredBridge').map((e) => (e.bridge as { bridge_type: string }).bridge_type);
    expect(entered).to.deep.equal(['holding', 'mixing', 'mixing']);
  });

  it('reports busy (cause 17), no answer (cause 19) and an unregistered endpoint (500 Allocation failed)', async function () {
    const busy = nextEvent(client, 'ChannelDestroyed', (e) => e.cause === 17);
    await client.channels.originate({ endpoint: 'PJSIP/op2', app: 'siaga112', appArgs: 'operator,x' });
    expect((await busy).event.cause_txt).to.equal('User busy');

    const noAnswer = nextEvent(client, 'ChannelDestroyed', (e) => e.cause === 19);
    await client.channels.originate({ endpoint: 'PJSIP/op3', app: 'siaga112', appArgs: 'operator,y', timeout: '1' });
    expect((await noAnswer).event).to.include({ cause_txt: 'User alerting, no answer', tech_cause: 480 });

    let err: unknown;
    await client.channels.originate({ endpoint: 'PJSIP/op4', app: 'siaga112' }).catch((e: unknown) => (err = e));
    expect(String(err)).to.include('Allocation failed');
    expect(events.filter((e) => e.type === 'StasisStart')).to.have.length(0);
  });

  it('rejects operations on a channel that is gone with Asterisk\'s 404 body', async function () {
    const started = nextEvent(client, 'StasisStart');
    sim.control.placeCall({ from: '0811' });
    const caller = (await started).obj as AriChannel;
    const ended = nextEvent(client, 'StasisEnd');
    sim.control.callerHangup(caller.id);
    await ended;
    let err: unknown;
    await caller.answer().catch((e: unknown) => (err = e));
    expect(String(err)).to.include('Channel not found');
  });

  it('KEPT (ari-client bug): throws inside its WebSocket handler on an event type without a model', async function () {
    // ari-client looks the model up by type and reads `.properties` of undefined.
    const mochaHandlers = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    let thrown: unknown;
    process.once('uncaughtException', (e) => (thrown = e));
    try {
      expect(sim.control.faults.injectEvent('siaga112', { type: 'ChannelFutureThing', timestamp: '2026-11-28T16:49:22.249+0000', application: 'siaga112' })).to.equal(true);
      await until(() => thrown !== undefined, 2000, 'the throw');
    } finally {
      process.removeAllListeners('uncaughtException');
      for (const h of mochaHandlers) process.on('uncaughtException', h);
    }
    expect(thrown).to.be.instanceOf(TypeError);
    expect(String(thrown)).to.match(/properties/);
  });
});

describe('sim: ari-client reconnection against a simulator that stays away (KEPT: ari-client gives up)', function () {
  it('stops reconnecting for good after 10 retries, about 43 s of backoff', async function () {
    const sim = await startSimulator({ ariPort: 0 });
    const client = await ari.connect(sim.ariUrl, 'siaga112', 'demo');
    await client.start('siaga112');
    const realTimeout = setTimeout;
    const realSleep = (ms: number) => new Promise<void>((r) => realTimeout(r, ms));
    const fake = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.now() });
    let reconnecting = 0;
    let gaveUpAt: number | undefined;
    const t0 = Date.now();
    client.on('WebSocketReconnecting', () => reconnecting++);
    client.on('WebSocketMaxRetries', () => (gaveUpAt = Date.now() - t0));
    try {
      await sim.ari.close(); // Asterisk goes away (port closed)
      for (let i = 0; i < 700 && gaveUpAt === undefined; i++) {
        await fake.tickAsync(100);
        await realSleep(2);
      }
      expect(gaveUpAt, 'WebSocketMaxRetries').to.be.a('number');
      expect(reconnecting).to.equal(10);
      expect(gaveUpAt as number).to.be.within(42_000, 44_000);
      // Asterisk is back: ari-client never tries again.
      await sim.ari.start();
      for (let i = 0; i < 100; i++) {
        await fake.tickAsync(100);
        await realSleep(1);
      }
      expect(sim.ari.connections).to.equal(0);
    } finally {
      fake.restore();
      client.stop();
      await flush(10);
      await sim.stop();
    }
  });
});
