import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ManualClock } from '../../src/core/clock';
import { ValidationError } from '../../src/core/errors';
import { ReportService } from '../../src/reports';
import { SqliteCallStore } from '../../src/store';
import { seedCalls, wib } from './report-fixture';

const FIXTURE = path.resolve(__dirname, '../fixtures/reports/calls-2026-11.csv');

describe('reports over a known set of calls (hand-computed)', () => {
  let dir: string;
  let store: SqliteCallStore;
  let clock: ManualClock;
  let reports: ReportService;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'siaga112-reports-'));
    clock = new ManualClock(wib(2026, 11, 28, 12, 0));
    store = SqliteCallStore.open({ path: path.join(dir, 'calls.sqlite'), clock });
    await seedCalls(store);
    reports = new ReportService({ store, clock, timeZone: 'Asia/Jakarta' });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('daily summary 2026-11-28 (WIB): the local day runs 00:00 to 24:00 +07:00; 10/15/20 s edges count as within', async () => {
    const s = await reports.daily('2026-11-28');
    expect(s.range).to.deep.equal({ from: wib(2026, 11, 28, 0), to: wib(2026, 11, 29, 0) });
    const f = s.figures;
    // c01..c07: c07 at 23:59:59.999 is in, c08 at 00:00 the next day is not.
    expect(f.calls).to.equal(7);
    expect(f.answered).to.equal(5); // 10, 15, 20, 20.001, 3 s
    expect(f.answeredWithin10s).to.equal(2 / 7); // 10 (exactly), 3
    expect(f.answeredWithin15s).to.equal(3 / 7); // + 15 (exactly)
    expect(f.answeredWithin20s).to.equal(4 / 7); // + 20 (exactly); 20.001 is not
    expect(f.averageAnswerSeconds).to.be.closeTo((10 + 15 + 20 + 20.001 + 3) / 5, 1e-9);
    expect(f.slowestTenthAverageSeconds).to.equal(20.001);
    expect(f.abandoned).to.equal(2);
    expect(f.abandonRate).to.equal(2 / 7);
    expect(f.classified).to.equal(5);
    expect(f.falseCallRate).to.equal(2 / 5); // c02 prank, c03 ghost
    expect(f.reportsHandled).to.equal(3); // c01, c04, c07
    expect(f.byCategory).to.deep.equal({ medical: 1, general: 2, police: 1, fire: 2, unclassified: 1 });
    expect(f.byClassification).to.deep.equal({ emergency: 2, prank: 1, ghost: 1, non_emergency: 1 });
    expect(f.byHour[0]).to.equal(1);
    expect(f.byHour[8]).to.equal(3);
    expect(f.byHour[9]).to.equal(2);
    expect(f.byHour[23]).to.equal(1);
    expect(f.byHour.reduce((a, b) => a + b, 0)).to.equal(7);
    expect(f.byDay).to.deep.equal({ '2026-11-28': 7 });
    expect(s.definitions.answeredWithin10s).to.match(/within 10 s of reaching siaga112/);
    expect(s.definitions.reportsHandled).to.match(/emergency or non-emergency/);
  });

  it('monthly summary 2026-11 with reports handled since 2026-10-01', async () => {
    const s = await reports.monthly('2026-11', '2026-10-01');
    const f = s.figures;
    expect(f.calls).to.equal(9); // c01..c08, c10
    expect(f.answered).to.equal(7);
    expect(f.answeredWithin10s).to.equal(3 / 9); // c01 10, c07 3, c08 5
    expect(f.answeredWithin15s).to.equal(5 / 9); // + c02 15, c10 12
    expect(f.answeredWithin20s).to.equal(6 / 9); // + c03 20
    expect(f.averageAnswerSeconds).to.be.closeTo((10 + 15 + 20 + 20.001 + 3 + 5 + 12) / 7, 1e-9);
    expect(f.abandonRate).to.equal(2 / 9);
    expect(f.falseCallRate).to.equal(3 / 7); // c02, c03, c10 over 7 classified
    expect(f.reportsHandled).to.equal(4); // c01, c04, c07, c08
    expect(Object.keys(f.byDay)).to.have.length(30);
    expect(f.byDay['2026-11-01']).to.equal(0);
    expect(f.byDay['2026-11-02']).to.equal(1);
    expect(f.byDay['2026-11-28']).to.equal(7);
    expect(f.byDay['2026-11-29']).to.equal(1);
    expect(s.since).to.deep.equal({
      since: '2026-10-01',
      calls: 10,
      reportsHandled: 5, // + c09 in October
      byClassification: { emergency: 4, non_emergency: 1 },
      byCategory: { medical: 2, police: 1, fire: 1, disaster: 1 },
    });
  });

  it('an empty day gives nulls, not NaN, and every hour zero', async () => {
    const s = await reports.daily('2026-11-27');
    expect(s.figures.calls).to.equal(0);
    expect(s.figures.answeredWithin10s).to.equal(null);
    expect(s.figures.abandonRate).to.equal(null);
    expect(s.figures.byHour).to.deep.equal(new Array(24).fill(0));
  });

  it('today follows the clock and the local day', async () => {
    const t = await reports.today();
    expect(t.date).to.equal('2026-11-28');
    expect(t.figures.calls).to.equal(7);
    const later = new ReportService({ store, clock: new ManualClock(wib(2026, 11, 29, 0, 0, 30)) });
    expect((await later.today()).figures.calls).to.equal(1);
  });

  it('CSV export of the known calls matches the fixture byte for byte (RFC 4180, ISO 8601 +07:00)', async () => {
    const csv = await reports.exportCsv({ range: reports.dates('2026-10-01', '2026-11-30') });
    if (process.env.UPDATE_FIXTURES === '1') writeFileSync(FIXTURE, csv);
    expect(Buffer.from(csv, 'utf8').equals(readFileSync(FIXTURE))).to.equal(true, `CSV differs from ${FIXTURE}:\n${csv}`);
    // The properties the fixture pins, said plainly:
    const lines = csv.split('\r\n');
    expect(lines[0]).to.equal('call_id,received_at,dialed_number,caller_number,backend,state,end_reason,language,ivr_category,confirmed_category,classification,agencies,operator_id,queued_at,answered_at,ended_at,answer_seconds,location_text,latitude,longitude,notes');
    expect(csv).to.include('"Ibu pingsan, ""sesak napas""\nambulans dikirim"');
    expect(csv).to.include(`"'=HYPERLINK(""http://x"")"`);
    expect(csv).to.include('c07,2026-11-28T23:59:59+07:00');
    expect(csv.endsWith('\r\n')).to.equal(true);
  });

  it('CSV export with filters: category, classification, operator, caller', async () => {
    const range = reports.dates('2026-10-01', '2026-11-30');
    const ids = (csv: string) => csv.split('\r\n').slice(1, -1).map((l) => l.split(',')[0]);
    expect(ids(await reports.exportCsv({ range, classification: 'prank' }))).to.deep.equal(['c10', 'c02']);
    expect(ids(await reports.exportCsv({ range, category: 'fire' }))).to.deep.equal(['c05', 'c07']);
    expect(ids(await reports.exportCsv({ range, operatorId: 'op1', callerNumber: '081211110000' }))).to.deep.equal(['c09', 'c01']);
    expect(await reports.exportCsv({ range, callerNumber: '0000' })).to.equal(readFileSync(FIXTURE, 'utf8').split('\r\n')[0] + '\r\n');
  });

  it('call list (newest first, with outcomes) and call detail with the whole timeline', async () => {
    const rows = await reports.listCalls({ range: reports.dates('2026-11-28', '2026-11-28') }, { limit: 3 });
    expect(rows.map((r) => r.call.id)).to.deep.equal(['c07', 'c06', 'c05']);
    expect(rows[0]!.outcome?.classification).to.equal('emergency');
    const detail = await reports.callDetail('c01');
    expect(detail.timeline.map((e) => e.type).slice(0, 4)).to.deep.equal(['call.created', 'call.queued', 'call.connected', 'call.ended']);
    expect(detail.timeline.map((e) => e.seq)).to.deep.equal(detail.timeline.map((_e, i) => i + 1));
    expect(detail.outcome?.notes).to.match(/pingsan/);
    await reports.callDetail('nope').then(() => expect.fail('should throw'), (err: Error) => expect(err.name).to.match(/NotFound/));
  });

  it('repeat callers: numbers with many calls and their classifications', async () => {
    const r = await reports.repeatCallers(reports.dates('2026-10-01', '2026-11-30'), 2);
    expect(r.map((x) => [x.callerNumber, x.calls])).to.deep.equal([
      ['081299990000', 3],
      ['081277770000', 2], // ties: the most recent caller first
      ['081211110000', 2],
    ]);
    expect(r[0]).to.deep.include({ byClassification: { prank: 2, ghost: 1 }, unclassified: 0, lastCallId: 'c03', firstAt: wib(2026, 11, 2, 10) });
    expect(r[1]).to.deep.include({ byClassification: {}, unclassified: 2 });
    expect(await reports.repeatCallers(reports.dates('2026-10-01', '2026-11-30'), 3)).to.have.length(1);
  });

  it('refuses bad dates, months, ranges and time zones', async () => {
    for (const bad of [() => reports.daily('2026-02-30'), () => reports.daily('28-11-2026'), () => reports.monthly('2026-13'), () => reports.monthly('2026-11', '2026-12-05'), () => reports.repeatCallers({ from: 0, to: 1 }, 1)]) {
      await bad().then(() => expect.fail('should refuse'), (err: unknown) => expect(err).to.be.instanceOf(ValidationError));
    }
    expect(() => reports.dates('2026-11-30', '2026-11-01')).to.throw(ValidationError);
    expect(() => new ReportService({ store, clock, timeZone: 'Mars/Olympus' })).to.throw(ValidationError);
  });
});
