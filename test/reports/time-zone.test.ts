import { expect } from 'chai';
import { ValidationError } from '../../src/core/errors';
import { csvField, csvRecord } from '../../src/reports/csv';
import { datesIn, dayRange, isoWithOffset, localDate, monthRange, parseInstant } from '../../src/reports/time-zone';

describe('report time zones and CSV fields', () => {
  it('ISO 8601 with the zone offset (WIB, WITA, WIT, UTC)', () => {
    const t = Date.UTC(2026, 10, 27, 17, 30, 0);
    expect(isoWithOffset(t, 'Asia/Jakarta')).to.equal('2026-11-28T00:30:00+07:00');
    expect(isoWithOffset(t, 'Asia/Makassar')).to.equal('2026-11-28T01:30:00+08:00');
    expect(isoWithOffset(t, 'Asia/Jayapura')).to.equal('2026-11-28T02:30:00+09:00');
    expect(isoWithOffset(t, 'UTC')).to.equal('2026-11-27T17:30:00+00:00');
    expect(isoWithOffset(Date.UTC(2026, 6, 1, 12), 'America/St_Johns')).to.equal('2026-07-01T09:30:00-02:30');
  });

  it('local days and months as [from, to)', () => {
    expect(dayRange('2026-11-28', 'Asia/Jakarta')).to.deep.equal({ from: Date.UTC(2026, 10, 27, 17), to: Date.UTC(2026, 10, 28, 17) });
    expect(monthRange('2026-12', 'Asia/Jayapura')).to.deep.equal({ from: Date.UTC(2026, 10, 30, 15), to: Date.UTC(2026, 11, 31, 15) });
    expect(localDate(Date.UTC(2026, 10, 28, 16, 59, 59, 999), 'Asia/Jakarta')).to.equal('2026-11-28');
    expect(localDate(Date.UTC(2026, 10, 28, 17), 'Asia/Jakarta')).to.equal('2026-11-29');
    expect(datesIn(monthRange('2028-02', 'Asia/Jakarta'), 'Asia/Jakarta')).to.have.length(29);
    // A day with a DST change still has its own midnight-to-midnight.
    const d = dayRange('2026-03-29', 'Europe/Berlin');
    expect((d.to - d.from) / 3600_000).to.equal(23);
  });

  it('parses instants from dates, ISO times with offset and epoch ms; refuses others', () => {
    expect(parseInstant('2026-11-28', 'Asia/Jakarta', 'from')).to.equal(Date.UTC(2026, 10, 27, 17));
    expect(parseInstant('2026-11-28T08:00:00+07:00', 'Asia/Jakarta', 'from')).to.equal(Date.UTC(2026, 10, 28, 1));
    expect(parseInstant('1700000000000', 'Asia/Jakarta', 'from')).to.equal(1700000000000);
    for (const bad of ['2026-11-28T08:00:00', 'yesterday', '2026-11-31', '']) {
      expect(() => parseInstant(bad, 'Asia/Jakarta', 'from'), bad).to.throw(ValidationError);
    }
  });

  it('RFC 4180 quoting', () => {
    expect(csvField('plain')).to.equal('plain');
    expect(csvField('a,b')).to.equal('"a,b"');
    expect(csvField('say "hi"')).to.equal('"say ""hi"""');
    expect(csvField('two\nlines')).to.equal('"two\nlines"');
    expect(csvField('cr\r')).to.equal('"cr\r"');
    expect(csvField(undefined)).to.equal('');
    expect(csvField(-0.5)).to.equal('-0.5');
    expect(csvRecord(['a', '', 'b,c'])).to.equal('a,,"b,c"\r\n');
  });
});
