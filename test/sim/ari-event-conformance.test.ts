import { readdirSync } from 'node:fs';
import { expect } from 'chai';
import { ManualClock } from '../../src/core/clock';
import { startSimulator, type Simulator } from '../../src/sim/index';
import { EVENT_TYPES } from '../../src/sim/ari/models';
import { describeWithFixtures, fixturesDir, readJsonl } from '../support/fixtures';
import { ariFetch, EventTap, flush, shapeKey } from './helpers';

type Msg = Record<string, unknown>;

/** Drives the simulator through calls that make it send every kind of event the recordings hold. */
async function driveAllEvents(sim: Simulator, clock: ManualClock, tap: EventTap): Promise<void> {
  const api = (method: string, path: string, query: Record<string, string> = {}) => ariFetch(sim.ariUrl, method, path, { query });
  const step = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await flush(15);
  };
  // Endpoint and device state events.
  await api('POST', '/applications/siaga112/subscription', { eventSource: 'endpoint:PJSIP/op1' });
  await api('POST', '/applications/siaga112/subscription', { eventSource: 'deviceState:Stasis:op1' });
  sim.control.unregisterEndpoint('op1');
  sim.control.registerEndpoint('op1');
  await api('PUT', '/deviceStates/Stasis:op1', { deviceState: 'INUSE' });
  await api('DELETE', '/applications/siaga112/subscription', { eventSource: 'endpoint:PJSIP/op1' });

  // A SIP caller: answer, talk detection, DTMF, a two-item playback, a variable.
  const caller = sim.control.placeCall({ from: '081234567890', name: 'Caller 112', steps: [{ talk: 1 }, { dtmf: '1#' }], headers: { Geolocation: '<cid:x@y>' } });
  await step(10);
  await api('POST', `/channels/${caller.id}/variable`, { variable: 'TALK_DETECT(set)', value: '' });
  await api('POST', `/channels/${caller.id}/answer`);
  await api('POST', `/channels/${caller.id}/play`, { media: 'sound:queue-thankyou,sound:hello-world' });
  await api('POST', `/channels/${caller.id}/variable`, { variable: 'SIAGA_INCIDENT', value: 'INC-1' });
  for (let i = 0; i < 10; i++) await step(1000);

  // Holding bridge, operator originated, mixing bridge, recording, hang-ups.
  const holding = (await api('POST', '/bridges', { type: 'holding', name: 'hold' })).body as { id: string };
  await api('POST', `/bridges/${holding.id}/addChannel`, { channel: caller.id });
  const op = (await api('POST', '/channels', { endpoint: 'PJSIP/op1', app: 'siaga112', appArgs: `operator,${caller.id}`, callerId: '"112 Caller" <081234567890>', timeout: '20' })).body as { id: string };
  for (let i = 0; i < 3; i++) await step(1000);
  const mixing = (await api('POST', '/bridges', { type: 'mixing' })).body as { id: string };
  await api('POST', `/bridges/${mixing.id}/addChannel`, { channel: `${caller.id},${op.id}` });
  await api('POST', `/bridges/${mixing.id}/record`, { name: 'rec-1', format: 'wav' });
  await step(5000);
  await api('POST', '/recordings/live/rec-1/stop');
  await api('DELETE', `/channels/${caller.id}`);
  await api('DELETE', `/channels/${op.id}`);
  await api('DELETE', `/bridges/${mixing.id}`);
  await api('DELETE', `/bridges/${holding.id}`);

  // A Local operator leg (caller id update), a created channel (dialplan event).
  await api('POST', '/channels', { endpoint: 'Local/s@simoperator', app: 'siaga112', appArgs: 'operator,x' });
  await step(100);
  await api('POST', '/channels/create', { endpoint: 'PJSIP/op1', app: 'siaga112', appArgs: 'operator,y' });
  await step(100);
  await flush(30);
}

describeWithFixtures('ARI events: simulator against the recordings', function () {
  let sim: Simulator;
  let clock: ManualClock;
  let tap: EventTap;
  let replacedTap: EventTap;

  before(async function () {
    clock = new ManualClock(Date.UTC(2026, 10, 28, 16, 0, 0));
    sim = await startSimulator({ ariPort: 0, clock, scenario: { endpoints: [{ resource: 'op1', after: 1 }] } });
    replacedTap = await EventTap.open(sim.ariUrl, 'siaga112');
    tap = await EventTap.open(sim.ariUrl, 'siaga112');
    await flush();
    await driveAllEvents(sim, clock, tap);
  });

  after(async function () {
    await tap?.close();
    await replacedTap?.close();
    await sim?.stop();
  });

  const recorded = (): Msg[] =>
    readdirSync(fixturesDir())
      .filter((f) => f.startsWith('ari-events-') && f.endsWith('.jsonl'))
      .flatMap((f) => readJsonl<Msg>(f));

  it('sends every event type found in the recorded ari-events-*.jsonl', function () {
    expect(tap.messages.length).to.be.greaterThan(50);
    const seen = new Set([...tap.types(), ...replacedTap.types()]);
    const missing = [...new Set(recorded().map((m) => String(m.type)))].filter((t) => !seen.has(t));
    expect(missing, 'event types the simulator never sent').to.deep.equal([]);
  });

  it('gives each event the field names and value types of a recorded event of that type', function () {
    const shapes = new Map<string, Set<string>>();
    for (const m of recorded()) {
      const type = String(m.type);
      shapes.set(type, (shapes.get(type) ?? new Set()).add(shapeKey(m)));
    }
    const mismatches: string[] = [];
    for (const m of [...tap.messages, ...replacedTap.messages]) {
      const type = String(m.type);
      const known = shapes.get(type);
      if (!known) continue; // types the recordings do not hold are checked against the models below
      if (!known.has(shapeKey(m))) mismatches.push(`${type}: ${JSON.stringify(m).slice(0, 300)}`);
    }
    expect(mismatches).to.deep.equal([]);
  });

  it('has a model in its served api-docs for every event it sent (ari-client throws on others)', function () {
    const unknown = [...new Set(tap.types())].filter((t) => !EVENT_TYPES.includes(t));
    expect(unknown).to.deep.equal([]);
  });

  it('tells the replaced WebSocket ApplicationReplaced and sends it nothing more', function () {
    expect(replacedTap.types()).to.deep.equal(['ApplicationReplaced']);
    expect(tap.types()).to.include('StasisStart');
  });

  it('sends a caller that hangs up no ChannelDestroyed, but an originated leg one (as Asterisk)', function () {
    const destroyed = tap.messages.filter((m) => m.type === 'ChannelDestroyed').map((m) => (m.channel as { name: string }).name);
    expect(destroyed.some((n) => n.startsWith('PJSIP/caller-'))).to.equal(false);
    expect(destroyed.some((n) => n.startsWith('PJSIP/op1-'))).to.equal(true);
  });
});
