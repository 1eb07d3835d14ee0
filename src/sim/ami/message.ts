/**
 * AMI framing: a message is an ordered list of `Key: Value` lines ended by an
 * empty line, every line ended by CRLF. Order matters (clients and the
 * conformance test compare it), and keys may repeat (`Variable:`, `Output:`),
 * so a message is a list of pairs, never a plain object.
 */
export type AmiField = readonly [key: string, value: string];
export type AmiMessage = AmiField[];

/** Serialise one message exactly as Asterisk writes it: `Key: Value\r\n` ... `\r\n`. */
export function serializeMessage(fields: readonly AmiField[]): string {
  let out = '';
  for (const [key, value] of fields) out += `${key}: ${value}\r\n`;
  return out + '\r\n';
}

/** First value of `key` (case-insensitive, as Asterisk's astman_get_header), or undefined. */
export function getHeader(msg: readonly AmiField[], key: string): string | undefined {
  const wanted = key.toLowerCase();
  for (const [k, v] of msg) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

/** Every value of a repeated key, in order (e.g. several `Variable: A=1` lines). */
export function getHeaders(msg: readonly AmiField[], key: string): string[] {
  const wanted = key.toLowerCase();
  return msg.filter(([k]) => k.toLowerCase() === wanted).map(([, v]) => v);
}

/** Parse one `Key: Value` line. Asterisk splits at the first colon and skips spaces after it. */
export function parseLine(line: string): AmiField | undefined {
  const colon = line.indexOf(':');
  if (colon <= 0) return undefined;
  return [line.slice(0, colon).trim(), line.slice(colon + 1).replace(/^ +/, '')];
}

/** Parse a complete block of text (several messages, CRLF or LF lines) into messages. */
export function parseMessages(text: string): AmiMessage[] {
  const framer = new AmiFramer();
  const out = framer.push(text);
  return out.concat(framer.flush());
}

/**
 * Incremental parser for a TCP byte stream: push chunks as they arrive, get
 * back the messages completed so far. Lines without a colon are kept as a
 * field with an empty key so a caller can still see them (Asterisk ignores them).
 */
export class AmiFramer {
  private buffer = '';
  private current: AmiField[] = [];
  private readonly maxBuffer: number;

  constructor(maxBuffer = 1024 * 1024) {
    this.maxBuffer = maxBuffer;
  }

  push(chunk: string): AmiMessage[] {
    this.buffer += chunk;
    if (this.buffer.length > this.maxBuffer) throw new RangeError('AMI line too long');
    const done: AmiMessage[] = [];
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      if (line === '') {
        if (this.current.length > 0) done.push(this.current);
        this.current = [];
        continue;
      }
      this.current.push(parseLine(line) ?? ['', line]);
    }
    return done;
  }

  /** Whatever was pending when the stream ended (a message without its blank line). */
  flush(): AmiMessage[] {
    const rest = this.buffer.replace(/\r$/, '');
    this.buffer = '';
    if (rest !== '') this.current.push(parseLine(rest) ?? ['', rest]);
    const out = this.current.length > 0 ? [this.current] : [];
    this.current = [];
    return out;
  }
}
