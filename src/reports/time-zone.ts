import { ValidationError } from '../core/errors';
import type { TimeRange } from '../ports/call-store';

/**
 * Local calendar arithmetic in an IANA zone (Asia/Jakarta WIB by default),
 * with Intl only: reports count days as the centre lives them.
 */

export const DEFAULT_TIME_ZONE = 'Asia/Jakarta';

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsOf(ms: number, timeZone: string): Parts {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timeZone, f);
  }
  const out: Record<string, number> = {};
  for (const p of f.formatToParts(ms)) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return { year: out.year!, month: out.month!, day: out.day!, hour: out.hour! % 24, minute: out.minute!, second: out.second! };
}

/** Throws ValidationError when the zone is not a known IANA zone. */
export function assertTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new ValidationError(`unknown time zone ${timeZone}`, [{ field: 'timeZone', message: 'expected an IANA zone such as Asia/Jakarta' }]);
  }
}

/** Minutes east of UTC at that instant (Asia/Jakarta: 420). */
export function offsetMinutes(ms: number, timeZone: string): number {
  const p = partsOf(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** ISO 8601 with the zone's offset: `2026-11-28T08:00:00+07:00`. */
export function isoWithOffset(ms: number, timeZone: string): string {
  const p = partsOf(ms, timeZone);
  const off = offsetMinutes(ms, timeZone);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** `YYYY-MM-DD` of the instant in the zone. */
export function localDate(ms: number, timeZone: string): string {
  const p = partsOf(ms, timeZone);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

/** The instant local midnight starts on that date. */
function startOfLocalDay(year: number, month: number, day: number, timeZone: string): number {
  const guess = Date.UTC(year, month - 1, day);
  let t = guess - offsetMinutes(guess, timeZone) * 60_000;
  t = guess - offsetMinutes(t, timeZone) * 60_000; // again, in case the offset differs at the true instant
  return t;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH = /^(\d{4})-(\d{2})$/;

function parseDate(text: string, field: string): [number, number, number] {
  const m = DATE.exec(text);
  const y = Number(m?.[1]);
  const mo = Number(m?.[2]);
  const d = Number(m?.[3]);
  if (!m || mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) {
    throw new ValidationError(`invalid ${field}: ${text}`, [{ field, message: 'expected a date YYYY-MM-DD' }]);
  }
  return [y, mo, d];
}

/** The local day `YYYY-MM-DD` as [from, to). */
export function dayRange(date: string, timeZone: string, field = 'date'): TimeRange {
  const [y, m, d] = parseDate(date, field);
  const next = new Date(Date.UTC(y, m - 1, d + 1));
  return { from: startOfLocalDay(y, m, d, timeZone), to: startOfLocalDay(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone) };
}

/** The local month `YYYY-MM` as [from, to). */
export function monthRange(month: string, timeZone: string, field = 'month'): TimeRange {
  const m = MONTH.exec(month);
  const y = Number(m?.[1]);
  const mo = Number(m?.[2]);
  if (!m || mo < 1 || mo > 12) throw new ValidationError(`invalid ${field}: ${month}`, [{ field, message: 'expected a month YYYY-MM' }]);
  return { from: startOfLocalDay(y, mo, 1, timeZone), to: startOfLocalDay(mo === 12 ? y + 1 : y, mo === 12 ? 1 : mo + 1, 1, timeZone) };
}

/** Every local date from `from` (inclusive) to `to` (exclusive). */
export function datesIn(range: TimeRange, timeZone: string): string[] {
  const out: string[] = [];
  let t = range.from;
  while (t < range.to) {
    const d = localDate(t, timeZone);
    out.push(d);
    t = dayRange(d, timeZone).to;
  }
  return out;
}

/**
 * A point in time from a query parameter: ISO 8601 with an offset or `Z`,
 * epoch milliseconds, or a local date (its midnight in the zone).
 */
export function parseInstant(text: string, timeZone: string, field: string): number {
  if (/^\d{1,15}$/.test(text)) return Number(text);
  if (DATE.test(text)) return dayRange(text, timeZone, field).from;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    const t = Date.parse(text);
    if (Number.isFinite(t) && t >= 0) return t;
  }
  throw new ValidationError(`invalid ${field}: ${text}`, [{ field, message: 'expected YYYY-MM-DD, an ISO 8601 time with offset (2026-11-28T08:00:00+07:00) or epoch milliseconds' }]);
}

/** Local dates `from`..`to`, both inclusive, as [from 00:00, day after `to` 00:00). */
export function dateRangeOf(from: string, to: string, timeZone: string): TimeRange {
  const range = { from: dayRange(from, timeZone, 'from').from, to: dayRange(to, timeZone, 'to').to };
  if (range.from >= range.to) throw new ValidationError('from is after to', [{ field: 'from', message: 'must not be after to' }]);
  return range;
}
