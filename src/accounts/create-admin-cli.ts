import { parseArgs } from 'node:util';
import { systemClock, type Clock } from '../core/clock';
import { errorMessage, isSiaga112Error } from '../core/errors';
import { loadConfig } from '../config/load';
import type { AccountStore } from '../ports/account-store';
import { AccountService } from './account-service';
import { usernameSchema } from './account-schemas';
import { createAccountStore } from './create-account-store';
import { Argon2Hasher, passwordProblem } from './password';

const USAGE = `Create an admin account for the siaga112 console.

  npm run admin:create -- --username NAME --password-env VAR [--display-name "Full Name"]
  npm run admin:create                      (asks for username and password)

The password is read from the environment variable VAR (never from the
command line, where other users and the shell history would see it), or
typed at the prompt. At least 10 characters. The account is written to the
configured store (DATABASE_URL, else the SQLite file).`;

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadStream;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Tests pass a store; by default the configured one. */
  openStore?: () => Promise<AccountStore>;
  clock?: Clock;
}

/** Read a line from a terminal without echoing it. */
function askHidden(stdin: NodeJS.ReadStream, prompt: string, out: (s: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    process.stdout.write(prompt);
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          stdin.off('data', onData);
          stdin.setRawMode(false);
          stdin.pause();
          out('');
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          stdin.setRawMode(false);
          reject(new Error('cancelled'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function askLine(stdin: NodeJS.ReadStream, prompt: string): Promise<string> {
  const readline = await import('node:readline/promises');
  const rl = readline.createInterface({ input: stdin, output: process.stdout });
  try {
    return (await rl.question(prompt)).trim();
  } finally {
    rl.close();
  }
}

/** The command; returns the exit code. */
export async function runCreateAdmin(argv: string[], io: CliIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: { username: { type: 'string' }, 'password-env': { type: 'string' }, 'display-name': { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    }).values;
  } catch (err) {
    io.err(`${errorMessage(err)}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.out(USAGE);
    return 0;
  }
  const interactive = io.stdin.isTTY === true;

  let username = args.username;
  if (username === undefined) {
    if (!interactive) {
      io.err(`Give --username NAME.\n\n${USAGE}`);
      return 2;
    }
    username = await askLine(io.stdin, 'Username: ');
  }
  const parsedName = usernameSchema.safeParse(username);
  if (!parsedName.success) {
    io.err(`Refused: username "${username}": ${parsedName.error.issues[0]?.message ?? 'invalid'}`);
    return 1;
  }

  let password: string;
  if (args['password-env'] !== undefined) {
    const value = io.env[args['password-env']];
    if (value === undefined || value === '') {
      io.err(`Refused: the environment variable ${args['password-env']} is not set (export it first, e.g. read -s ${args['password-env']}; export ${args['password-env']})`);
      return 1;
    }
    password = value;
  } else {
    if (!interactive) {
      io.err(`Give --password-env VAR, or run in a terminal to type the password.\n\n${USAGE}`);
      return 2;
    }
    password = await askHidden(io.stdin, 'Password (at least 10 characters): ', io.out);
    const again = await askHidden(io.stdin, 'Password again: ', io.out);
    if (again !== password) {
      io.err('Refused: the two passwords differ.');
      return 1;
    }
  }
  const problem = passwordProblem(password, parsedName.data);
  if (problem) {
    io.err(`Refused: the password ${problem}. Nothing was created.`);
    return 1;
  }

  const store = await (io.openStore ?? (() => createAccountStore(loadConfig({ env: io.env }).store)))();
  try {
    if (await store.findByUsername(parsedName.data)) {
      io.err(`Refused: an account named "${parsedName.data}" already exists. Choose another username, or have an admin reset its password in the console.`);
      return 1;
    }
    const service = new AccountService(store, new Argon2Hasher(), io.clock ?? systemClock);
    const account = await service.create({ username: parsedName.data, displayName: args['display-name'] ?? parsedName.data, role: 'admin', password });
    io.out(`Created admin account "${account.username}". Log in to the console with it.`);
    return 0;
  } catch (err) {
    io.err(`Failed: ${isSiaga112Error(err) ? err.message : errorMessage(err)}`);
    return 1;
  } finally {
    await store.close();
  }
}

if (require.main === module) {
  runCreateAdmin(process.argv.slice(2), {
    env: process.env,
    stdin: process.stdin,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  }).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`Failed: ${errorMessage(err)}`);
      process.exit(1);
    },
  );
}
