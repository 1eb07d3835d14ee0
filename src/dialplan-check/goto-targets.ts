/**
 * Where Goto() and GotoIf() send a call, read from their arguments as
 * Asterisk does: `priority`, `exten,priority` or `context,exten,priority`,
 * where priority is a number or a label.
 */

export interface JumpTarget {
  /** Undefined: the same context. */
  context?: string;
  /** Undefined: the same extension. */
  exten?: string;
  /** A number or a label. */
  priority: string;
}

export interface Jump {
  /** Targets the call may jump to. */
  targets: JumpTarget[];
  /** False when the call may also go on to the next priority (GotoIf with an empty branch). */
  unconditional: boolean;
  /** Targets whose text uses variables (`${...}`): cannot be followed statically. */
  dynamic: string[];
}

export function parseTarget(text: string): JumpTarget | undefined {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.length > 3 || parts.some((p) => p === '')) return undefined;
  if (parts.length === 1) return { priority: parts[0]! };
  if (parts.length === 2) return { exten: parts[0]!, priority: parts[1]! };
  return { context: parts[0]!, exten: parts[1]!, priority: parts[2]! };
}

/** The `?` that separates a GotoIf condition from its labels, outside `$[...]` and `${...}`. */
function conditionSplit(data: string): number {
  let depth = 0;
  for (let i = 0; i < data.length; i++) {
    const ch = data[i]!;
    if (ch === '[' || ch === '{' || ch === '(') depth++;
    else if (ch === ']' || ch === '}' || ch === ')') depth--;
    else if (ch === '?' && depth === 0) return i;
  }
  return -1;
}

/** The jump an application makes, or undefined when it is not Goto/GotoIf. */
export function jumpOf(app: string, appData: string): Jump | undefined {
  const name = app.toLowerCase();
  if (name === 'goto') {
    return build([appData], true);
  }
  if (name === 'gotoif') {
    const q = conditionSplit(appData);
    if (q < 0) return { targets: [], unconditional: false, dynamic: [] };
    const branches = appData.slice(q + 1);
    const colon = branches.indexOf(':');
    const onTrue = colon < 0 ? branches : branches.slice(0, colon);
    const onFalse = colon < 0 ? '' : branches.slice(colon + 1);
    const given = [onTrue, onFalse].map((b) => b.trim()).filter((b) => b !== '');
    return build(given, onTrue.trim() !== '' && onFalse.trim() !== '');
  }
  return undefined;
}

function build(texts: string[], unconditional: boolean): Jump {
  const jump: Jump = { targets: [], unconditional, dynamic: [] };
  for (const t of texts) {
    if (t.includes('$')) {
      jump.dynamic.push(t);
      continue;
    }
    const target = parseTarget(t);
    if (target) jump.targets.push(target);
    else jump.dynamic.push(t);
  }
  return jump;
}
