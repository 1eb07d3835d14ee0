import path from 'node:path';
import { expect } from 'chai';
import { ManualClock } from '../../src/core/clock';
import { ConfigError } from '../../src/core/errors';
import { Pbx } from '../../src/sim/model/pbx';
import type { PbxEvent } from '../../src/sim/model/events';
import { loadScenarioFile, parseScenario, parseScenarioYaml } from '../../src/sim/scenario/load';
import { ScenarioRunner, callerScript } from '../../src/sim/scenario/runner';

describe('sim: scenarios as data', function () {
  it('loads the demo scenario shipped for npm run sim', function () {
    const s = loadScenarioFile(path.resolve(__dirname, '../../config/sim/demo.yaml'));
    expect(s.stasisApp).to.equal('siaga112');
    expect(s.callers.length).to.be.greaterThan(0);
    expect(s.callers[0].exten).to.equal('112');
    expect(s.endpoints.map((e) => e.resource)).to.include('op1');
  });

  it('names the file and line of a bad value', function () {
    const yaml = 'callers:\n  - from: "0811"\n    steps:\n      - dtmf: "12x"\n';
    expect(() => parseScenarioYaml(yaml, 'bad.yaml')).to.throw(ConfigError).with.property('message').that.matches(/bad\.yaml:4/);
  });

  it('rejects unknown keys and bad behaviours', function () {
    expect(() => parseScenario({ callers: [{ from: '1', color: 'red' }] })).to.throw(ConfigError);
    expect(() => parseScenario({ endpoints: [{ resource: 'op1', behaviour: 'maybe' }] })).to.throw(ConfigError);
    expect(() => parseScenario({ callers: [{ from: '' }] })).to.throw(ConfigError);
  });

  it('places callers at their times, repeats them, and runs their steps after answer', function () {
    const clock = new ManualClock();
    const pbx = new Pbx({ clock });
    pbx.activateApp('siaga112');
    const events: PbxEvent[] = [];
    pbx.onAny((e) => events.push(e));
    const runner = new ScenarioRunner(
      pbx,
      parseScenario({ callers: [{ from: '0812{n}', at: 1, every: 10, count: 2, steps: [{ wait: 1 }, { dtmf: '9' }, { hangup: true }] }] }),
    );
    runner.start();
    clock.advance(999);
    expect(runner.callsPlaced).to.equal(0);
    clock.advance(1);
    expect(runner.callsPlaced).to.equal(1);
    const first = runner.calls[0];
    expect(first.caller.number).to.equal('08120001');
    clock.advance(5000); // not answered: the steps wait
    expect(events.some((e) => e.kind === 'dtmf')).to.equal(false);
    pbx.answer(first.id);
    clock.advance(1000);
    expect(events.filter((e) => e.kind === 'dtmf').map((e) => (e.kind === 'dtmf' ? e.digit : ''))).to.deep.equal(['9']);
    expect(pbx.hasChannel(first.id)).to.equal(false);
    clock.advance(10_000);
    expect(runner.callsPlaced).to.equal(2);
    expect(runner.calls[1].caller.number).to.equal('08120002');
    clock.advance(60_000);
    expect(runner.callsPlaced).to.equal(2);
  });

  it('patience: a waiting caller gives up; talkTime: a bridged caller hangs up after talking', function () {
    const clock = new ManualClock();
    const pbx = new Pbx({ clock });
    pbx.activateApp('siaga112');
    pbx.addEndpoint({ resource: 'op1', behaviour: { kind: 'answer', afterS: 0 } });
    const runner = new ScenarioRunner(pbx, parseScenario({ callers: [{ from: '0812{n}', every: 0.001, count: 2, patience: 5, talkTime: 3 }] }));
    runner.start();
    clock.advance(1);
    const [waiter, talker] = runner.calls;
    for (const c of runner.calls) pbx.answer(c.id);
    clock.advance(2000);
    const op = pbx.originate({ endpoint: 'PJSIP/op1', app: 'siaga112', appArgs: `operator,${talker.id}` });
    clock.advance(10);
    const mix = pbx.createBridge('siaga112', { type: 'mixing' });
    pbx.addToBridge(mix.id, [talker.id, op.id]);
    clock.advance(2999); // t = 5 s: the waiter's patience ends; the talker is 3 ms from its end of talk
    expect(pbx.hasChannel(waiter.id)).to.equal(false);
    expect(pbx.hasChannel(talker.id)).to.equal(true);
    clock.advance(20);
    expect(pbx.hasChannel(talker.id)).to.equal(false);
  });

  it('patience and talkTime ranges give each caller its own value, the same on every run', function () {
    const s = parseScenario({ callers: [{ from: '1', patience: [5, 25], talkTime: [8, 15] }] });
    const values = Array.from({ length: 200 }, (_, i) => callerScript(s.callers[0], i + 1));
    const patience = values.map((v) => v.patience!);
    expect(Math.min(...patience)).to.be.at.least(5);
    expect(Math.max(...patience)).to.be.below(25);
    expect(new Set(patience.map((p) => Math.floor(p / 5))).size).to.equal(4); // spread over the range
    expect(values.every((v) => v.talkTime! >= 8 && v.talkTime! < 15)).to.equal(true);
    expect(callerScript(s.callers[0], 7)).to.deep.equal(values[6]);
    expect(() => parseScenario({ callers: [{ from: '1', patience: [9, 3] }] })).to.throw(ConfigError);
  });

  it('sets up operator endpoints: registered or not, with their behaviour', function () {
    const pbx = new Pbx({ clock: new ManualClock() });
    new ScenarioRunner(pbx, parseScenario({ endpoints: [{ resource: 'op1' }, { resource: 'op2', registered: false, behaviour: 'busy' }] })).start();
    expect(pbx.getEndpoint('PJSIP', 'op1').state).to.equal('online');
    expect(pbx.getEndpoint('PJSIP', 'op2').state).to.equal('offline');
  });
});
