/**
 * Reader for the recorded AMI TCP transcripts (`ami-transcript-*.txt`): chunks
 * start with `### C->S <time>`, `### S->C <time>`, `### CONNECT <time> <label>`
 * or `### CLOSED <time> ...`; the bytes follow with CRLF kept. Used by the
 * conformance tests to compare the simulator with real Asterisk.
 */
import { AmiFramer, type AmiMessage } from './message';

export interface TranscriptConnection {
  label: string;
  /** The greeting line the server sent first (without CRLF), if any. */
  banner?: string;
  /** Messages the client sent, in order. */
  clientMessages: AmiMessage[];
  /** Messages the server sent, in order (S->C chunks joined, then framed). */
  serverMessages: AmiMessage[];
  /** Whether the server closed this connection. */
  closedByServer: boolean;
}

const MARKER = /^### (C->S|S->C|CONNECT|CLOSED)(?: (\S+))?(?: (.*))?$/;

export function parseTranscript(text: string): TranscriptConnection[] {
  const connections: TranscriptConnection[] = [];
  let conn: TranscriptConnection | undefined;
  let client = '';
  let server = '';
  let dir: 'C->S' | 'S->C' | undefined;

  const finish = (): void => {
    if (!conn) return;
    const s = new AmiFramer();
    let serverText = server;
    const firstLineEnd = serverText.indexOf('\r\n');
    if (serverText.startsWith('Asterisk Call Manager/') && firstLineEnd > 0) {
      conn.banner = serverText.slice(0, firstLineEnd);
      serverText = serverText.slice(firstLineEnd + 2);
    }
    conn.serverMessages = s.push(serverText).concat(s.flush());
    const c = new AmiFramer();
    conn.clientMessages = c.push(client).concat(c.flush());
    connections.push(conn);
  };
  const open = (label: string): void => {
    finish();
    conn = { label, clientMessages: [], serverMessages: [], closedByServer: false };
    client = '';
    server = '';
  };

  // Split on LF but keep the CR/LF bytes of data lines exactly.
  const lines = text.split(/(?<=\n)/);
  for (const raw of lines) {
    const m = MARKER.exec(raw.replace(/\r?\n$/, ''));
    if (m) {
      const kind = m[1];
      if (kind === 'CONNECT') open(m[3] ?? '');
      else if (kind === 'CLOSED') {
        if (conn) conn.closedByServer = true;
        dir = undefined;
      } else {
        if (!conn) open('connection');
        dir = kind as 'C->S' | 'S->C';
      }
      continue;
    }
    if (dir === 'C->S') client += raw;
    else if (dir === 'S->C') server += raw;
  }
  finish();
  return connections;
}

/** The `Event:` value of a message, or undefined for responses. */
export function eventName(msg: AmiMessage): string | undefined {
  const first = msg[0];
  return first && first[0] === 'Event' ? first[1] : undefined;
}
