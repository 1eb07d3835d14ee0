import {
  findExtension,
  parseExtensionsConf,
  runOrder,
  type DialplanContextDef,
  type DialplanExtension,
  type DialplanPriority,
  type ParsedDialplan,
} from '../asterisk/dialplan/extensions-conf';
import { jumpOf, type JumpTarget } from './goto-targets';

/**
 * The admin's dialplan check: what must hold before a dialplan goes onto a
 * live 112 PBX. Errors block an apply; warnings are shown but do not.
 */

export type CheckSeverity = 'error' | 'warning';

export type CheckCode =
  | 'syntax'
  | 'no_112_route'
  | 'no_failsafe'
  | 'wrong_app'
  | 'unreachable'
  | 'bad_goto'
  | 'loop'
  | 'dynamic_goto';

export interface CheckIssue {
  file: string;
  line: number;
  severity: CheckSeverity;
  code: CheckCode;
  message: string;
}

export interface DialplanSourceFile {
  /** As shown in messages (relative path or base name). */
  file: string;
  text: string;
}

export interface CheckOptions {
  /** The Stasis application name the service registers (config asterisk.ari.app). */
  app: string;
  /** The number that must reach Stasis. @defaultValue 112 */
  emergencyNumber?: string;
  /** Where the trunk delivers calls; used to place a "no 112 route" message. @defaultValue siaga112-inbound */
  inboundContext?: string;
}

export interface CheckResult {
  ok: boolean;
  errors: number;
  warnings: number;
  /** Sorted by file, then line. */
  issues: CheckIssue[];
  files: string[];
  /** Contexts where the emergency number reaches Stasis(app). */
  routes: Array<{ context: string; extension: string; file: string; line: number }>;
}

/** `file:line: message`, the form editors and CI understand. */
export function formatIssue(issue: CheckIssue): string {
  return `${issue.file}:${issue.line}: ${issue.severity === 'warning' ? 'warning: ' : ''}${issue.message}`;
}

interface Position {
  context: DialplanContextDef;
  extension: DialplanExtension;
  steps: DialplanPriority[];
  index: number;
}

type Termination =
  | { kind: 'goal'; at: DialplanPriority }
  | { kind: 'hangup'; at: DialplanPriority }
  | { kind: 'end'; at: DialplanPriority }
  | { kind: 'loop'; at: DialplanPriority }
  | { kind: 'dynamic'; at: DialplanPriority; text: string }
  | { kind: 'missing'; at: DialplanPriority; text: string };

const ENDS_CALL = new Set(['hangup', 'busy', 'congestion', 'return']);
const REACHES_HUMAN = new Set(['queue', 'dial']);
const key = (p: Position): string => `${p.context.name}\u0000${p.extension.name}\u0000${p.index}`;
const describeTarget = (t: JumpTarget): string => [t.context, t.exten, t.priority].filter((x) => x !== undefined).join(',');

/** Resolve a Goto target from the priority that jumps. */
function resolve(plan: ParsedDialplan, from: Position, target: JumpTarget): Position | undefined {
  const contextName = target.context ?? from.context.name;
  let context: DialplanContextDef | undefined;
  let extension: DialplanExtension | undefined;
  if (target.exten === undefined && target.context === undefined) {
    context = from.context;
    extension = from.extension;
  } else {
    const exten = target.exten ?? from.extension.name;
    const found = findExtension(plan, contextName, exten);
    const byName = plan.contexts.get(contextName)?.extensions.find((e) => e.name === exten);
    context = found?.context ?? (byName ? plan.contexts.get(contextName) : undefined);
    extension = found?.extension ?? byName;
  }
  if (!context || !extension) return undefined;
  const steps = runOrder(extension);
  const index = /^\d+$/.test(target.priority)
    ? steps.findIndex((p) => p.priority === Number(target.priority))
    : steps.findIndex((p) => p.label === target.priority);
  return index < 0 ? undefined : { context, extension, steps, index };
}

/** Every way a call starting at `start` can go until `isGoal` holds, the call ends, or the path cannot be followed. */
function followPaths(plan: ParsedDialplan, start: Position, isGoal: (p: DialplanPriority) => boolean): Termination[] {
  const out: Termination[] = [];
  const done = new Set<string>();
  const onStack = new Set<string>();
  const visit = (pos: Position, cameFrom: DialplanPriority): void => {
    const k = key(pos);
    if (onStack.has(k)) {
      out.push({ kind: 'loop', at: cameFrom });
      return;
    }
    if (done.has(k)) return;
    const step = pos.steps[pos.index];
    if (!step) {
      out.push({ kind: 'end', at: cameFrom });
      return;
    }
    onStack.add(k);
    const app = step.app.toLowerCase();
    if (isGoal(step)) out.push({ kind: 'goal', at: step });
    else if (ENDS_CALL.has(app)) out.push({ kind: 'hangup', at: step });
    else {
      const jump = jumpOf(step.app, step.appData);
      for (const t of jump?.targets ?? []) {
        const next = resolve(plan, pos, t);
        if (next) visit(next, step);
        else out.push({ kind: 'missing', at: step, text: describeTarget(t) });
      }
      for (const text of jump?.dynamic ?? []) out.push({ kind: 'dynamic', at: step, text });
      if (!jump?.unconditional) visit({ ...pos, index: pos.index + 1 }, step);
    }
    onStack.delete(k);
    done.add(k);
  };
  const first = start.steps[start.index];
  if (!first) {
    const last = start.steps[start.index - 1];
    if (last) out.push({ kind: 'end', at: last });
    return out;
  }
  visit(start, first);
  return out;
}

function positionsOf(plan: ParsedDialplan): Position[] {
  const all: Position[] = [];
  for (const context of plan.contexts.values()) {
    for (const extension of context.extensions) {
      const steps = runOrder(extension);
      steps.forEach((_p, index) => all.push({ context, extension, steps, index }));
    }
  }
  return all;
}

/** Parse and check one set of files, merged as Asterisk merges them. */
export function checkDialplan(files: ReadonlyArray<DialplanSourceFile>, options: CheckOptions): CheckResult {
  const number = options.emergencyNumber ?? '112';
  const inbound = options.inboundContext ?? 'siaga112-inbound';
  const issues: CheckIssue[] = [];
  const add = (at: { file: string; line: number }, severity: CheckSeverity, code: CheckCode, message: string): void => {
    if (!issues.some((i) => i.file === at.file && i.line === at.line && i.code === code && i.message === message)) {
      issues.push({ file: at.file, line: at.line, severity, code, message });
    }
  };

  let plan: ParsedDialplan | undefined;
  for (const f of files) plan = parseExtensionsConf(f.text, f.file, plan);
  plan ??= { contexts: new Map(), globals: new Map(), fileIncludes: [], issues: [] };
  for (const i of plan.issues) add(i, 'error', 'syntax', i.message);

  const all = positionsOf(plan);
  const isStasis = (p: DialplanPriority): boolean => p.app.toLowerCase() === 'stasis';
  const stasisApp = (p: DialplanPriority): string => p.appData.split(',')[0]!.trim();

  // Stasis application name.
  for (const pos of all) {
    const step = pos.steps[pos.index]!;
    if (!isStasis(step)) continue;
    const name = stasisApp(step);
    if (name !== options.app) {
      add(step, 'error', 'wrong_app', `Stasis(${name || ''}) in [${pos.context.name}] ${pos.extension.name}: the application is "${options.app}" (config asterisk.ari.app); calls here would never reach siaga112`);
    }
  }

  // Every way out of Stasis must reach a human through Queue() or Dial().
  for (const pos of all) {
    const step = pos.steps[pos.index]!;
    if (!isStasis(step)) continue;
    const where = `Stasis() in [${pos.context.name}] ${pos.extension.name}`;
    const ends = followPaths(plan, { ...pos, index: pos.index + 1 }, (p) => REACHES_HUMAN.has(p.app.toLowerCase()));
    if (ends.length === 0) add(step, 'error', 'no_failsafe', `no fail-safe after ${where}: when siaga112 is down the call goes nowhere (add a Goto to a context that runs Queue() or Dial())`);
    for (const end of ends) {
      const at = `${end.at.file}:${end.at.line}`;
      if (end.kind === 'hangup') add(step, 'error', 'no_failsafe', `no fail-safe after ${where}: a path leaving Stasis reaches ${end.at.app}() at ${at} before any Queue() or Dial()`);
      else if (end.kind === 'end') add(step, 'error', 'no_failsafe', `no fail-safe after ${where}: a path leaving Stasis runs out of priorities after ${at} without Queue() or Dial() (Asterisk hangs up)`);
      else if (end.kind === 'loop') add(step, 'warning', 'loop', `after ${where} a path loops back at ${at} without reaching Queue() or Dial()`);
      else if (end.kind === 'dynamic') add(step, 'warning', 'dynamic_goto', `after ${where} the path through ${at} jumps to "${end.text}", which the check cannot follow`);
    }
  }

  // Goto targets that do not exist.
  for (const pos of all) {
    const step = pos.steps[pos.index]!;
    for (const t of jumpOf(step.app, step.appData)?.targets ?? []) {
      if (!resolve(plan, pos, t)) add(step, 'error', 'bad_goto', `${step.app}(${step.appData}) jumps to ${describeTarget(t)}, which is not defined in the checked files`);
    }
  }

  // Unreachable priorities: after an unconditional jump or hang-up, with no label or numbered Goto pointing at them.
  const targeted = new Set<string>();
  for (const pos of all) {
    const step = pos.steps[pos.index]!;
    for (const t of jumpOf(step.app, step.appData)?.targets ?? []) {
      const r = resolve(plan, pos, t);
      if (r) targeted.add(key(r));
    }
  }
  for (const pos of all) {
    if (pos.index === 0) continue;
    const prev = pos.steps[pos.index - 1]!;
    const step = pos.steps[pos.index]!;
    const stops = ENDS_CALL.has(prev.app.toLowerCase()) || jumpOf(prev.app, prev.appData)?.unconditional === true;
    if (!stops || step.label || targeted.has(key(pos))) continue;
    add(step, 'error', 'unreachable', `priority ${step.priority} (${step.app}) of ${pos.extension.name} in [${pos.context.name}] is never reached: ${prev.app}() on line ${prev.line} comes before it and no label or Goto points at it`);
  }

  // The emergency number must reach Stasis(app) from some context.
  const routes: CheckResult['routes'] = [];
  for (const context of plan.contexts.values()) {
    const found = findExtension(plan, context.name, number);
    if (!found || found.context !== context) continue;
    const steps = runOrder(found.extension);
    if (steps.length === 0) continue;
    const ends = followPaths(plan, { context, extension: found.extension, steps, index: 0 }, isStasis);
    if (ends.some((e) => e.kind === 'goal' && stasisApp(e.at) === options.app)) {
      routes.push({ context: context.name, extension: found.extension.name, file: steps[0]!.file, line: steps[0]!.line });
    }
  }
  if (routes.length === 0) {
    const ctx = plan.contexts.get(inbound);
    const at = ctx ? { file: ctx.file, line: ctx.line } : { file: files[0]?.file ?? '(no files)', line: 1 };
    add(at, 'error', 'no_112_route', `no ${number} route: no context has an extension for ${number} that reaches Stasis(${options.app})${ctx ? ` (looked in [${inbound}] and every other context)` : ` ([${inbound}] is not defined)`}`);
  }

  issues.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.code.localeCompare(b.code));
  const errors = issues.filter((i) => i.severity === 'error').length;
  return { ok: errors === 0, errors, warnings: issues.length - errors, issues, files: files.map((f) => f.file), routes };
}
