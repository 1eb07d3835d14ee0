import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { NotFoundError } from '../core/errors';
import type { DialplanSourceFile } from './check-dialplan';

/** The `.conf` files of a dialplan folder, in name order, named relative to `displayBase`. */
export function readDialplanDir(dir: string, displayBase = process.cwd()): DialplanSourceFile[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.conf') && statSync(path.join(dir, n)).isFile());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('dialplan folder', dir);
    throw err;
  }
  return readDialplanFiles(names.sort().map((n) => path.join(dir, n)), displayBase);
}

/** Read the named files; a missing file is a NotFoundError naming it. */
export function readDialplanFiles(files: ReadonlyArray<string>, displayBase = process.cwd()): DialplanSourceFile[] {
  return files.map((f) => {
    const full = path.resolve(displayBase, f);
    let text: string;
    try {
      text = readFileSync(full, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('dialplan file', f);
      throw err;
    }
    const rel = path.relative(displayBase, full);
    return { file: rel && !rel.startsWith('..') ? rel.split(path.sep).join('/') : full, text };
  });
}
