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

function queueShow(args: string[], ctx: CliContext): CliResult {
  const queues = [...ctx.state.queues.values()].filter((q) => !args[0] || q.name === args[0]);
  if (args[0] && queues.length === 0) return { ok: false, text: `No such queue: ${args[0]}.\n\n` };
  const nowS = Math.floor(ctx.nowMs / 1000);
  let text = '';
  for (const q of queues) {
    const done = q.completed;
    const total = done + q.abandoned;
    const sl = total > 0 ? '100.0' : '0.0';
    const sl2 = total > 0 ? ((done / total) * 100).toFixed(1) : '0.0';
    const talk = done > 0 ? Math.round(q.talkTimeSec / done) : 0;
    text += `${q.name} has ${q.callers.length} calls (max unlimited) in '${q.strategy}' strategy (0s holdtime, ${talk}s talktime), W:0, C:${done}, A:${q.abandoned}, SL:${sl}%, SL2:${sl2}% within 0s\n`;
    text += '   Members: \n';
    for (const m of q.members) {
      const st = ctx.state.memberStatus(m);
      const stText = st === 5 ? 'Unavailable' : st === 6 ? 'Ringing' : st === 2 ? 'In use' : 'Not in use';
      const taken = m.callsTaken === 0 ? 'has taken no calls yet' : `has taken ${m.callsTaken} calls (last was ${nowS - m.lastCall} secs ago)`;
      text += `      ${m.interface} (ringinuse enabled)${m.paused ? ' (paused)' : ''} (${stText}) ${taken} (login was ${nowS - m.loginTime} secs ago)\n`;
    }
    if (q.callers.length === 0) text += '   No Callers\n';
    else {
      text += '   Callers: \n';
      q.callers.forEach((c, i) => {
        text += `      ${i + 1}. ${c.channel} (wait: ${Math.floor((ctx.nowMs - c.joinedAt) / 60000)}:${String(Math.floor((ctx.nowMs - c.joinedAt) / 1000) % 60).padStart(2, '0')}, prio: 0)\n`;
      });
    }
    text += '\n';
  }
  return { ok: true, text: text + '\n' };
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
  { words: ['queue', 'show'], handler: queueShow },
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
