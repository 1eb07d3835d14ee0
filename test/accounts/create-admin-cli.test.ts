import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import argon2 from 'argon2';
import { runCreateAdmin, type CliIo } from '../../src/accounts/create-admin-cli';
import { SqliteAccountStore } from '../../src/accounts/sqlite-account-store';

describe('create-admin command', () => {
  let dir: string;
  let file: string;
  let out: string[];
  let err: string[];
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'siaga112-admin-'));
    file = path.join(dir, 'siaga112.sqlite');
    out = [];
    err = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const io = (env: NodeJS.ProcessEnv): CliIo => ({
    env,
    stdin: Object.assign(Readable.from([]), { isTTY: false }) as unknown as NodeJS.ReadStream,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    openStore: async () => SqliteAccountStore.open(file),
  });
  const accounts = async () => {
    const store = SqliteAccountStore.open(file);
    try {
      return await store.list();
    } finally {
      await store.close();
    }
  };

  it('creates an admin with an argon2id hash from the password in the environment', async () => {
    const code = await runCreateAdmin(['--username', 'Kepala', '--password-env', 'ADMIN_PW', '--display-name', 'Kepala Pusat'], io({ ADMIN_PW: 'rahasia-pusat-112' }));
    expect(code).to.equal(0);
    expect(out.join('\n')).to.match(/Created admin account "kepala"/);
    const store = SqliteAccountStore.open(file);
    const account = await store.findByUsername('kepala');
    await store.close();
    expect(account).to.include({ role: 'admin', displayName: 'Kepala Pusat', disabled: false });
    expect(account?.passwordHash).to.match(/^\$argon2id\$/);
    expect(await argon2.verify(account?.passwordHash as string, 'rahasia-pusat-112')).to.equal(true);
  });

  it('refuses a weak password with a clear message and creates nothing', async () => {
    const code = await runCreateAdmin(['--username', 'boss', '--password-env', 'ADMIN_PW'], io({ ADMIN_PW: 'short1' }));
    expect(code).to.equal(1);
    expect(err.join('\n')).to.match(/Refused: the password must be at least 10 characters/);
    expect(await accounts()).to.deep.equal([]);
  });

  it('refuses a password that contains the username', async () => {
    const code = await runCreateAdmin(['--username', 'boss', '--password-env', 'ADMIN_PW'], io({ ADMIN_PW: 'boss-boss-boss-1' }));
    expect(code).to.equal(1);
    expect(err.join('\n')).to.match(/must not contain the username/);
  });

  it('refuses an existing username and leaves that account alone', async () => {
    expect(await runCreateAdmin(['--username', 'boss', '--password-env', 'PW'], io({ PW: 'first-password-1' }))).to.equal(0);
    const before = await accounts();
    const code = await runCreateAdmin(['--username', 'BOSS', '--password-env', 'PW'], io({ PW: 'second-password-2' }));
    expect(code).to.equal(1);
    expect(err.join('\n')).to.match(/an account named "boss" already exists/);
    expect(await accounts()).to.deep.equal(before);
  });

  it('refuses a missing variable, a bad username, unknown options, and no password source without a terminal', async () => {
    expect(await runCreateAdmin(['--username', 'boss', '--password-env', 'NOPE'], io({}))).to.equal(1);
    expect(err.pop()).to.match(/NOPE is not set/);
    expect(await runCreateAdmin(['--username', '9 lives', '--password-env', 'PW'], io({ PW: 'good-password-1' }))).to.equal(1);
    expect(err.pop()).to.match(/Refused: username/);
    expect(await runCreateAdmin(['--password', 'on-the-command-line'], io({}))).to.equal(2);
    expect(await runCreateAdmin(['--username', 'boss'], io({}))).to.equal(2);
    expect(err.pop()).to.match(/--password-env/);
    expect(await accounts()).to.deep.equal([]);
  });

  it('runs as `npm run admin:create` against the configured SQLite file', function () {
    this.timeout(30_000);
    const { DATABASE_URL: _db, SIAGA112_CONFIG: _cfg, ...inherited } = process.env;
    const env = { ...inherited, SIAGA112_SQLITE_PATH: file, PW: 'x' };
    const weak = spawnSync('npm', ['run', '--silent', 'admin:create', '--', '--username', 'boss', '--password-env', 'PW'], { env, encoding: 'utf8', cwd: path.resolve(__dirname, '../..') });
    expect(weak.status).to.equal(1);
    expect(weak.stderr).to.match(/Refused: the password must be at least 10 characters/);
    const ok = spawnSync('npm', ['run', '--silent', 'admin:create', '--', '--username', 'boss', '--password-env', 'PW'], { env: { ...env, PW: 'a-good-password-9' }, encoding: 'utf8', cwd: path.resolve(__dirname, '../..') });
    expect(ok.status, ok.stderr).to.equal(0);
    expect(ok.stdout).to.match(/Created admin account "boss"/);
  });
});
