import type { Location } from '../domain/types';

/**
 * Location a carrier passed in SIP headers, read through
 * `PJSIP_HEADER(read,<name>)`:
 *  - `Geolocation` (RFC 6442): `<geo:lat,lon;u=acc>` by value, or a reference
 *    (`<cid:...>` to a PIDF-LO body Asterisk cannot hand out, `<https://...>`)
 *    kept as text for the operator;
 *  - `X-Caller-Location`: `lat=-6.175392;lon=106.827153;acc=25` (or `lat,lon`).
 * Coordinates win over references; nothing usable → undefined.
 */
export function parseSipLocation(headers: { geolocation?: string; xCallerLocation?: string }): Location | undefined {
  const fromX = headers.xCallerLocation ? parseXCallerLocation(headers.xCallerLocation) : undefined;
  const fromGeo = headers.geolocation ? parseGeolocationHeader(headers.geolocation) : undefined;
  if (fromGeo?.latitude !== undefined) return fromGeo;
  if (fromX) return fromGeo?.text ? { ...fromX, text: fromGeo.text } : fromX;
  return fromGeo;
}

function coordinate(value: string | undefined, limit: number): number | undefined {
  if (value === undefined || !/^\s*-?\d+(\.\d+)?\s*$/.test(value)) return undefined;
  const n = Number(value);
  return Math.abs(n) <= limit ? n : undefined;
}

export function parseXCallerLocation(value: string): Location | undefined {
  const fields = new Map<string, string>();
  for (const part of value.split(/[;&]/)) {
    const [k, v] = part.split('=', 2);
    if (k && v !== undefined) fields.set(k.trim().toLowerCase(), v.trim());
  }
  let lat = coordinate(fields.get('lat') ?? fields.get('latitude'), 90);
  let lon = coordinate(fields.get('lon') ?? fields.get('lng') ?? fields.get('longitude'), 180);
  if (lat === undefined || lon === undefined) {
    const pair = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/.exec(value);
    lat = coordinate(pair?.[1], 90);
    lon = coordinate(pair?.[2], 180);
  }
  if (lat === undefined || lon === undefined) {
    const text = value.trim();
    return text ? { text: text.slice(0, 500), source: 'sip-x-caller-location' } : undefined;
  }
  const acc = coordinate(fields.get('acc') ?? fields.get('accuracy'), 1e7);
  return { latitude: lat, longitude: lon, ...(acc !== undefined && acc >= 0 ? { accuracyM: acc } : {}), source: 'sip-x-caller-location' };
}

export function parseGeolocationHeader(value: string): Location | undefined {
  const uri = /<([^>]+)>/.exec(value)?.[1] ?? value.trim();
  if (!uri) return undefined;
  const geo = /^geo:\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)(?:,[^;]*)?((?:;[^;]*)*)$/i.exec(uri);
  if (geo) {
    const lat = coordinate(geo[1], 90);
    const lon = coordinate(geo[2], 180);
    const u = /;u=(\d+(?:\.\d+)?)/i.exec(geo[3] ?? '')?.[1];
    if (lat !== undefined && lon !== undefined) return { latitude: lat, longitude: lon, ...(u ? { accuracyM: Number(u) } : {}), source: 'sip-geolocation' };
  }
  return { text: `Geolocation: ${uri}`.slice(0, 500), source: 'sip-geolocation' };
}
