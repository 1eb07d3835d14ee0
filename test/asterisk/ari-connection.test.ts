/**
 * The ari-client package's weak spots, and how AriClientConnection covers them.
 */
import { expect } from 'chai';
import { AriClientConnection } from '../../src/asterisk/ari/ari-client-connection';
import { ariFailure, isAllocationFailure, isGone } from '../../src/asterisk/ari/ari-errors';
import { AriRest } from '../../src/asterisk/ari/ari-rest';
import type { AriEvent } from '../../src/asterisk/ari/ari-types';
import { parseGeolocationHeader, parseSipLocation, parseXCallerLocation } from '../../src/asterisk/location';
import { ringResultForCause } from '../../src/asterisk/asterisk-telephony';
import { systemClock } from '../../src/core/clock';
import { TelephonyError } from '../../src/core/errors';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { createLogger, silentLogger, type Logger } from '../../src/core/logger';
import { startSimulator, type Simulator } from '../../src/sim';
import { waitFor } from './asterisk-harness';

describe('ARI errors as Asterisk sends them (HTTP status, JSON message)', () => {
  it('marks a gone channel, playback or bridge as gone=true, and Allocation failed as such', () => {
    for (const [status, reason] of [
      [404, 'Channel not found'],
      [404, 'Playback not found'],
      [404, 'Bridge not found'],
      [409, 'Channel not in Stasis application'],
      [422, 'Channel not in Stasis application'],
      [400, 'Channel not found'],
    ] as const) {
      const err = ariFailure('x', status, reason);
      expect(err).to.be.instanceOf(TelephonyError);
      expect(isGone(err), reason).to.equal(true);
      expect(err.details).to.deep.include({ status, reason });
    }
    const alloc = ariFailure('originate', 500, 'Allocation failed');
    expect(isGone(alloc)).to.equal(false);
    expect(isAllocationFailure(alloc)).to.equal(true);
    expect(isGone(ariFailure('x', 400, 'Invalid endpoint specified'))).to.equal(false);
    expect(isGone(new Error('Channel not found'))).to.equal(false);
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

describe('ARI REST over one keep-alive agent (AriRest)', () => {
  let server: http.Server | undefined;
  let rest: AriRest | undefined;
  let connections = 0;
  const seen: Array<{ method: string; url: string; auth: string | undefined }> = [];

  afterEach(async () => {
    rest?.close();
    rest = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    }
    server = undefined;
    connections = 0;
    seen.length = 0;
  });

  /** A stand-in for Asterisk's HTTP server; `reply` answers each request, or not at all. */
  async function serve(reply: (req: http.IncomingMessage, res: http.ServerResponse, nth: number) => void, timeoutMs = 2000): Promise<AriRest> {
    let nth = 0;
    server = http.createServer((req, res) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization });
      reply(req, res, nth++);
    });
    server.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    rest = new AriRest({ url: `http://127.0.0.1:${port}`, user: 'asterisk', password: 'p@ss:word', clock: systemClock, timeoutMs });
    return rest;
  }

  const json = (res: http.ServerResponse, status: number, body?: unknown): void => {
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  it('sends every parameter in the query string, encodes path segments, and reuses one connection', async () => {
    const client = await serve((_req, res) => json(res, 200, { value: 'ok' }));
    for (let i = 0; i < 20; i += 1) {
      expect(await client.request('get variable', 'GET', `/channels/${encodeURIComponent('16.1/x y')}/variable`, { variable: 'PJSIP_HEADER(read,X-A&B)', skipped: undefined })).to.deep.equal({ value: 'ok' });
    }
    expect(connections).to.equal(1);
    expect(seen[0]!.url).to.equal('/ari/channels/16.1%2Fx%20y/variable?variable=PJSIP_HEADER(read%2CX-A%26B)');
    expect(seen[0]!.auth).to.equal(`Basic ${Buffer.from('asterisk:p@ss:word').toString('base64')}`);
  });

  it('returns undefined for 204 and Asterisk\u2019s message (with the status) for a refusal', async () => {
    const client = await serve((req, res) => {
      if (req.method === 'POST') return json(res, 204);
      if (req.url?.includes('variable')) return json(res, 500, { message: 'Unable to read provided function' });
      if (req.url?.startsWith('/ari/endpoints')) return json(res, 503);
      return json(res, 404, { message: 'Channel not found' });
    });
    expect(await client.request('answer', 'POST', '/channels/1/answer')).to.equal(undefined);
    const gone = await client.request('hang up', 'DELETE', '/channels/1').catch((err: unknown) => err);
    expect(isGone(gone)).to.equal(true);
    expect((gone as TelephonyError).message).to.equal('hang up: Channel not found');
    expect((gone as TelephonyError).details).to.deep.include({ status: 404, reason: 'Channel not found' });
    expect(await client.exchange('get variable', 'GET', '/channels/1/variable', { variable: 'X' })).to.deep.equal({ ok: false, status: 500, reason: 'Unable to read provided function' });
    const bare = await client.request('list endpoints', 'GET', '/endpoints/PJSIP').catch((err: unknown) => err);
    expect((bare as TelephonyError).message).to.equal('list endpoints: HTTP 503');
    expect(isGone(bare)).to.equal(false);
  });

  it('sends a request again, once, when a kept connection turns out closed by the server', async () => {
    const client = await serve((req, res, nth) => {
      // The second request arrives on the kept connection: drop it unanswered, as a server does with an idle one.
      if (nth === 1) {
        req.socket.destroy();
        return;
      }
      json(res, 200, { n: nth });
    });
    expect(await client.request('list channels', 'GET', '/channels')).to.deep.equal({ n: 0 });
    expect(await client.request('list channels', 'GET', '/channels')).to.deep.equal({ n: 2 });
    expect(seen).to.have.length(3);
    expect(connections).to.equal(2);
  });

  it('does not send a request a third time when the fresh connection fails too', async () => {
    const client = await serve((req, res, nth) => {
      if (nth === 0) return json(res, 200, []);
      req.socket.destroy();
    });
    await client.request('list channels', 'GET', '/channels');
    const err = await client.request('originate', 'POST', '/channels', { endpoint: 'PJSIP/op1' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(TelephonyError);
    expect(isGone(err)).to.equal(false);
    expect(seen.filter((r) => r.method === 'POST')).to.have.length(2);
  });

  it('fails a request the server never answers after timeoutMs, and the next one still works', async () => {
    const client = await serve((req, res) => {
      if (req.url?.includes('slow')) return; // never answered
      json(res, 200, []);
    }, 300);
    const started = Date.now();
    const err = await client.request('list bridges', 'GET', '/slow').catch((e: unknown) => e);
    expect((err as Error).message).to.equal('list bridges: no answer from the PBX within 300 ms');
    expect(Date.now() - started).to.be.within(250, 1500);
    expect(await client.request('list bridges', 'GET', '/bridges')).to.deep.equal([]);
  });

  it('fails at once, not at the timeout, when the server cuts its answer off', async () => {
    const client = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('[{"id":');
      setTimeout(() => res.socket?.destroy(), 20);
    }, 5000);
    const started = Date.now();
    const err = await client.request('list channels', 'GET', '/channels').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(TelephonyError);
    expect((err as Error).message).to.match(/^list channels: /);
    expect(Date.now() - started).to.be.lessThan(2000);
  });

  it('reports a PBX that is not listening as a TelephonyError, not gone', async () => {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    rest = new AriRest({ url: `http://127.0.0.1:${port}`, user: 'u', password: 'p', clock: systemClock, timeoutMs: 1000 });
    const err = await rest.request('answer', 'POST', '/channels/1/answer').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(TelephonyError);
    expect((err as Error).message).to.match(/^answer: .*ECONNREFUSED/);
    expect(isGone(err)).to.equal(false);
  });
});

describe('ARI connection: ari-client for the WebSocket, AriRest for requests', function () {
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

  it('refuses requests before start() and after stop(), changing nothing on the PBX', async () => {
    sim = await startSimulator({ ariPort: 0, username: 'u', password: 'p' });
    conn = new AriClientConnection({ url: sim.ariUrl, user: 'u', password: 'p', app: 'siaga112', clock: systemClock, logger: silentLogger(), actionTimeoutMs: 2000, reconnectMaxMs: 1000 });
    const before = await conn.createBridge('b-early', 'holding').catch((err: unknown) => err);
    expect((before as Error).message).to.equal('create bridge: ARI is not connected');
    await conn.start();
    await conn.stop();
    const after = await conn.createBridge('b-late', 'holding').catch((err: unknown) => err);
    expect((after as Error).message).to.equal('create bridge: ARI is not connected');
    const probe = new AriRest({ url: sim.ariUrl, user: 'u', password: 'p', clock: systemClock, timeoutMs: 2000 });
    expect(await probe.request('list bridges', 'GET', '/bridges')).to.deep.equal([]);
    probe.close();
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
