import { expect } from 'chai';
import pg from 'pg';
import { ManualClock } from '../../src/core/clock';
import { ConflictError, UnavailableError } from '../../src/core/errors';
import { MIGRATIONS, MigrationError, PostgresCallStore, SchemaTooNewError, createCallStore, type Migration } from '../../src/store';
import { createTestDatabase, describeWithPostgres } from '../support/postgres';
import { callStoreContract } from './call-store.contract';

async function rawSql(url: string, statement: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(statement)).rows;
  } finally {
    await client.end();
  }
}

const at = 1_700_000_000_000;
const newCall = (id: string) => ({
  id,
  backend: 'twilio' as const,
  callerNumber: '+6281234567890',
  dialedNumber: '112',
  state: 'new' as const,
  language: 'id',
  createdAt: at,
  updatedAt: at,
});
const createdEvent = { at, type: 'call.created', actor: { kind: 'system' as const } };

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describeWithPostgres('PostgresCallStore', () => {
  describe('contract', () => {
    callStoreContract(async () => {
      const db = await createTestDatabase();
      return {
        open: (clock) => PostgresCallStore.open({ databaseUrl: db.url, clock }),
        sql: (statement) => rawSql(db.url, statement),
        destroy: db.drop,
      };
    });
  });

  describe('several instances on one database', () => {
    let db: { url: string; drop: () => Promise<void> };
    beforeEach(async () => {
      db = await createTestDatabase();
    });
    afterEach(async () => db.drop());

    it('migrates once when instances start at the same moment', async () => {
      const stores = await Promise.all([1, 2, 3].map(() => PostgresCallStore.open({ databaseUrl: db.url, clock: new ManualClock() })));
      try {
        expect(stores.flatMap((s) => s.appliedMigrations)).to.deep.equal(MIGRATIONS.map((m) => m.version));
        expect(await rawSql(db.url, 'SELECT version FROM schema_migrations')).to.deep.equal([{ version: 1 }]);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it('keeps seqs unique and gives a callback to one operator across instances', async () => {
      const a = await PostgresCallStore.open({ databaseUrl: db.url, poolSize: 5 });
      const b = await PostgresCallStore.open({ databaseUrl: db.url, poolSize: 5 });
      try {
        await a.createCall(newCall('c1'), createdEvent);
        const appends = Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).appendEvent('c1', { at: at + i, type: 'tick', actor: { kind: 'system' } }));
        const seqs = (await Promise.all(appends)).map((e) => e.seq).sort((x, y) => x - y);
        expect(seqs).to.deep.equal(Array.from({ length: 60 }, (_, i) => i + 2));

        await a.createCallback({ id: 'cb1', callId: 'c1', callerNumber: '+6281234567890', createdAt: at, status: 'open' });
        const takes = await Promise.allSettled([a.takeCallback('cb1', 'op1', at), b.takeCallback('cb1', 'op2', at)]);
        expect(takes.filter((t) => t.status === 'fulfilled')).to.have.length(1);
        const lost = takes.find((t): t is PromiseRejectedResult => t.status === 'rejected');
        expect(lost?.reason).to.be.instanceOf(ConflictError);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('commits with synchronous_commit on, whatever the server default', async () => {
      await rawSql(db.url, `ALTER DATABASE ${new URL(db.url).pathname.slice(1)} SET synchronous_commit = off`);
      const store = await PostgresCallStore.open({ databaseUrl: db.url, poolSize: 1 });
      try {
        await store.ping();
        const pool = (store as unknown as { pool: pg.Pool }).pool;
        expect((await pool.query('SHOW synchronous_commit')).rows).to.deep.equal([{ synchronous_commit: 'on' }]);
      } finally {
        await store.close();
      }
    });

    it('stores epoch milliseconds as BIGINT and JSON as JSONB', async () => {
      const store = await PostgresCallStore.open({ databaseUrl: db.url });
      try {
        await store.createCall({ ...newCall('c1'), location: { text: 'x', latitude: -6.2 } }, createdEvent);
        const types = await rawSql(
          db.url,
          "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'calls' AND column_name IN ('created_at', 'location') ORDER BY column_name",
        );
        expect(types).to.deep.equal([
          { column_name: 'created_at', data_type: 'bigint' },
          { column_name: 'location', data_type: 'jsonb' },
        ]);
        expect(await rawSql(db.url, "SELECT location->>'latitude' AS lat FROM calls")).to.deep.equal([{ lat: '-6.2' }]);
      } finally {
        await store.close();
      }
    });
  });

  describe('migrations', () => {
    let db: { url: string; drop: () => Promise<void> };
    beforeEach(async () => {
      db = await createTestDatabase();
    });
    afterEach(async () => db.drop());

    const m2: Migration = { version: 2, name: 'add-notes', sqlite: '', postgres: 'CREATE TABLE extra_notes (id TEXT PRIMARY KEY);' };
    const broken: Migration = { version: 3, name: 'broken', sqlite: '', postgres: 'CREATE TABLE half_done (id TEXT PRIMARY KEY); CREATE TABLE oops (;' };

    it('applies pending migrations only, rolls a failing one back, and refuses a newer schema', async () => {
      const first = await PostgresCallStore.open({ databaseUrl: db.url, migrations: MIGRATIONS });
      await first.createCall(newCall('c1'), createdEvent);
      await first.close();
      const second = await PostgresCallStore.open({ databaseUrl: db.url, migrations: [...MIGRATIONS, m2] });
      expect(second.appliedMigrations).to.deep.equal([2]);
      await second.close();

      const err = await rejection(PostgresCallStore.open({ databaseUrl: db.url, migrations: [...MIGRATIONS, m2, broken] }));
      expect(err).to.be.instanceOf(MigrationError);
      expect(await rawSql(db.url, 'SELECT version FROM schema_migrations ORDER BY version')).to.deep.equal([{ version: 1 }, { version: 2 }]);
      expect(await rawSql(db.url, "SELECT to_regclass('half_done') AS t")).to.deep.equal([{ t: null }]);

      expect(await rejection(PostgresCallStore.open({ databaseUrl: db.url, migrations: MIGRATIONS }))).to.be.instanceOf(SchemaTooNewError);
      const third = await PostgresCallStore.open({ databaseUrl: db.url, migrations: [...MIGRATIONS, m2] });
      expect((await third.getCall('c1'))?.id).to.equal('c1');
      await third.close();
    });
  });

  describe('createCallStore', () => {
    it('opens PostgreSQL when store.databaseUrl is set', async () => {
      const db = await createTestDatabase();
      try {
        const store = await createCallStore({ databaseUrl: db.url, sqlitePath: 'unused.sqlite' }, new ManualClock());
        expect(store).to.be.instanceOf(PostgresCallStore);
        await store.ping();
        await store.close();
      } finally {
        await db.drop();
      }
    });

    it('reports an unreachable server as UnavailableError', async () => {
      const err = await rejection(createCallStore({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none', sqlitePath: 'unused.sqlite' }));
      expect(err).to.be.instanceOf(UnavailableError);
    });
  });
});
