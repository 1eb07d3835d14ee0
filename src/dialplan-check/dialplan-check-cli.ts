/**
 * `npm run dialplan:check [--app NAME] [files…]`: check dialplan files
 * before they are loaded. Without files, every .conf in dialplans/. The
 * Stasis application name comes from --app, else the configuration
 * (asterisk.ari.app / ASTERISK_ARI_APP). Prints `file:line: message` per
 * problem; exit status 0 when clean, 1 on any error, 2 on bad usage.
 */
import path from 'node:path';
import { loadConfig } from '../config/load';
import { errorMessage } from '../core/errors';
import { checkDialplan, formatIssue } from './check-dialplan';
import { readDialplanDir, readDialplanFiles } from './dialplan-files';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

const USAGE = 'usage: npm run dialplan:check -- [--app NAME] [--number 112] [file.conf …]';

export function runDialplanCheck(argv: ReadonlyArray<string>, io: CliIo): number {
  const files: string[] = [];
  let app: string | undefined;
  let number: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      io.out(USAGE);
      return 0;
    }
    if (arg === '--app' || arg === '--number') {
      const value = argv[++i];
      if (!value) {
        io.err(`${arg} needs a value\n${USAGE}`);
        return 2;
      }
      if (arg === '--app') app = value;
      else number = value;
      continue;
    }
    if (arg.startsWith('-')) {
      io.err(`unknown option ${arg}\n${USAGE}`);
      return 2;
    }
    files.push(arg);
  }
  try {
    app ??= loadConfig({ env: io.env, baseDir: io.cwd }).asterisk.ari.app;
    const sources = files.length ? readDialplanFiles(files, io.cwd) : readDialplanDir(path.join(io.cwd, 'dialplans'), io.cwd);
    if (sources.length === 0) {
      io.err('no dialplan files to check');
      return 2;
    }
    const result = checkDialplan(sources, { app, ...(number ? { emergencyNumber: number } : {}) });
    for (const issue of result.issues) (issue.severity === 'error' ? io.err : io.out)(formatIssue(issue));
    const summary = `${result.files.join(', ')}: ${result.errors} error(s), ${result.warnings} warning(s); Stasis app "${app}"`;
    if (result.ok) io.out(`dialplan OK — ${summary}; ${result.routes.map((r) => `${r.extension}@${r.context}`).join(', ')} reach Stasis`);
    else io.err(`dialplan NOT OK — ${summary}`);
    return result.ok ? 0 : 1;
  } catch (err) {
    io.err(`dialplan:check: ${errorMessage(err)}`);
    return 2;
  }
}

if (require.main === module) {
  process.exitCode = runDialplanCheck(process.argv.slice(2), {
    out: (l) => console.log(l),
    err: (l) => console.error(l),
    cwd: process.cwd(),
    env: process.env,
  });
}
