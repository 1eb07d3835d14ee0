import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../src/core/clock';
import { ValidationError } from '../../src/core/errors';
import { createAuditLog, type AuditLog } from '../../src/audit';
import { SqliteCallStore } from '../../src/store';
import { createTestDatabase, describeWithPostgres } from '../support/postgres';

/** The same checks for both back ends. */
function auditContract(open: () => Promise<{ log: AuditLog; reopen: () => Promise<AuditLog>; done: () => Promise<void> }>): void {
  let ctx: Awaited<ReturnType<typeof open>>;
  beforeEach(async () => {
    ctx = await open();
  });
  afterEach(async () => {
    await ctx.log.close().catch(() => undefined);
    await ctx.done();
  });

  const at = Date.UTC(2026, 10, 28, 9, 0, 0);

  it('records entries in order, lists them newest first, filters by action and pages', async () => {
    const a = await ctx.log.record({ at, actor: 'admin', actorRole: 'admin', action: 'dialplan.check', result: 'refused', details: { issues: 2 } });
    const b = await ctx.log.record({ at: at + 1, actor: 'admin', actorRole: 'admin', action: 'dialplan.apply', result: 'ok', details: {} });
    const c = await ctx.log.record({ at: at + 2, actor: 'root', actorRole: 'admin', action: 'account.create', result: 'ok', details: { username: 'op9' } });
    expect([a.id, b.id, c.id]).to.deep.equal([a.id, a.id + 1, a.id + 2]);
    expect((await ctx.log.list()).map((e) => e.action)).to.deep.equal(['account.create', 'dialplan.apply', 'dialplan.check']);
    expect((await ctx.log.list({ action: 'dialplan.check' }))[0]).to.deep.include({ actor: 'admin', result: 'refused', details: { issues: 2 }, at });
    expect((await ctx.log.list({ limit: 1, offset: 1 })).map((e) => e.id)).to.deep.equal([b.id]);
  });

  it('keeps entries across a reopen (durable) and refuses a malformed entry without writing', async () => {
    await ctx.log.record({ at, actor: 'admin', actorRole: 'admin', action: 'dialplan.apply', result: 'failed', details: { error: 'AMI down' } });
    let bad: unknown;
    try {
      await ctx.log.record({ at, actor: '', actorRole: 'admin', action: 'x', result: 'maybe' as 'ok', details: {} });
    } catch (err) {
      bad = err;
    }
    expect(bad).to.be.instanceOf(ValidationError);
    await ctx.log.close();
    ctx.log = await ctx.reopen();
    const entries = await ctx.log.list();
    expect(entries).to.have.length(1);
    expect(entries[0]).to.deep.include({ result: 'failed', details: { error: 'AMI down' } });
  });
}

describe('audit log (SQLite, sharing the call store file)', () => {
  auditContract(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'siaga112-audit-'));
    const file = path.join(dir, 'siaga112.sqlite');
    const clock = new ManualClock();
    const calls = SqliteCallStore.open({ path: file, clock });
    const config = { sqlitePath: file };
    return {
      log: await createAuditLog(config, clock),
      reopen: () => createAuditLog(config, clock),
      done: async () => {
        await calls.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});

describeWithPostgres('audit log (PostgreSQL)', () => {
  auditContract(async () => {
    const db = await createTestDatabase();
    const config = { sqlitePath: 'unused', databaseUrl: db.url };
    return { log: await createAuditLog(config), reopen: () => createAuditLog(config), done: db.drop };
  });
});
