import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { PostgresAccountStore } from '../../src/accounts/postgres-account-store';
import { SqliteAccountStore } from '../../src/accounts/sqlite-account-store';
import { ConflictError, NotFoundError } from '../../src/core/errors';
import type { AccountStore, NewAccount } from '../../src/ports/account-store';
import { createTestDatabase, describeWithPostgres } from '../support/postgres';

const op1: NewAccount = {
  username: 'Op1',
  displayName: 'Operator One',
  role: 'operator',
  endpoint: 'PJSIP/op1',
  disabled: false,
  passwordHash: '$argon2id$fake',
  createdAt: 1_000,
};

/** The behaviour every AccountStore must have. */
function contract(open: () => Promise<{ store: AccountStore; reopen: () => Promise<AccountStore> }>): void {
  let store: AccountStore;
  let reopen: () => Promise<AccountStore>;
  beforeEach(async () => ({ store, reopen } = await open()));
  afterEach(async () => store.close());

  it('creates an account with a lowercase username that is also its id', async () => {
    const created = await store.create(op1);
    expect(created).to.include({ id: 'op1', username: 'op1', role: 'operator', endpoint: 'PJSIP/op1', disabled: false, createdAt: 1_000, updatedAt: 1_000, passwordChangedAt: 1_000 });
    expect(await store.findByUsername('OP1')).to.deep.equal(created);
    expect(await store.get('op1')).to.deep.equal(created);
  });

  it('refuses a taken username with ConflictError account_exists', async () => {
    await store.create(op1);
    const err = await store.create({ ...op1, username: 'op1', displayName: 'Other' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ConflictError).with.property('code', 'account_exists');
    expect((await store.get('op1'))?.displayName).to.equal('Operator One');
  });

  it('lists without password hashes, ordered by username', async () => {
    await store.create({ ...op1, username: 'zed', role: 'admin', endpoint: undefined });
    await store.create(op1);
    const list = await store.list();
    expect(list.map((a) => a.username)).to.deep.equal(['op1', 'zed']);
    expect(list[0]).to.not.have.property('passwordHash');
    expect(list[1]).to.not.have.property('endpoint');
  });

  it('updates only the given fields, and password_changed_at only with a new hash', async () => {
    await store.create(op1);
    const a = await store.update('op1', { displayName: 'Budi', disabled: true, at: 2_000 });
    expect(a).to.include({ displayName: 'Budi', disabled: true, endpoint: 'PJSIP/op1', updatedAt: 2_000, passwordChangedAt: 1_000, passwordHash: '$argon2id$fake' });
    const b = await store.update('op1', { passwordHash: '$argon2id$new', endpoint: null, role: 'supervisor', at: 3_000 });
    expect(b).to.include({ passwordHash: '$argon2id$new', passwordChangedAt: 3_000, role: 'supervisor', displayName: 'Budi' });
    expect(b).to.not.have.property('endpoint');
  });

  it('throws NotFoundError when updating an unknown account', async () => {
    const err = await store.update('ghost', { displayName: 'x', at: 1 }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(NotFoundError);
  });

  it('counts enabled accounts by role', async () => {
    await store.create({ ...op1, username: 'a1', role: 'admin' });
    await store.create({ ...op1, username: 'a2', role: 'admin', disabled: true });
    await store.create(op1);
    expect(await store.countEnabled('admin')).to.equal(1);
    expect(await store.countEnabled('operator')).to.equal(1);
    expect(await store.countEnabled('supervisor')).to.equal(0);
  });

  it('keeps accounts across a reopen and migrates only once', async () => {
    await store.create(op1);
    await store.close();
    store = await reopen();
    expect((await store.get('op1'))?.displayName).to.equal('Operator One');
    await store.ping();
  });
}

describe('AccountStore: SQLite', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'siaga112-accounts-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  contract(async () => {
    const file = path.join(dir, `db${n++}`, 'siaga112.sqlite');
    return { store: SqliteAccountStore.open(file), reopen: async () => SqliteAccountStore.open(file) };
  });

  it('shares a file with other tables and keeps its own migrations table', async () => {
    const file = path.join(dir, 'shared.sqlite');
    const other = new Database(file);
    other.exec('create table migrations (version integer primary key); insert into migrations values (1), (2), (3)');
    const store = SqliteAccountStore.open(file);
    await store.create(op1);
    await store.close();
    const versions = other.prepare('select version from accounts_migrations').all();
    expect(versions).to.deep.equal([{ version: 1 }]);
    expect(other.prepare('select count(*) as n from migrations').get()).to.deep.equal({ n: 3 });
    other.close();
  });
});

describeWithPostgres('AccountStore: PostgreSQL', () => {
  const drops: Array<() => Promise<void>> = [];
  after(async () => {
    for (const drop of drops) await drop();
  });
  contract(async () => {
    const db = await createTestDatabase();
    drops.push(db.drop);
    return { store: await PostgresAccountStore.open(db.url), reopen: () => PostgresAccountStore.open(db.url) };
  });

  it('two instances starting at once migrate once', async () => {
    const db = await createTestDatabase();
    drops.push(db.drop);
    const [a, b] = await Promise.all([PostgresAccountStore.open(db.url), PostgresAccountStore.open(db.url)]);
    await a.create(op1);
    expect((await b.get('op1'))?.username).to.equal('op1');
    await Promise.all([a.close(), b.close()]);
  });
});
