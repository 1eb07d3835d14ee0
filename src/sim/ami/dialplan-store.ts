/**
 * The simulator's dialplan: extensions.conf text, parsed just enough to answer
 * `dialplan show [context]` in Asterisk 22's layout and `dialplan reload`.
 * Only `[context]`, `exten =>`, `same =>`, `n` priorities and `n(label)` are
 * understood; everything else (includes, globals, #include) is ignored.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_DIALPLAN } from './default-dialplan';

export interface DialplanPriority {
  priority: number;
  label?: string;
  app: string;
  data: string;
  file: string;
  line: number;
}

export interface DialplanExtension {
  name: string;
  priorities: DialplanPriority[];
}

export interface DialplanContext {
  name: string;
  extensions: DialplanExtension[];
}

export interface DialplanSource {
  /** File name as Asterisk prints it in `[file:line]`. */
  file: string;
  text: string;
}

const EXTEN_RE = /^(exten|same)\s*=>?\s*(.*)$/i;

/** Split `a,b(c,d),e` at top-level commas only up to `count` parts; the last part keeps the rest. */
function splitArgs(s: string, count: number): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(' ) depth++;
    if (ch === ')' && depth > 0) depth--;
    if (ch === ',' && depth === 0 && out.length < count - 1) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out;
}

function parseApp(s: string): { app: string; data: string } {
  const t = s.trim();
  const open = t.indexOf('(');
  if (open < 0) return { app: t, data: '' };
  const close = t.lastIndexOf(')');
  return { app: t.slice(0, open), data: t.slice(open + 1, close > open ? close : t.length) };
}

export function parseDialplan(sources: DialplanSource[]): DialplanContext[] {
  const contexts = new Map<string, DialplanContext>();
  for (const src of sources) {
    let ctx: DialplanContext | undefined;
    let lastExt: DialplanExtension | undefined;
    let lastPrio = 0;
    src.text.split(/\r?\n/).forEach((rawLine, i) => {
      const line = rawLine.replace(/(^|[^\\]);.*$/, '$1').trim();
      if (line === '' || line.startsWith('#')) return;
      const ctxMatch = /^\[([^\]]+)\]/.exec(line);
      if (ctxMatch) {
        const name = ctxMatch[1]!.trim();
        // [general] and [globals] are settings, not contexts.
        if (name === 'general' || name === 'globals') {
          ctx = undefined;
          return;
        }
        ctx = contexts.get(name) ?? { name, extensions: [] };
        contexts.set(name, ctx);
        lastExt = undefined;
        return;
      }
      const m = EXTEN_RE.exec(line);
      if (!m || !ctx) return;
      const isSame = m[1]!.toLowerCase() === 'same';
      const parts = splitArgs(m[2]!, isSame ? 2 : 3);
      let extName: string;
      let prioStr: string;
      let appStr: string;
      if (isSame) {
        if (!lastExt) return;
        extName = lastExt.name;
        [prioStr = '', appStr = ''] = parts;
      } else {
        [extName = '', prioStr = '', appStr = ''] = parts;
        extName = extName.trim();
      }
      const pm = /^\s*(n|\d+|hint)(?:\(([^)]*)\))?\s*$/i.exec(prioStr);
      if (!pm || pm[1]!.toLowerCase() === 'hint') return;
      let ext = ctx.extensions.find((e) => e.name === extName);
      if (!ext) {
        ext = { name: extName, priorities: [] };
        ctx.extensions.push(ext);
      }
      const priority = pm[1]!.toLowerCase() === 'n' ? (ext === lastExt ? lastPrio + 1 : 1) : Number(pm[1]);
      const { app, data } = parseApp(appStr);
      ext.priorities.push({ priority, label: pm[2] || undefined, app, data, file: src.file, line: i + 1 });
      lastExt = ext;
      lastPrio = priority;
    });
  }
  for (const ctx of contexts.values()) {
    // Asterisk lists plain extensions before patterns (`_X.`), each group in name order.
    ctx.extensions.sort((a, b) => {
      const pa = a.name.startsWith('_') ? 1 : 0;
      const pb = b.name.startsWith('_') ? 1 : 0;
      return pa - pb || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    });
    for (const e of ctx.extensions) e.priorities.sort((x, y) => x.priority - y.priority);
  }
  return [...contexts.values()];
}

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));

/** One context in `dialplan show` layout (pbx.c show_dialplan_helper). */
export function renderContext(ctx: DialplanContext): string {
  let out = `[ Context '${ctx.name}' created by 'pbx_config' ]\n`;
  for (const ext of ctx.extensions) {
    ext.priorities.forEach((p, i) => {
      const left = i === 0 ? `'${ext.name}' =>` : p.label ? `   [${p.label}]` : '';
      const right = `${p.priority}. ${p.app}(${p.data})`;
      out += `  ${pad(left, 17)} ${pad(right, 45)} [${p.file}:${p.line}]\n`;
    });
  }
  return out;
}

export interface DialplanStoreOptions {
  /** A folder of `*.conf` files (the project's dialplans/). Without it the built-in test dialplan is used. */
  dir?: string;
  /** Literal sources (tests). Takes precedence over `dir`. */
  sources?: DialplanSource[];
}

export class DialplanStore {
  private contexts: DialplanContext[] = [];
  private readonly opts: DialplanStoreOptions;
  reloads = 0;

  constructor(opts: DialplanStoreOptions = {}) {
    this.opts = opts;
    this.reload();
  }

  /** Re-read the sources (what `dialplan reload` / `Reload Module: pbx_config` do). */
  reload(): void {
    this.contexts = parseDialplan(this.readSources());
    this.reloads++;
  }

  /** Replace the text of one file, e.g. after an admin edits the dialplan; takes effect on reload(). */
  setSource(file: string, text: string): void {
    const sources = this.opts.sources ?? [];
    const existing = sources.find((s) => s.file === file);
    if (existing) existing.text = text;
    else sources.push({ file, text });
    this.opts.sources = sources;
  }

  listContexts(): DialplanContext[] {
    return this.contexts;
  }

  getContext(name: string): DialplanContext | undefined {
    return this.contexts.find((c) => c.name === name);
  }

  /** The CLI output of `dialplan show [context]` and whether it succeeded. */
  show(context?: string): { ok: boolean; text: string } {
    const chosen = context ? this.contexts.filter((c) => c.name === context) : this.contexts;
    if (context && chosen.length === 0) return { ok: false, text: `There is no existence of '${context}' context\n` };
    const exts = chosen.reduce((n, c) => n + c.extensions.length, 0);
    const prios = chosen.reduce((n, c) => n + c.extensions.reduce((m, e) => m + e.priorities.length, 0), 0);
    const body = chosen.map(renderContext).join('\n');
    const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
    const summary = `-= ${plural(exts, 'extension')} (${plural(prios, 'priority').replace('prioritys', 'priorities')}) in ${plural(chosen.length, 'context')}. =-\n`;
    return { ok: true, text: `${body}\n${summary}` };
  }

  private readSources(): DialplanSource[] {
    if (this.opts.sources) return this.opts.sources;
    if (this.opts.dir) {
      return readdirSync(this.opts.dir)
        .filter((f) => f.endsWith('.conf') && statSync(path.join(this.opts.dir!, f)).isFile())
        .sort()
        .map((f) => ({ file: f, text: readFileSync(path.join(this.opts.dir!, f), 'utf8') }));
    }
    return [{ file: 'extensions.conf', text: DEFAULT_DIALPLAN }];
  }
}
