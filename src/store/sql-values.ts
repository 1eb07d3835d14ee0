/** A value either driver accepts as a parameter. */
export type SqlValue = string | number | null;

/** A result row as the drivers return it. */
export type Row = Record<string, unknown>;

/** Integers come back as numbers from SQLite and as strings for PostgreSQL BIGINT. */
export function decodeInteger(raw: unknown): number {
  const n = typeof raw === 'number' ? raw : typeof raw === 'bigint' ? Number(raw) : typeof raw === 'string' ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) throw new Error(`stored value ${String(raw)} is not an integer`);
  return n;
}

export function decodeOptionalInteger(raw: unknown): number | undefined {
  return raw === null || raw === undefined ? undefined : decodeInteger(raw);
}

/** JSON comes back as text from SQLite and already parsed from PostgreSQL JSONB. */
export function decodeJson(raw: unknown): unknown {
  return typeof raw === 'string' ? JSON.parse(raw) : raw;
}

export function decodeText(raw: unknown): string {
  if (typeof raw !== 'string') throw new Error(`stored value ${String(raw)} is not text`);
  return raw;
}

export function decodeOptionalText(raw: unknown): string | undefined {
  return raw === null || raw === undefined ? undefined : decodeText(raw);
}
