import { expect } from 'chai';
import { AccountService } from '../../src/accounts/account-service';
import { DEMO_PASSWORD, describeDemoAccounts, ensureDemoAccounts } from '../../src/accounts/demo-accounts';
import { Argon2Hasher } from '../../src/accounts/password';
import { SqliteAccountStore } from '../../src/accounts/sqlite-account-store';
import { ManualClock } from '../../src/core/clock';
import { ConfigError } from '../../src/core/errors';

describe('demo accounts', () => {
  let store: SqliteAccountStore;
  let accounts: AccountService;
  beforeEach(() => {
    store = SqliteAccountStore.open(':memory:');
    accounts = new AccountService(store, new Argon2Hasher({ memoryCost: 1024, timeCost: 1 }), new ManualClock());
  });
  afterEach(() => store.close());

  it('creates op1..op3 on PJSIP/op1..3, a supervisor and an admin with the demo password', async () => {
    const list = await ensureDemoAccounts(accounts, { mode: 'demo' });
    expect(list.map((a) => [a.username, a.role, a.endpoint])).to.deep.equal([
      ['op1', 'operator', 'PJSIP/op1'],
      ['op2', 'operator', 'PJSIP/op2'],
      ['op3', 'operator', 'PJSIP/op3'],
      ['supervisor', 'supervisor', undefined],
      ['admin', 'admin', undefined],
    ]);
    expect(list.every((a) => a.created)).to.equal(true);
    for (const a of list) expect((await accounts.login(a.username, DEMO_PASSWORD)).ok, a.username).to.equal(true);
    expect(describeDemoAccounts(list, 'http://localhost:8080/')).to.contain(DEMO_PASSWORD).and.contain('op1').and.contain('PJSIP/op3');
  });

  it('is idempotent and keeps a changed password', async () => {
    await ensureDemoAccounts(accounts, { mode: 'demo' });
    await accounts.update('admin', { password: 'changed-by-user-1' });
    const again = await ensureDemoAccounts(accounts, { mode: 'demo' });
    expect(again.every((a) => !a.created)).to.equal(true);
    expect((await store.list()).length).to.equal(5);
    expect((await accounts.login('admin', DEMO_PASSWORD)).ok).to.equal(false);
  });

  it('refuses to create anything outside demo mode', async () => {
    for (const mode of ['asterisk', 'twilio'] as const) {
      const err = await ensureDemoAccounts(accounts, { mode }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ConfigError);
    }
    expect(await store.list()).to.deep.equal([]);
  });
});
