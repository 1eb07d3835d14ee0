import { expect } from 'chai';
import { computeServiceLevel, type KpiCall } from '../../src/domain/kpi/service-level';

const T0 = Date.UTC(2026, 10, 28, 1, 0, 0); // 08:00 WIB

function answered(id: string, seconds: number, classification?: 'emergency' | 'prank' | 'ghost' | 'non_emergency', category = 'fire', at = T0): KpiCall {
  return {
    call: { id, createdAt: at, connectedAt: at + seconds * 1000, endedAt: at + seconds * 1000 + 60000, state: 'ended', endReason: 'completed', category },
    ...(classification ? { outcome: { classification, confirmedCategory: category } } : {}),
  };
}
function abandoned(id: string, afterSeconds: number, where: 'abandoned_in_ivr' | 'abandoned_in_queue', at = T0): KpiCall {
  return { call: { id, createdAt: at, endedAt: at + afterSeconds * 1000, state: 'ended', endReason: where, category: 'general' } };
}

describe('service level KPIs (hand-computed fixture)', () => {
  // Ten calls: answer times 3, 9.999, 10, 10.001, 15, 15.5, 20, 25 s; two abandoned.
  const calls: KpiCall[] = [
    answered('a', 3, 'emergency', 'fire'),
    answered('b', 9.999, 'prank', 'general'),
    answered('c', 10, 'ghost', 'general'),
    answered('d', 10.001, 'emergency', 'medical'),
    answered('e', 15, 'non_emergency', 'police'),
    answered('f', 15.5, 'emergency', 'medical', T0 + 3600_000),
    answered('g', 20, 'prank', 'general', T0 + 3600_000),
    answered('h', 25, undefined, 'fire', T0 + 3600_000),
    abandoned('i', 4, 'abandoned_in_ivr'),
    abandoned('j', 30, 'abandoned_in_queue', T0 + 16 * 3600_000),
  ];
  const figures = computeServiceLevel(calls, { timeZone: 'Asia/Jakarta' });

  it('counts exactly 10 s, 15 s and 20 s as within, over all calls received', () => {
    expect(figures.calls).to.equal(10);
    expect(figures.answered).to.equal(8);
    expect(figures.answeredWithin10s).to.equal(3 / 10); // 3, 9.999, 10
    expect(figures.answeredWithin15s).to.equal(5 / 10); // + 10.001, 15
    expect(figures.answeredWithin20s).to.equal(7 / 10); // + 15.5, 20
  });

  it('averages answer time over answered calls, and the slowest tenth', () => {
    const total = 3 + 9.999 + 10 + 10.001 + 15 + 15.5 + 20 + 25;
    expect(figures.averageAnswerSeconds).to.be.closeTo(total / 8, 1e-9);
    expect(figures.slowestTenthAverageSeconds).to.equal(25); // ceil(8/10) = 1 slowest
  });

  it('abandon rate and false-call rate', () => {
    expect(figures.abandoned).to.equal(2);
    expect(figures.abandonRate).to.equal(0.2);
    expect(figures.falseCallRate).to.equal(3 / 7); // b prank, c ghost, g prank over 7 classified
  });

  it('by category (confirmed over IVR choice), classification and local hour', () => {
    expect(figures.byCategory).to.deep.equal({ fire: 2, general: 5, medical: 2, police: 1 });
    expect(figures.byClassification).to.deep.equal({ emergency: 3, prank: 2, ghost: 1, non_emergency: 1 });
    expect(figures.byHour[8]).to.equal(6); // a-e and i at 08:00 WIB
    expect(figures.byHour[9]).to.equal(3); // f, g, h at 09:00 WIB
    expect(figures.byHour[0]).to.equal(1); // j at 00:00 WIB (16:00 UTC)
    expect(figures.byHour.reduce((a, b) => a + b, 0)).to.equal(10);
  });

  it('no calls → null rates, not NaN', () => {
    const empty = computeServiceLevel([], { timeZone: 'Asia/Jakarta' });
    expect(empty.answeredWithin10s).to.equal(null);
    expect(empty.averageAnswerSeconds).to.equal(null);
    expect(empty.falseCallRate).to.equal(null);
  });
});
