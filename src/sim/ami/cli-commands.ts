/**
 * The CLI commands the AMI `Command` action understands, with Asterisk 22's
 * output text. A command returns its output and whether it succeeded
 * (RESULT_SUCCESS → `Response: Success`, otherwise `Response: Error`).
 */
import type { AmiState } from './ami-state';
import type { DialplanStore } from './dialplan-store';

export interface CliResult {
  ok: boolean;
  text: string;
}

export interface CliContext {
  dialplan: DialplanStore;
  state: AmiState;
  nowMs: number;
  asteriskVersion: string;
}

type CliHandler = (args: string[], ctx: CliContext) => CliResult;

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const padLeft = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

/** Ten hex digits Asterisk shows as the contact hash (any stable value will do). */
function contactHash(id: string): string {
  let h = 0x811c9dc5;
  for (const ch of id) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return (h.toString(16).padStart(8, '0') + 'ab').slice(0, 10);
}

function pjsipShowContacts(_args: string[], ctx: CliContext): CliResult {
  const rows = [...ctx.state.endpoints.values()].filter((e) => e.contact);
  if (rows.length === 0) return { ok: true, text: '\nNo objects found.\n\n' };
  let text = '\n';
  text += '  Contact:  <Aor/ContactUri..............................> <Hash....> <Status> <RTT(ms)..>\n';
  text += '==========================================================================================\n\n';
  for (const ep of rows) {
    const c = ep.contact!;
    const status = c.status === 'NonQualified' ? 'NonQual' : c.status === 'Reachable' ? 'Avail' : 'Unavail';
    text += `  Contact:  ${pad(`${ep.aor}/${c.uri}`, 46)} ${contactHash(`${ep.aor};${c.uri}`)} ${pad(status, 7)} ${padLeft(c.status === 'NonQualified' ? 'nan' : '0.000', 11)}\n`;
  }
  text += `\nObjects found: ${rows.length}\n\n`;
  return { ok: true, text };
}

const COMMANDS: Array<{ words: string[]; handler: CliHandler }> = [
  {
    words: ['core', 'show', 'version'],
    handler: (_a, ctx) => ({ ok: true, text: `Asterisk ${ctx.asteriskVersion} built by root @ siaga112-sim on a x86_64 running Linux\n` }),
  },
  {
    words: ['dialplan', 'reload'],
    handler: (_a, ctx) => {
      ctx.dialplan.reload();
      ctx.state.lastReloadAt = ctx.nowMs;
      return { ok: true, text: 'Dialplan reloaded.\n' };
    },
  },
  { words: ['dialplan', 'show'], handler: (args, ctx) => ctx.dialplan.show(args[0]?.replace(/^.*@/, '') || undefined) },
  { words: ['pjsip', 'show', 'contacts'], handler: pjsipShowContacts },
  {
    words: ['core', 'show', 'uptime'],
    handler: (_a, ctx) => {
      const up = Math.floor((ctx.nowMs - ctx.state.startedAt) / 1000);
      const rl = Math.floor((ctx.nowMs - ctx.state.lastReloadAt) / 1000);
      const fmt = (s: number): string => `${s} second${s === 1 ? '' : 's'}`;
      return { ok: true, text: `System uptime: ${fmt(up)}\nLast reload: ${fmt(rl)}\n` };
    },
  },
];

export function runCliCommand(line: string, ctx: CliContext): CliResult {
  const words = line.trim().split(/\s+/).filter((w) => w !== '');
  for (const cmd of COMMANDS) {
    if (cmd.words.every((w, i) => words[i]?.toLowerCase() === w)) return cmd.handler(words.slice(cmd.words.length), ctx);
  }
  // Asterisk suggests `core show help <first words>`; the recording shows the first two.
  const hint = words.slice(0, 2).join(' ');
  return { ok: false, text: `No such command '${line.trim()}' (type 'core show help ${hint}' for other possible commands)\n` };
}

/** CLI output as `Output:` lines (Asterisk 22 drops the final newline). */
export function outputLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
