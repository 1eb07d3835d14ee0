/**
 * The ari-client package's weak spots, and how AriClientConnection covers them.
 */
import { expect } from 'chai';
import { AriClientConnection } from '../../src/asterisk/ari/ari-client-connection';
import { asteriskReason, isAllocationFailure, isGone, toTelephonyError } from '../../src/asterisk/ari/ari-errors';
import type { AriEvent } from '../../src/asterisk/ari/ari-types';
import { parseGeolocationHeader, parseSipLocation, parseXCallerLocation } from '../../src/asterisk/location';
import { ringResultForCause } from '../../src/asterisk/asterisk-telephony';
import { systemClock } from '../../src/core/clock';
import { TelephonyError } from '../../src/core/errors';
import { PassThrough } from 'node:stream';
import { createLogger, silentLogger, type Logger } from '../../src/core/logger';
import { startSimulator, type Simulator } from '../../src/sim';
import { waitFor } from './asterisk-harness';

describe('ARI errors as ari-client reports them (status code lost, body in the message)', () => {
  it('reads Asterisk\u2019s message and error keys', () => {
    expect(asteriskReason(new Error('{"message":"Channel not found"}'))).to.equal('Channel not found');
    expect(asteriskReason(new Error('{"error":"Allocation failed"}'))).to.equal('Allocation failed');
    expect(asteriskReason(new Error('connect ECONNREFUSED 127.0.0.1:1'))).to.equal('connect ECONNREFUSED 127.0.0.1:1');
  });

  it('marks a gone channel, playback or bridge as gone=true, and Allocation failed as such', () => {
    for (const body of ['{"message":"Channel not found"}', '{"message":"Playback not found"}', '{"message":"Bridge not found"}', '{"message":"Channel not in Stasis application"}']) {
      const err = toTelephonyError('x', new Error(body));
      expect(err).to.be.instanceOf(TelephonyError);
      expect(isGone(err), body).to.equal(true);
    }
    const alloc = toTelephonyError('originate', new Error('{"error":"Allocation failed"}'));
    expect(isGone(alloc)).to.equal(false);
    expect(isAllocationFailure(alloc)).to.equal(true);
    expect(isGone(toTelephonyError('x', new Error('{"message":"Invalid endpoint specified"}')))).to.equal(false);
  });

  it('maps Q.850 causes of an unanswered operator leg to ring results', () => {
    expect(ringResultForCause(17)).to.equal('busy');
    expect(ringResultForCause(19)).to.equal('no_answer');
    expect(ringResultForCause(21)).to.equal('rejected');
    expect(ringResultForCause(20)).to.equal('unreachable');
    expect(ringResultForCause(16)).to.equal('no_answer');
  });
});

describe('SIP location headers', () => {
  it('reads X-Caller-Location as recorded', () => {
    expect(parseXCallerLocation('lat=-6.175392;lon=106.827153;acc=25')).to.deep.equal({ latitude: -6.175392, longitude: 106.827153, accuracyM: 25, source: 'sip-x-caller-location' });
    expect(parseXCallerLocation('-6.2, 106.8')).to.deep.include({ latitude: -6.2, longitude: 106.8 });
    expect(parseXCallerLocation('Jl. Thamrin 1')).to.deep.equal({ text: 'Jl. Thamrin 1', source: 'sip-x-caller-location' });
    expect(parseXCallerLocation('lat=999;lon=1')).to.deep.equal({ text: 'lat=999;lon=1', source: 'sip-x-caller-location' });
  });

  it('reads a geo: URI by value and keeps a reference as text', () => {
    expect(parseGeolocationHeader('<geo:-6.2,106.8;u=40>')).to.deep.equal({ latitude: -6.2, longitude: 106.8, accuracyM: 40, source: 'sip-geolocation' });
    expect(parseGeolocationHeader('<cid:target123@caller.example.com>')).to.deep.equal({ text: 'Geolocation: cid:target123@caller.example.com', source: 'sip-geolocation' });
    expect(parseSipLocation({ geolocation: '<cid:x@y>', xCallerLocation: 'lat=1;lon=2' })).to.deep.include({ latitude: 1, longitude: 2, text: 'Geolocation: cid:x@y' });
    expect(parseSipLocation({})).to.equal(undefined);
  });
});

describe('ARI connection over the unmodified ari-client', function () {
  this.timeout(90000);
  let sim: Simulator | undefined;
  let conn: AriClientConnection | undefined;

  afterEach(async () => {
    await conn?.stop();
    await sim?.stop();
    conn = undefined;
    sim = undefined;
  });

  async function connect(reconnectMaxMs = 1000, logger: Logger = silentLogger()): Promise<{ events: AriEvent[]; states: boolean[] }> {
    sim = await startSimulator({ ariPort: 0, username: 'u', password: 'p' });
    conn = new AriClientConnection({ url: sim.ariUrl, user: 'u', password: 'p', app: 'siaga112', clock: systemClock, logger, actionTimeoutMs: 2000, reconnectMaxMs });
    const events: AriEvent[] = [];
    const states: boolean[] = [];
    conn.onEvent((e) => events.push(e));
    conn.onConnection((up) => states.push(up));
    await conn.start();
    return { events, states };
  }

  it('survives an event type missing from its model (ari-client would throw in its socket handler) and delivers it', async () => {
    const { events } = await connect();
    expect(sim!.ari.injectEvent('siaga112', { type: 'SomethingNewInAsterisk23', application: 'siaga112', timestamp: '2026-11-28T00:00:00.000+0000' })).to.equal(true);
    expect(sim!.ari.injectEvent('siaga112', { type: 'DeviceStateChanged', application: 'siaga112', device_state: { name: 'x', state: 'NOT_INUSE' } })).to.equal(true);
    await waitFor('both events', () => events.some((e) => e.type === 'DeviceStateChanged'));
    expect(events.map((e) => e.type)).to.include('SomethingNewInAsterisk23');
    expect(conn!.connected).to.equal(true);
  });

  it('turns a 404 on a gone channel into TelephonyError gone=true, and a missing SIP header into undefined', async () => {
    await connect();
    await conn!.answer('no-such-channel').then(
      () => expect.fail('should reject'),
      (err: unknown) => expect(isGone(err)).to.equal(true),
    );
    await conn!.hangup('no-such-channel').catch((err: unknown) => expect(isGone(err)).to.equal(true));
    const ch = sim!.control.placeCall({ from: '0812', steps: [{ wait: 30 }] });
    await waitFor('in stasis', async () => (await conn!.listChannels()).some((c) => c.id === ch.id));
    expect(await conn!.getVariable(ch.id, 'PJSIP_HEADER(read,Geolocation)')).to.equal(undefined);
    expect(await conn!.getVariable(ch.id, 'CALLERID(num)')).to.equal('0812');
  });

  it('times out a request the PBX does not answer', async () => {
    await connect();
    sim!.ari.faults.responseDelayMs = 5000;
    const started = Date.now();
    await conn!.listChannels().then(
      () => expect.fail('should time out'),
      (err: Error) => expect(err.message).to.match(/no answer from the PBX within 2000 ms/),
    );
    expect(Date.now() - started).to.be.lessThan(4000);
    sim!.ari.faults.responseDelayMs = 0;
  });

  it('reconnects after a short WebSocket drop', async () => {
    const { states } = await connect();
    sim!.control.faults.dropWebSocket(1);
    await waitFor('down', () => states.includes(false), 5000);
    await waitFor('up again', () => conn!.connected, 10000);
    expect(states.slice(-2)).to.deep.equal([false, true]);
  });

  it('keeps reconnecting after ari-client gives up for good (WebSocketMaxRetries after ~43 s)', async function (this: Mocha.Context) {
    if (process.env.SIAGA112_SKIP_SLOW === '1') this.skip();
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    const { states } = await connect(1000, createLogger({ level: 'warn', stream }));
    // Refuse the socket longer than ari-client's own ~43 s of retries.
    sim!.control.faults.dropWebSocket(50);
    await waitFor('down', () => states.includes(false), 5000);
    await waitFor('up again after 50 s', () => conn!.connected, 70000);
    expect(conn!.connected).to.equal(true);
    // It was siaga112's supervisor, not ari-client, that brought it back.
    expect(lines.some((l) => l.includes('ARI gave up reconnecting; siaga112 restarts it'))).to.equal(true);
    // Events flow again on the new socket.
    expect(sim!.ari.injectEvent('siaga112', { type: 'DeviceStateChanged', application: 'siaga112', device_state: { name: 'y', state: 'INUSE' } })).to.equal(true);
  });
});
