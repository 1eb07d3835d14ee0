/**
 * A parser for Asterisk's extensions.conf syntax, for checking dialplan
 * files before they are loaded (the admin "dialplan check" builds on it).
 * It understands: `[context]`, `exten => name,priority[(label)],App(args)`,
 * `same => ...`, priorities `n` / `n(label)` / `hint`, `include =>`,
 * `#include`, `[globals]` variables, `;` comments (`\;` is a literal `;`)
 * and `;-- ... --;` block comments. It reports problems with file and line
 * instead of throwing.
 */

export interface DialplanIssue {
  file: string;
  line: number;
  message: string;
}

export interface DialplanPriority {
  /** Resolved priority number (n counts up from the previous one); 0 for hints. */
  priority: number;
  /** As written: `1`, `n`, `hint`. */
  written: string;
  label?: string;
  app: string;
  /** The application's arguments without the parentheses. */
  appData: string;
  file: string;
  line: number;
}

export interface DialplanExtension {
  name: string;
  /** True when the name is a pattern (`_X.`). */
  pattern: boolean;
  priorities: DialplanPriority[];
}

export interface DialplanContextDef {
  name: string;
  file: string;
  line: number;
  extensions: DialplanExtension[];
  includes: string[];
}

export interface ParsedDialplan {
  contexts: Map<string, DialplanContextDef>;
  globals: Map<string, string>;
  /** `#include` lines (file names), in order. */
  fileIncludes: string[];
  issues: DialplanIssue[];
}

const SPECIAL_SECTIONS = new Set(['general', 'globals']);

function stripComments(text: string): string {
  // Block comments ;-- ... --; may span lines: replace them with the same number of newlines.
  const noBlocks = text.replace(/;--[\s\S]*?--;/g, (m) => m.replace(/[^\n]/g, ''));
  return noBlocks
    .split('\n')
    .map((line) => {
      let out = '';
      for (let i = 0; i < line.length; i++) {
        const ch = line[i]!;
        if (ch === '\\' && line[i + 1] === ';') {
          out += ';';
          i++;
          continue;
        }
        if (ch === ';') break;
        out += ch;
      }
      return out.replace(/\s+$/, '');
    })
    .join('\n');
}

/** Parse one file's text. Several files can be merged by passing `into`. */
export function parseExtensionsConf(text: string, file = 'extensions.conf', into?: ParsedDialplan): ParsedDialplan {
  const plan: ParsedDialplan = into ?? { contexts: new Map(), globals: new Map(), fileIncludes: [], issues: [] };
  const issue = (line: number, message: string): void => {
    plan.issues.push({ file, line, message });
  };
  let section: string | undefined;
  let ctx: DialplanContextDef | undefined;
  let ext: DialplanExtension | undefined;
  let lastPriority = 0;

  const lines = stripComments(text.replace(/\r\n?/g, '\n')).split('\n');
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (!line) return;

    if (line.startsWith('#')) {
      const inc = /^#(include|tryinclude)\s+"?([^"]+?)"?$/.exec(line);
      if (inc) plan.fileIncludes.push(inc[2]!);
      else if (!/^#exec\s/.test(line)) issue(lineNo, `unknown directive: ${line}`);
      return;
    }

    const head = /^\[([^\]]+)\](\(([^)]*)\))?$/.exec(line);
    if (head) {
      section = head[1]!.trim();
      ext = undefined;
      lastPriority = 0;
      if (!/^[A-Za-z0-9_.\-+]+$/.test(section)) issue(lineNo, `context name "${section}" has characters Asterisk does not allow`);
      if (SPECIAL_SECTIONS.has(section)) {
        ctx = undefined;
        return;
      }
      const existing = plan.contexts.get(section);
      if (existing) {
        ctx = existing; // Asterisk merges a context defined twice
      } else {
        ctx = { name: section, file, line: lineNo, extensions: [], includes: [] };
        plan.contexts.set(section, ctx);
      }
      return;
    }
    if (line.startsWith('[')) {
      issue(lineNo, `malformed context header: ${line}`);
      return;
    }

    const kv = /^([A-Za-z_][A-Za-z0-9_]*)\s*=>?\s*(.*)$/.exec(line);
    if (!kv) {
      issue(lineNo, `cannot read this line: ${line}`);
      return;
    }
    const key = kv[1]!.toLowerCase();
    const value = kv[2]!;

    if (section === undefined) {
      issue(lineNo, 'line outside any [context]');
      return;
    }
    if (section === 'globals') {
      plan.globals.set(kv[1]!, value);
      return;
    }
    if (section === 'general') return;
    if (!ctx) return;

    switch (key) {
      case 'include':
        ctx.includes.push(value.split(',')[0]!.trim());
        return;
      case 'switch':
      case 'ignorepat':
        return;
      case 'exten':
      case 'same': {
        let name: string;
        let rest: string;
        if (key === 'exten') {
          const comma = value.indexOf(',');
          if (comma < 0) {
            issue(lineNo, 'exten => needs name,priority,Application(...)');
            return;
          }
          name = value.slice(0, comma).trim();
          rest = value.slice(comma + 1);
          if (!name) {
            issue(lineNo, 'empty extension name');
            return;
          }
        } else {
          if (!ext) {
            issue(lineNo, 'same => without an exten => line before it in this context');
            return;
          }
          name = ext.name;
          rest = value;
        }
        const comma = rest.indexOf(',');
        const prioText = (comma < 0 ? rest : rest.slice(0, comma)).trim();
        const body = comma < 0 ? '' : rest.slice(comma + 1).trim();
        const pm = /^(\d+|n|hint|s)(?:\(([^)]+)\))?$/i.exec(prioText);
        if (!pm) {
          issue(lineNo, `bad priority "${prioText}": expected a number, n, n(label) or hint`);
          return;
        }
        const written = pm[1]!.toLowerCase();
        const label = pm[2];
        if (key === 'exten' && (!ext || ext.name !== name)) {
          const found = ctx.extensions.find((e) => e.name === name);
          ext = found ?? { name, pattern: name.startsWith('_'), priorities: [] };
          if (!found) ctx.extensions.push(ext);
          lastPriority = ext.priorities.length ? Math.max(...ext.priorities.map((p) => p.priority)) : 0;
        }
        let priority: number;
        if (written === 'hint') priority = 0;
        else if (written === 'n') {
          if (lastPriority === 0) issue(lineNo, `priority n of ${name} has no priority before it (start with 1)`);
          priority = lastPriority + 1;
        } else if (written === 's') priority = lastPriority; // "same priority" (rare)
        else priority = Number(written);
        const call = /^([A-Za-z0-9_]+)\s*(?:\(([\s\S]*)\))?$/.exec(body);
        if (!body) {
          issue(lineNo, `${name} priority ${prioText} has no application`);
          return;
        }
        if (!call) {
          issue(lineNo, `cannot read the application in "${body}" (expected App(arguments))`);
          return;
        }
        const appData = call[2] ?? '';
        if (!balanced(appData)) issue(lineNo, `unbalanced parentheses or brackets in ${call[1]}(${appData})`);
        if (priority !== 0 && ext!.priorities.some((p) => p.priority === priority)) issue(lineNo, `${name} priority ${priority} is defined twice in [${ctx.name}]`);
        if (label && ext!.priorities.some((p) => p.label === label)) issue(lineNo, `label ${label} is defined twice for ${name} in [${ctx.name}]`);
        ext!.priorities.push({ priority, written, ...(label ? { label } : {}), app: call[1]!, appData, file, line: lineNo });
        if (priority !== 0) lastPriority = priority;
        return;
      }
      default:
        issue(lineNo, `unknown keyword "${kv[1]}" in [${ctx.name}]`);
    }
  });
  for (const c of plan.contexts.values()) {
    for (const e of c.extensions) {
      const numbered = e.priorities.filter((p) => p.priority !== 0);
      if (numbered.length && !numbered.some((p) => p.priority === 1)) issue(numbered[0]!.line, `${e.name} in [${c.name}] has no priority 1: Asterisk never starts it`);
    }
  }
  return plan;
}

function balanced(text: string): boolean {
  let paren = 0;
  let bracket = 0;
  let brace = 0;
  for (const ch of text) {
    if (ch === '(') paren++;
    else if (ch === ')') paren--;
    else if (ch === '[') bracket++;
    else if (ch === ']') bracket--;
    else if (ch === '{') brace++;
    else if (ch === '}') brace--;
    if (paren < 0 || bracket < 0 || brace < 0) return false;
  }
  return paren === 0 && bracket === 0 && brace === 0;
}

/** Does the extension name (or `_pattern`) match a dialled number, as Asterisk matches? */
export function extensionMatches(name: string, exten: string): boolean {
  if (!name.startsWith('_')) return name === exten;
  let re = '^';
  const p = name.slice(1);
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]!;
    const up = ch.toUpperCase();
    if (up === 'X') re += '[0-9]';
    else if (up === 'Z') re += '[1-9]';
    else if (up === 'N') re += '[2-9]';
    else if (ch === '.') re += '.+';
    else if (ch === '!') re += '.*';
    else if (ch === '[') {
      const end = p.indexOf(']', i);
      if (end < 0) return false;
      re += `[${p.slice(i + 1, end).replace(/[\\^\]]/g, '\\$&')}]`;
      i = end;
    } else re += ch.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  }
  return new RegExp(`${re}$`).test(exten);
}

/**
 * The extension Asterisk would run for `exten` in `context`: an exact name
 * first, then the matching pattern (the most specific: fewest wildcards),
 * then the included contexts in order.
 */
export function findExtension(plan: ParsedDialplan, context: string, exten: string, seen = new Set<string>()): { context: DialplanContextDef; extension: DialplanExtension } | undefined {
  const ctx = plan.contexts.get(context);
  if (!ctx || seen.has(context)) return undefined;
  seen.add(context);
  const exact = ctx.extensions.find((e) => !e.pattern && e.name === exten);
  if (exact) return { context: ctx, extension: exact };
  const patterns = ctx.extensions.filter((e) => e.pattern && extensionMatches(e.name, exten));
  patterns.sort((a, b) => specificity(b.name) - specificity(a.name));
  if (patterns[0]) return { context: ctx, extension: patterns[0] };
  for (const inc of ctx.includes) {
    const found = findExtension(plan, inc, exten, seen);
    if (found) return found;
  }
  return undefined;
}

/** Higher = more specific (Asterisk prefers literal characters over classes over wildcards). */
function specificity(name: string): number {
  let score = 0;
  for (const ch of name.slice(1).replace(/\[[^\]]*\]/g, '#')) {
    if (ch === '.' || ch === '!') score -= 100;
    else if (ch === '#' || /[XZN]/i.test(ch)) score += 1;
    else score += 10;
  }
  return score;
}

/** Priorities of an extension in run order (hints left out). */
export function runOrder(extension: DialplanExtension): DialplanPriority[] {
  return extension.priorities.filter((p) => p.priority !== 0).sort((a, b) => a.priority - b.priority);
}
