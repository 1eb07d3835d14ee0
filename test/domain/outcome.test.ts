import { expect } from 'chai';
import { ValidationError } from '../../src/core/errors';
import { agencyList, BUILT_IN_AGENCIES, validateOutcome, type OutcomeContext } from '../../src/domain/outcome/outcome';

const ctx: OutcomeContext = {
  categories: ['fire', 'medical', 'police', 'disaster', 'general'],
  agencies: agencyList([{ id: 'damkar_pky', name: 'Damkarmat Palangka Raya', number: '0536-3221113' }]),
  now: Date.UTC(2026, 0, 1, 8, 0, 0),
  callId: 'call_1',
  operatorId: 'op1',
};

function issuesOf(input: unknown): Array<{ field: string; message: string }> {
  try {
    validateOutcome(input, ctx);
  } catch (err) {
    expect(err).to.be.instanceOf(ValidationError);
    expect((err as ValidationError).httpStatus).to.equal(400);
    return (err as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}

describe('outcome validation', () => {
  it('knows the built-in agencies and their numbers, plus extras from config', () => {
    expect(BUILT_IN_AGENCIES.map((a) => [a.id, a.numbers])).to.deep.equal([
      ['police', ['110']],
      ['fire', ['113']],
      ['ambulance', ['118', '119']],
      ['sar', ['115']],
    ]);
    expect(ctx.agencies.map((a) => a.id)).to.deep.equal(['police', 'fire', 'ambulance', 'sar', 'damkar_pky']);
    expect(agencyList([{ id: 'police', name: 'Polres', number: '0536-110' }]).find((a) => a.id === 'police')!.numbers).to.deep.equal(['0536-110']);
  });

  it('accepts a full outcome and stamps call, operator and time', () => {
    const outcome = validateOutcome(
      {
        confirmedCategory: 'fire',
        classification: 'emergency',
        agencies: ['fire', 'ambulance', 'damkar_pky'],
        location: { text: '  Jl. Tjilik Riwut km 5, dekat SPBU  ', latitude: -2.2, longitude: 113.9 },
        notes: 'Rumah terbakar, dua orang di dalam.',
      },
      ctx,
    );
    expect(outcome).to.deep.equal({
      callId: 'call_1',
      operatorId: 'op1',
      confirmedCategory: 'fire',
      classification: 'emergency',
      agencies: ['fire', 'ambulance', 'damkar_pky'],
      location: { text: 'Jl. Tjilik Riwut km 5, dekat SPBU', latitude: -2.2, longitude: 113.9, source: 'operator' },
      notes: 'Rumah terbakar, dua orang di dalam.',
      submittedAt: ctx.now,
    });
  });

  it('a prank needs no agencies, location or notes', () => {
    const outcome = validateOutcome({ confirmedCategory: 'general', classification: 'prank' }, ctx);
    expect(outcome).to.deep.include({ agencies: [], notes: '' });
    expect(outcome).to.not.have.property('location');
  });

  it('names every bad field at once', () => {
    const issues = issuesOf({
      confirmedCategory: 'flood',
      classification: 'joke',
      agencies: ['police', 'army', 'police'],
      location: { text: 'x'.repeat(501), latitude: 91, longitude: -181 },
      notes: 'n'.repeat(4001),
    });
    const fields = issues.map((i) => i.field).sort();
    expect(fields).to.deep.equal(['agencies.1', 'agencies.2', 'classification', 'confirmedCategory', 'location.latitude', 'location.longitude', 'location.text', 'notes']);
    const msg = Object.fromEntries(issues.map((i) => [i.field, i.message]));
    expect(msg.confirmedCategory).to.match(/unknown category "flood"; expected one of fire, medical/);
    expect(msg.classification).to.equal('expected one of emergency, non_emergency, prank, ghost');
    expect(msg['agencies.1']).to.match(/unknown agency "army"/);
    expect(msg['agencies.2']).to.equal('agency "police" is listed twice');
    expect(msg['location.text']).to.equal('expected at most 500 characters');
    expect(msg['location.latitude']).to.equal('expected a latitude from -90 to 90');
    expect(msg['location.longitude']).to.equal('expected a longitude from -180 to 180');
    expect(msg.notes).to.equal('expected at most 4000 characters');
  });

  it('the error message lists the fields too', () => {
    expect(() => validateOutcome({ confirmedCategory: 'fire' }, ctx)).to.throw(ValidationError, /classification: expected one of/);
  });

  it('latitude without longitude (and the reverse)', () => {
    expect(issuesOf({ confirmedCategory: 'fire', classification: 'emergency', location: { latitude: -6.2 } })).to.deep.equal([
      { field: 'location.longitude', message: 'give latitude and longitude together, or neither' },
    ]);
    expect(issuesOf({ confirmedCategory: 'fire', classification: 'emergency', location: { longitude: 106.8 } })).to.deep.equal([
      { field: 'location.latitude', message: 'give latitude and longitude together, or neither' },
    ]);
  });

  it('accepts the edges of the ranges and the length limits', () => {
    const o = validateOutcome(
      { confirmedCategory: 'general', classification: 'ghost', location: { text: 'y'.repeat(500), latitude: -90, longitude: 180 }, notes: 'z'.repeat(4000) },
      ctx,
    );
    expect(o.location).to.deep.include({ latitude: -90, longitude: 180 });
  });

  it('missing required fields, wrong types, unknown fields', () => {
    const issues = issuesOf({ agencies: 'police', location: { latitude: '1', longitude: NaN }, notes: 5, prank: true });
    const msg = Object.fromEntries(issues.map((i) => [i.field, i.message]));
    expect(msg.confirmedCategory).to.equal('required: the category the call really was');
    expect(msg.classification).to.match(/expected one of/);
    expect(msg.agencies).to.equal('expected a list of agency ids');
    expect(msg['location.latitude']).to.equal('expected latitude as a number');
    expect(msg['location.longitude']).to.match(/longitude/);
    expect(msg.notes).to.equal('expected text');
    expect(msg.prank).to.equal('unknown field');
  });

  for (const bad of [null, 'fire', 42, []]) {
    it(`refuses a body that is not an object: ${JSON.stringify(bad)}`, () => {
      expect(issuesOf(bad)).to.deep.equal([{ field: '(body)', message: 'expected an outcome object' }]);
    });
  }
});
