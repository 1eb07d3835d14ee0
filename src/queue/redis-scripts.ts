import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { ConflictError, IllegalTransitionError, NotFoundError, Siaga112Error } from '../core/errors';

/** Every dispatch Lua script: name → number of KEYS. Each runs with lua/lib.lua prepended. */
const SCRIPTS = {
  'op-define': 2,
  'op-change': 6,
  'op-reserve': 2,
  'op-release': 3,
  'op-renew': 2,
  'call-create': 1,
  'call-uncreate': 1,
  'call-bind': 3,
  'call-settle': 4,
  'call-leave': 1,
  'call-ended': 4,
  'wrap-end': 3,
} as const;

export type ScriptName = keyof typeof SCRIPTS;
type Arg = string | number;

export interface DispatchScripts {
  run(name: ScriptName, keys: string[], args: Arg[]): Promise<unknown>;
}

let sources: Map<ScriptName, string> | undefined;
function loadSources(): Map<ScriptName, string> {
  if (sources) return sources;
  const dir = path.join(__dirname, 'lua');
  const lib = readFileSync(path.join(dir, 'lib.lua'), 'utf8');
  sources = new Map();
  for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
    sources.set(name, `${lib}\n${readFileSync(path.join(dir, `${name}.lua`), 'utf8')}`);
  }
  return sources;
}

type ScriptFn = (...args: Arg[]) => Promise<unknown>;

/**
 * Registers the scripts on a client (EVALSHA, falling back to EVAL after a
 * Redis restart) and turns their error replies into the error family:
 * `NOTFOUND <what> <id>`, `ILLEGAL <entity> <id> <from> <to>`, `CONFLICT <message>`.
 */
export function defineScripts(redis: Redis): DispatchScripts {
  for (const [name, source] of loadSources()) {
    redis.defineCommand(commandName(name), { numberOfKeys: SCRIPTS[name], lua: source });
  }
  const table = redis as unknown as Record<string, ScriptFn>;
  return {
    async run(name, keys, args) {
      try {
        return await table[commandName(name)](...keys, ...args);
      } catch (err) {
        throw translate(err);
      }
    },
  };
}

function commandName(name: ScriptName): string {
  return `siaga112_${name.replace(/-/g, '_')}`;
}

function translate(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof Siaga112Error) return err;
  const m = /^(NOTFOUND|ILLEGAL|CONFLICT) (.*)$/.exec(err.message);
  if (!m) return err;
  const rest = m[2];
  if (m[1] === 'NOTFOUND') {
    const [what, id] = rest.split(' ');
    return new NotFoundError(what, id ?? '');
  }
  if (m[1] === 'ILLEGAL') {
    const [entity, id, from, to] = rest.split(' ');
    return new IllegalTransitionError(entity, id, from, to);
  }
  return new ConflictError(rest);
}
