/**
 * RFC 4180 CSV: fields separated by commas, records by CRLF; a field is
 * quoted when it holds a comma, a double quote, CR or LF, and a double quote
 * inside is doubled. Free text that starts with = + - @ (a spreadsheet
 * formula) gets a leading apostrophe, so opening the export in a spreadsheet
 * never runs what a caller or operator typed.
 */

export type CsvValue = string | number | undefined | null;

export function csvField(value: CsvValue): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** For free text only (notes, places): neutralise a leading formula character. */
export function safeText(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export function csvRecord(values: ReadonlyArray<CsvValue>): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
