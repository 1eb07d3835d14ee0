import { TelephonyError } from '../../core/errors';
import { amiOutputLines, type AmiLink } from './ami-link';

export interface ShownPriority {
  /** A number, or `hint`. */
  priority: number | 'hint';
  label?: string;
  app: string;
  appData: string;
  /** `extensions.conf:9`, `pbx_config`, ... */
  source?: string;
}

export interface ShownExtension {
  name: string;
  priorities: ShownPriority[];
}

export interface ShownContext {
  name: string;
  createdBy: string;
  extensions: ShownExtension[];
  includes: string[];
}

export interface ShownDialplan {
  contexts: ShownContext[];
  /** `-= 3 extensions (13 priorities) in 1 context. =-`, when present. */
  summary?: { extensions: number; priorities: number; contexts: number };
  /** Lines the parser did not understand (kept for the admin page). */
  unparsed: string[];
}

/** Admin actions on the dialplan through AMI's Command action. */
export class DialplanAdmin {
  constructor(private readonly link: AmiLink) {}

  /** `dialplan reload`; returns Asterisk's output lines ("Dialplan reloaded."). */
  async reload(): Promise<string[]> {
    const res = await this.link.action({ action: 'Command', command: 'dialplan reload' });
    const lines = amiOutputLines(res);
    if (!lines.some((l) => /reloaded/i.test(l))) throw new TelephonyError(`dialplan reload: unexpected answer: ${lines.join(' | ') || '(none)'}`);
    return lines;
  }

  /** `dialplan show [context]`, parsed. */
  async show(context?: string): Promise<ShownDialplan> {
    if (context !== undefined && !/^[A-Za-z0-9_.-]+$/.test(context)) throw new TelephonyError(`dialplan show: bad context name ${JSON.stringify(context)}`);
    const res = await this.link.action({ action: 'Command', command: context ? `dialplan show ${context}` : 'dialplan show' });
    const lines = amiOutputLines(res);
    if (lines.some((l) => /^There is no existence of/i.test(l))) throw new TelephonyError(`dialplan show: ${lines.join(' ')}`);
    return parseDialplanShow(lines);
  }
}

const CONTEXT = /^\[ Context '([^']+)' created by '([^']*)' \]$/;
const SUMMARY = /^-= (\d+) extensions? \((\d+) priorit(?:y|ies)\) in (\d+) contexts?\. =-$/;
const INCLUDE = /^\s*Include =>\s+'([^']+)'/;
// `  '112' =>          1. NoOp(...)   [extensions.conf:9]` / `     [done]   6. Hangup()   [extensions.conf:22]`
const PRIORITY = /^\s*(?:'([^']+)'\s*=>\s*)?(?:\[([^\]\s]+)\]\s+)?(?:(\d+)\.|(hint):)\s+(.*?)\s*$/;

/** Parse the `Output:` lines of Asterisk 22's `dialplan show`. */
export function parseDialplanShow(lines: string[]): ShownDialplan {
  const result: ShownDialplan = { contexts: [], unparsed: [] };
  let ctx: ShownContext | undefined;
  let ext: ShownExtension | undefined;
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    if (!line.trim()) continue;
    const c = CONTEXT.exec(line.trim());
    if (c) {
      ctx = { name: c[1]!, createdBy: c[2]!, extensions: [], includes: [] };
      ext = undefined;
      result.contexts.push(ctx);
      continue;
    }
    const s = SUMMARY.exec(line.trim());
    if (s) {
      result.summary = { extensions: Number(s[1]), priorities: Number(s[2]), contexts: Number(s[3]) };
      continue;
    }
    const inc = INCLUDE.exec(line);
    if (inc && ctx) {
      ctx.includes.push(inc[1]!);
      continue;
    }
    const p = PRIORITY.exec(line);
    if (p && ctx) {
      if (p[1] !== undefined) {
        ext = { name: p[1], priorities: [] };
        ctx.extensions.push(ext);
      }
      if (ext) {
        let body = p[5]!;
        let source: string | undefined;
        const src = /\s\[([^\]]+)\]$/.exec(body);
        if (src) {
          source = src[1];
          body = body.slice(0, src.index).trimEnd();
        }
        const call = /^([A-Za-z0-9_]+)\((.*)\)$/s.exec(body);
        ext.priorities.push({
          priority: p[4] ? 'hint' : Number(p[3]),
          ...(p[2] ? { label: p[2] } : {}),
          app: call ? call[1]! : body,
          appData: call ? call[2]! : '',
          ...(source ? { source } : {}),
        });
        continue;
      }
    }
    result.unparsed.push(line);
  }
  return result;
}
