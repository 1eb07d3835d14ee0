import { expect } from 'chai';
import { OPERATIONS } from '../../src/sim/ari/operations';
import { EVENT_TYPES, modelsFor } from '../../src/sim/ari/models';
import { startSimulator, type Simulator } from '../../src/sim/index';
import { describeWithFixtures, readFixture } from '../support/fixtures';
import { ariFetch } from './helpers';

interface RecordedOp {
  httpMethod: string;
  nickname: string;
  parameters?: Array<{ name: string; paramType: string; required?: boolean; allowMultiple?: boolean }>;
}
interface RecordedDoc {
  apis: Array<{ path: string; operations: RecordedOp[] }>;
  models: Record<string, unknown>;
}

describeWithFixtures('ARI api-docs: served operations exist in the recorded Asterisk 22 docs', function () {
  const recordedOps = new Map<string, RecordedOp>();
  let events: RecordedDoc;

  before(function () {
    for (const resource of new Set(OPERATIONS.map((o) => o.resource))) {
      const doc = JSON.parse(readFixture(`api-docs/${resource}.json`)) as RecordedDoc;
      for (const api of doc.apis) for (const op of api.operations) recordedOps.set(`${op.httpMethod} ${api.path}`, op);
    }
    events = JSON.parse(readFixture('api-docs/events.json')) as RecordedDoc;
  });

  it('serves only operations that Asterisk has, with the same path, method, nickname and parameters', function () {
    const problems: string[] = [];
    for (const op of OPERATIONS) {
      const key = `${op.httpMethod} ${op.path}`;
      const rec = recordedOps.get(key);
      if (!rec) {
        problems.push(`${key}: not in the recorded docs`);
        continue;
      }
      if (rec.nickname !== op.nickname) problems.push(`${key}: nickname ${op.nickname} != ${rec.nickname}`);
      const recParams = new Map((rec.parameters ?? []).map((p) => [p.name, p]));
      for (const p of op.parameters) {
        const r = recParams.get(p.name);
        if (!r) problems.push(`${key}: parameter ${p.name} not in Asterisk's`);
        else if (r.paramType !== p.paramType || !!r.required !== p.required || !!r.allowMultiple !== p.allowMultiple) problems.push(`${key}: parameter ${p.name} differs`);
      }
      for (const name of recParams.keys()) {
        if (!op.parameters.some((p) => p.name === name) && recParams.get(name)?.required) problems.push(`${key}: required parameter ${name} missing`);
      }
    }
    expect(problems).to.deep.equal([]);
  });

  it('declares every event model with the properties of Asterisk\'s model (names and types)', function () {
    const ours = modelsFor('events');
    const problems: string[] = [];
    for (const type of EVENT_TYPES) {
      const rec = events.models[type] as { properties: Record<string, { type: string }> } | undefined;
      if (!rec) {
        problems.push(`${type}: no such model in Asterisk`);
        continue;
      }
      for (const [name, prop] of Object.entries(ours[type].properties)) {
        if (!rec.properties[name]) problems.push(`${type}.${name}: not in Asterisk's model`);
        else if (rec.properties[name].type !== prop.type) problems.push(`${type}.${name}: ${prop.type} != ${rec.properties[name].type}`);
      }
    }
    expect(problems).to.deep.equal([]);
  });

  describe('served documents', function () {
    let sim: Simulator;
    before(async function () {
      sim = await startSimulator({ ariPort: 0 });
    });
    after(async function () {
      await sim.stop();
    });

    it('lists the resources with basePath rewritten to the simulator address', async function () {
      const res = await ariFetch(sim.ariUrl, 'GET', '/api-docs/resources.json');
      expect(res.status).to.equal(200);
      const body = res.body as { basePath: string; apis: Array<{ path: string }>; swaggerVersion: string };
      expect(body.basePath).to.equal(`${sim.ariUrl}/ari`);
      expect(body.swaggerVersion).to.equal('1.1');
      expect(body.apis.map((a) => a.path)).to.include.members(['/api-docs/channels.{format}', '/api-docs/events.{format}', '/api-docs/bridges.{format}']);
    });

    it('serves each resource document with its operations and models', async function () {
      const res = await ariFetch(sim.ariUrl, 'GET', '/api-docs/events.json');
      const body = res.body as { basePath: string; apis: Array<{ path: string }>; models: Record<string, unknown> };
      expect(body.basePath).to.equal(`${sim.ariUrl}/ari`);
      expect(body.apis[0].path).to.equal('/events');
      expect(Object.keys(body.models)).to.include.members(['StasisStart', 'ChannelDtmfReceived', 'Dial', 'ApplicationReplaced']);
      const missing = await ariFetch(sim.ariUrl, 'GET', '/api-docs/nosuch.json');
      expect(missing.status).to.equal(404);
    });
  });
});
