import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { ManualClock } from '../../src/core/clock';
import { ConflictError, NotFoundError, UnavailableError } from '../../src/core/errors';
import { MIGRATIONS, MigrationError, SchemaTooNewError, SqliteCallStore, createCallStore, type Migration } from '../../src/store';
import { callStoreContract } from './call-store.contract';

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'siaga112-store-'));
}

/** Raw SQL on the file through a connection of its own. */
function rawSql(file: string, statement: string): Record<string, unknown>[] {
  const db = new Database(file);
  try {
    const prepared = db.prepare(statement);
    if (prepared.reader) return prepared.all() as Record<string, unknown>[];
    prepared.run();
    return [];
  } finally {
    db.close();
  }
}

const newCall = (id: string, createdAt = 1_700_000_000_000) => ({
  id,
  backend: 'asterisk' as const,
  callerNumber: '081234567890',
  dialedNumber: '112',
  state: 'new' as const,
  language: 'id',
  createdAt,
  updatedAt: createdAt,
});
const createdEvent = { at: 1_700_000_000_000, type: 'call.created', actor: { kind: 'system' as const } };

describe('SqliteCallStore', () => {
  describe('contract', () => {
    callStoreContract(async () => {
      const dir = tempDir();
      // A directory that does not exist yet: opening must create it.
      const file = path.join(dir, 'data', 'records', 'siaga112.sqlite');
      return {
        open: async (clock) => SqliteCallStore.open({ path: file, clock }),
        sql: async (statement) => rawSql(file, statement),
        destroy: async () => rmSync(dir, { recursive: true, force: true }),
      };
    });
  });

  describe('contract, writes on the writer thread', () => {
    callStoreContract(async () => {
      const dir = tempDir();
      const file = path.join(dir, 'data', 'siaga112.sqlite');
      return {
        open: async (clock) => SqliteCallStore.open({ path: file, clock, writer: 'thread' }),
        sql: async (statement) => rawSql(file, statement),
        destroy: async () => rmSync(dir, { recursive: true, force: true }),
      };
    });
  });

  describe('file and durability', () => {
    let dir: string;
    beforeEach(() => {
      dir = tempDir();
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('creates the directory and runs in WAL mode with synchronous=FULL and foreign keys on', async () => {
      const file = path.join(dir, 'a', 'b', 'calls.sqlite');
      const store = SqliteCallStore.open({ path: file, clock: new ManualClock() });
      try {
        expect(existsSync(file)).to.equal(true);
        expect(store.durability()).to.deep.equal({ journalMode: 'wal', synchronous: 2, foreignKeys: true });
        expect(store.appliedMigrations).to.deep.equal(MIGRATIONS.map((m) => m.version));
      } finally {
        await store.close();
      }
      const again = SqliteCallStore.open({ path: file, clock: new ManualClock() });
      expect(again.appliedMigrations).to.deep.equal([]);
      await again.close();
    });

    it('keeps a write whose promise resolved even when the process is killed right after', function () {
      this.timeout(30_000);
      const file = path.join(dir, 'crash.sqlite');
      const child = spawnSync(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, 'crash-writer.ts'), file, 'c-crash'], {
        cwd: path.resolve(__dirname, '..', '..'),
        encoding: 'utf8',
      });
      expect(child.signal, child.stderr).to.equal('SIGKILL');
      expect(child.stdout).to.contain('written');
      const rows = rawSql(file, "SELECT c.id, c.state, t.seq FROM calls c JOIN call_timeline t ON t.call_id = c.id WHERE c.id = 'c-crash' ORDER BY t.seq");
      expect(rows).to.deep.equal([
        { id: 'c-crash', state: 'queued', seq: 1 },
        { id: 'c-crash', state: 'queued', seq: 2 },
      ]);
    });

    it('keeps seqs unique when two connections append to one file', async () => {
      const file = path.join(dir, 'shared.sqlite');
      const a = SqliteCallStore.open({ path: file });
      const b = SqliteCallStore.open({ path: file });
      try {
        await a.createCall(newCall('c1'), createdEvent);
        const writes = Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).appendEvent('c1', { at: i, type: 'tick', actor: { kind: 'system' } }));
        const seqs = (await Promise.all(writes)).map((e) => e.seq).sort((x, y) => x - y);
        expect(seqs).to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 2));
        expect(await b.getTimeline('c1')).to.have.length(41);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('group commit: writes of one turn commit together, a failing one fails alone, each is readable elsewhere when it resolves', async () => {
      const file = path.join(dir, 'group.sqlite');
      const store = SqliteCallStore.open({ path: file });
      const other = new Database(file, { readonly: true });
      try {
        await store.createCall(newCall('c1'), createdEvent);
        const count = other.prepare('SELECT count(*) AS n FROM call_timeline WHERE call_id = ?');
        const ok = Array.from({ length: 20 }, (_, i) => store.appendEvent('c1', { at: i, type: 'tick', actor: { kind: 'system' } }));
        const wrongState = store.updateCall('c1', { patch: { state: 'queued' }, event: { at: 99, type: 'call.queued', actor: { kind: 'system' } }, expectState: 'connected' });
        const unknown = store.appendEvent('nope', { at: 1, type: 'tick', actor: { kind: 'system' } });
        // Nothing committed yet in this turn: the batch commits once, after it.
        expect(count.get('c1')).to.deep.equal({ n: 1 });
        const settled = await Promise.allSettled([...ok, wrongState, unknown]);
        expect(settled.slice(0, 20).every((r) => r.status === 'fulfilled')).to.equal(true);
        expect(settled[20]).to.have.property('status', 'rejected');
        expect((settled[20] as PromiseRejectedResult).reason).to.be.instanceOf(ConflictError);
        expect((settled[21] as PromiseRejectedResult).reason).to.be.instanceOf(NotFoundError);
        // On disk for another connection once resolved: the 20 events, not the refused change.
        const rows = other.prepare('SELECT seq, type FROM call_timeline WHERE call_id = ? ORDER BY seq').all('c1') as Array<{ seq: number; type: string }>;
        expect(rows.map((r) => r.seq)).to.deep.equal(Array.from({ length: 21 }, (_, i) => i + 1));
        expect(rows.slice(1).every((r) => r.type === 'tick')).to.equal(true);
        expect((other.prepare('SELECT state FROM calls WHERE id = ?').get('c1') as { state: string }).state).to.equal('new');
      } finally {
        other.close();
        await store.close();
      }
    });

    it('close commits the writes already asked for', async () => {
      const file = path.join(dir, 'close.sqlite');
      const store = SqliteCallStore.open({ path: file });
      const write = store.createCall(newCall('c1'), createdEvent);
      await store.close();
      await write;
      const again = SqliteCallStore.open({ path: file });
      try {
        expect(await again.getCall('c1')).to.have.property('id', 'c1');
      } finally {
        await again.close();
      }
    });

    it('reports an unusable path as UnavailableError', async () => {
      const blocker = path.join(dir, 'file');
      // A regular file where a directory should be.
      writeFileSync(blocker, 'not a directory');
      expect(() => SqliteCallStore.open({ path: path.join(blocker, 'calls.sqlite') })).to.throw(UnavailableError);
    });
  });

  describe('migrations', () => {
    let dir: string;
    let file: string;
    const m2: Migration = { version: 2, name: 'add-notes', sqlite: 'CREATE TABLE extra_notes (id TEXT PRIMARY KEY) STRICT;', postgres: '' };
    const broken: Migration = {
      version: 3,
      name: 'broken',
      sqlite: 'CREATE TABLE half_done (id TEXT PRIMARY KEY) STRICT; CREATE TABLE oops (;',
      postgres: '',
    };

    beforeEach(() => {
      dir = tempDir();
      file = path.join(dir, 'm.sqlite');
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('applies only the pending migrations, in order, each once', async () => {
      const clock = new ManualClock(1000);
      const first = SqliteCallStore.open({ path: file, clock, migrations: MIGRATIONS });
      expect(first.appliedMigrations).to.deep.equal([1]);
      await first.close();
      clock.advance(5000);
      const second = SqliteCallStore.open({ path: file, clock, migrations: [...MIGRATIONS, m2] });
      expect(second.appliedMigrations).to.deep.equal([2]);
      await second.close();
      expect(rawSql(file, 'SELECT version, name, applied_at FROM schema_migrations ORDER BY version')).to.deep.equal([
        { version: 1, name: 'initial-schema', applied_at: 1000 },
        { version: 2, name: 'add-notes', applied_at: 6000 },
      ]);
    });

    it('rolls a failing migration back completely and keeps the data', async () => {
      const store = SqliteCallStore.open({ path: file, migrations: [...MIGRATIONS, m2] });
      await store.createCall(newCall('c1'), createdEvent);
      await store.close();
      expect(() => SqliteCallStore.open({ path: file, migrations: [...MIGRATIONS, m2, broken] })).to.throw(MigrationError, /migration 3 \(broken\)/);
      expect(rawSql(file, 'SELECT max(version) AS v FROM schema_migrations')).to.deep.equal([{ v: 2 }]);
      expect(rawSql(file, "SELECT name FROM sqlite_master WHERE name = 'half_done'")).to.deep.equal([]);
      const reopened = SqliteCallStore.open({ path: file, migrations: [...MIGRATIONS, m2] });
      expect((await reopened.getCall('c1'))?.id).to.equal('c1');
      await reopened.close();
    });

    it('refuses a database written by a newer version', async () => {
      await SqliteCallStore.open({ path: file, migrations: [...MIGRATIONS, m2] }).close();
      expect(() => SqliteCallStore.open({ path: file, migrations: MIGRATIONS })).to.throw(SchemaTooNewError);
    });

    it('refuses a migration list with gaps', () => {
      expect(() => SqliteCallStore.open({ path: file, migrations: [...MIGRATIONS, { ...m2, version: 3 }] })).to.throw(/without gaps/);
      expect(existsSync(file) ? rawSql(file, "SELECT name FROM sqlite_master WHERE name = 'calls'") : []).to.deep.equal([]);
    });
  });

  describe('createCallStore', () => {
    it('opens the SQLite file from store.sqlitePath when no databaseUrl is set', async () => {
      const dir = tempDir();
      try {
        const store = await createCallStore({ sqlitePath: path.join(dir, 'new-dir', 'siaga112.sqlite') }, new ManualClock());
        expect(store).to.be.instanceOf(SqliteCallStore);
        await store.createCall(newCall('c1'), createdEvent);
        expect(await rejection(store.createCall(newCall('c1'), createdEvent))).to.be.instanceOf(ConflictError);
        expect(await rejection(store.appendEvent('c2', createdEvent))).to.be.instanceOf(NotFoundError);
        await store.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}
