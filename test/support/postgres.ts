import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Server used for PostgreSQL tests: TEST_DATABASE_URL, else the local server. */
export function adminDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl(), connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Create a database of the test's own; returns its URL and a function that drops it. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `siaga112_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminDatabaseUrl() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminDatabaseUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminDatabaseUrl() });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/**
 * Mocha helper: run `body` only when PostgreSQL answers. In CI
 * (SIAGA112_REQUIRE_POSTGRES=1) an unreachable server fails instead of skipping.
 */
export function describeWithPostgres(title: string, body: (this: Mocha.Suite) => void): void {
  describe(title, function () {
    before(async function () {
      if (await postgresReachable()) return;
      if (process.env.SIAGA112_REQUIRE_POSTGRES === '1') throw new Error(`PostgreSQL at ${adminDatabaseUrl()} is required (SIAGA112_REQUIRE_POSTGRES=1) but does not answer`);
      console.log(`      (skipped: no PostgreSQL at ${adminDatabaseUrl()}; set TEST_DATABASE_URL)`);
      this.skip();
    });
    body.call(this);
  });
}
