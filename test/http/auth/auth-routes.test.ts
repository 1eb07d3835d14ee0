import { expect } from 'chai';
import { AuthTestApp, issueFields, PASSWORDS, type Login } from './auth-test-app';

describe('HTTP auth: login, sessions, CSRF, roles', () => {
  let t: AuthTestApp;
  beforeEach(async () => (t = await AuthTestApp.start()));
  afterEach(async () => t.stop());

  describe('login', () => {
    it('sets an HttpOnly, SameSite=Strict session cookie and returns the user and a CSRF token', async () => {
      const reply = await t.request('POST', '/api/auth/login', { body: { username: 'OP1', password: PASSWORDS.op1 } });
      expect(reply.status).to.equal(200);
      expect(reply.body.user).to.include({ id: 'op1', role: 'operator', endpoint: 'PJSIP/op1' });
      expect(reply.body.user).to.not.have.property('passwordHash');
      expect(reply.body.csrfToken).to.be.a('string').with.length.greaterThan(30);
      expect(reply.setCookies).to.have.length(1);
      const cookie = reply.setCookies[0] as string;
      expect(cookie).to.match(/^siaga112_session=[A-Za-z0-9_-]{43};/);
      expect(cookie).to.match(/;\s*HttpOnly/i);
      expect(cookie).to.match(/;\s*SameSite=Strict/i);
      expect(cookie).to.match(/;\s*Path=\//i);
      expect(cookie).to.not.match(/Secure/i);
    });

    it('refuses a wrong password and an unknown user with the same 401', async () => {
      const wrong = await t.request('POST', '/api/auth/login', { body: { username: 'op1', password: 'not-the-password' } });
      const unknown = await t.request('POST', '/api/auth/login', { body: { username: 'nobody', password: 'whatever-123' } });
      expect(wrong.status).to.equal(401);
      expect(unknown.status).to.equal(401);
      expect(wrong.body.error?.message).to.equal(unknown.body.error?.message);
      expect(wrong.setCookies).to.deep.equal([]);
    });

    it('refuses a body that is not JSON, malformed JSON and missing fields with 400', async () => {
      const form = await t.request('POST', '/api/auth/login', { rawBody: `username=op1&password=${PASSWORDS.op1}`, contentType: 'application/x-www-form-urlencoded' });
      expect(form.status).to.equal(400);
      const broken = await t.request('POST', '/api/auth/login', { rawBody: '{"username": ' });
      expect(broken.status).to.equal(400);
      expect(broken.body.error?.code).to.equal('validation_failed');
      const missing = await t.request('POST', '/api/auth/login', { body: { username: 'op1', extra: 1 } });
      expect(missing.status).to.equal(400);
      expect(issueFields(missing)).to.include.members(['password', 'extra']);
    });

    it('refuses a disabled account, and ends its open sessions', async () => {
      const admin = await t.login('admin', PASSWORDS.admin);
      const op = await t.login('op1', PASSWORDS.op1);
      const patch = await t.request('PATCH', '/api/accounts/op1', { body: { disabled: true }, cookie: admin.cookie, csrf: admin.csrf });
      expect(patch.status).to.equal(200);
      expect((await t.request('GET', '/api/auth/me', { cookie: op.cookie })).status).to.equal(401);
      const again = await t.request('POST', '/api/auth/login', { body: { username: 'op1', password: PASSWORDS.op1 } });
      expect(again.status).to.equal(403);
      expect(again.body.error?.message).to.match(/disabled/);
      expect(again.setCookies).to.deep.equal([]);
    });

    it('gives a new session id at each login and ends the one the browser had', async () => {
      const first = await t.login('op1', PASSWORDS.op1);
      const reply = await t.request('POST', '/api/auth/login', { body: { username: 'op1', password: PASSWORDS.op1 }, cookie: first.cookie });
      expect(reply.status).to.equal(200);
      expect((reply.setCookies[0] as string).split(';')[0]).to.not.equal(first.cookie);
      expect((await t.request('GET', '/api/auth/me', { cookie: first.cookie })).status).to.equal(401);
    });

    it('marks the cookie Secure with the __Host- prefix when the public URL is https', async () => {
      const secure = await AuthTestApp.start({ publicUrl: 'https://112.example.go.id' });
      try {
        const reply = await secure.request('POST', '/api/auth/login', { body: { username: 'op1', password: PASSWORDS.op1 } });
        expect(reply.setCookies[0]).to.match(/^__Host-siaga112_session=/);
        expect(reply.setCookies[0]).to.match(/;\s*Secure/i);
      } finally {
        await secure.stop();
      }
    });
  });

  describe('sessions', () => {
    let op: Login;
    beforeEach(async () => (op = await t.login('op1', PASSWORDS.op1)));

    it('GET /api/auth/me returns the user and the same CSRF token', async () => {
      const me = await t.request('GET', '/api/auth/me', { cookie: op.cookie });
      expect(me.status).to.equal(200);
      expect(me.body).to.deep.include({ csrfToken: op.csrf });
      expect(me.body.user).to.include({ id: 'op1' });
    });

    it('logout ends the session: the old cookie no longer works', async () => {
      const out = await t.request('POST', '/api/auth/logout', { cookie: op.cookie, csrf: op.csrf });
      expect(out.status).to.equal(204);
      expect(out.setCookies[0]).to.match(/^siaga112_session=;/);
      expect((await t.request('GET', '/api/auth/me', { cookie: op.cookie })).status).to.equal(401);
      expect(await t.redis.keys('siaga112:session:*')).to.deep.equal([]);
    });

    it('expires after the idle time, measured with the clock, and slides with use', async () => {
      const idle = t.auth.sessions.idleMs;
      t.clock.advance(idle - 60_000);
      expect((await t.request('GET', '/api/auth/me', { cookie: op.cookie })).status).to.equal(200);
      t.clock.advance(idle - 60_000); // long past the first login's idle limit, but used meanwhile
      expect((await t.request('GET', '/api/auth/me', { cookie: op.cookie })).status).to.equal(200);
      t.clock.advance(idle);
      expect((await t.request('GET', '/api/auth/me', { cookie: op.cookie })).status).to.equal(401);
    });

    it('ends at the absolute lifetime however busy', async () => {
      const step = t.auth.sessions.idleMs / 2;
      let elapsed = 0;
      while (elapsed + step < t.auth.sessions.absoluteMs) {
        t.clock.advance(step);
        elapsed += step;
        expect((await t.request('GET', '/api/auth/me', { cookie: op.cookie })).status).to.equal(200);
      }
      t.clock.advance(step);
      expect((await t.request('GET', '/api/auth/me', { cookie: op.cookie })).status).to.equal(401);
    });

    it('authenticateCookieHeader resolves a session for WebSocket upgrades, and not after logout', async () => {
      const ctx = await t.auth.authenticateCookieHeader(`other=1; ${op.cookie}`);
      expect(ctx?.account.id).to.equal('op1');
      expect(await t.auth.authenticateCookieHeader(undefined)).to.equal(undefined);
      await t.request('POST', '/api/auth/logout', { cookie: op.cookie, csrf: op.csrf });
      expect(await t.auth.authenticateCookieHeader(op.cookie)).to.equal(undefined);
    });

    it('refuses a forged or tampered cookie', async () => {
      expect((await t.request('GET', '/api/auth/me', { cookie: 'siaga112_session=forged' })).status).to.equal(401);
      expect((await t.request('GET', '/api/auth/me', { cookie: `${op.cookie}x` })).status).to.equal(401);
    });

    it('a role change takes effect on the next request', async () => {
      const admin = await t.login('admin', PASSWORDS.admin);
      expect((await t.request('POST', '/api/probe/supervisor', { cookie: op.cookie, csrf: op.csrf })).status).to.equal(403);
      await t.request('PATCH', '/api/accounts/op1', { body: { role: 'supervisor' }, cookie: admin.cookie, csrf: admin.csrf });
      expect((await t.request('POST', '/api/probe/supervisor', { cookie: op.cookie, csrf: op.csrf })).status).to.equal(200);
    });

    it('changing one\'s own password needs the current one and ends the other sessions', async () => {
      const other = await t.login('op1', PASSWORDS.op1);
      const wrong = await t.request('POST', '/api/auth/password', { body: { currentPassword: 'nope-nope-nope', newPassword: 'brand-new-pass-1' }, cookie: op.cookie, csrf: op.csrf });
      expect(wrong.status).to.equal(400);
      expect(issueFields(wrong)).to.deep.equal(['currentPassword']);
      const weak = await t.request('POST', '/api/auth/password', { body: { currentPassword: PASSWORDS.op1, newPassword: 'short' }, cookie: op.cookie, csrf: op.csrf });
      expect(weak.status).to.equal(400);
      expect(issueFields(weak)).to.deep.equal(['password']);
      const ok = await t.request('POST', '/api/auth/password', { body: { currentPassword: PASSWORDS.op1, newPassword: 'brand-new-pass-1' }, cookie: op.cookie, csrf: op.csrf });
      expect(ok.status).to.equal(204);
      expect((await t.request('GET', '/api/auth/me', { cookie: op.cookie })).status).to.equal(200);
      expect((await t.request('GET', '/api/auth/me', { cookie: other.cookie })).status).to.equal(401);
      await t.login('op1', 'brand-new-pass-1');
    });
  });

  describe('CSRF', () => {
    it('refuses a state change without the X-CSRF-Token header, or with a wrong one (403), and changes nothing', async () => {
      const admin = await t.login('admin', PASSWORDS.admin);
      const body = { username: 'op9', displayName: 'Op 9', role: 'operator', endpoint: 'PJSIP/op9', password: 'sembilan-pw-9' };
      const none = await t.request('POST', '/api/accounts', { body, cookie: admin.cookie });
      expect(none.status).to.equal(403);
      expect(none.body.error?.message).to.match(/CSRF/);
      const wrong = await t.request('POST', '/api/accounts', { body, cookie: admin.cookie, csrf: `${admin.csrf.slice(0, -2)}AA` });
      expect(wrong.status).to.equal(403);
      expect(await t.accounts.get('op9')).to.equal(undefined);
      const other = await t.login('op1', PASSWORDS.op1);
      const foreign = await t.request('POST', '/api/accounts', { body, cookie: admin.cookie, csrf: other.csrf });
      expect(foreign.status, 'another session\'s token').to.equal(403);
      expect((await t.request('POST', '/api/accounts', { body, cookie: admin.cookie, csrf: admin.csrf })).status).to.equal(201);
    });

    it('logout without the token is refused and the session stays', async () => {
      const op = await t.login('op1', PASSWORDS.op1);
      expect((await t.request('POST', '/api/auth/logout', { cookie: op.cookie })).status).to.equal(403);
      expect((await t.request('GET', '/api/auth/me', { cookie: op.cookie })).status).to.equal(200);
    });

    it('protects other routes behind requireAuth too', async () => {
      const op = await t.login('op1', PASSWORDS.op1);
      expect((await t.request('POST', '/api/probe/any', { cookie: op.cookie })).status).to.equal(403);
      expect((await t.request('POST', '/api/probe/any', { cookie: op.cookie, csrf: op.csrf })).status).to.equal(200);
    });
  });

  describe('every protected route', () => {
    const protectedRoutes: Array<[string, string, unknown?]> = [
      ['GET', '/api/auth/me'],
      ['POST', '/api/auth/logout'],
      ['POST', '/api/auth/password', { currentPassword: 'x', newPassword: 'y' }],
      ['GET', '/api/accounts'],
      ['GET', '/api/accounts/op1'],
      ['POST', '/api/accounts', { username: 'x' }],
      ['PATCH', '/api/accounts/op1', { disabled: true }],
    ];
    const adminRoutes = protectedRoutes.filter(([, path]) => path.startsWith('/api/accounts'));

    it('refuses an unauthenticated request with 401', async () => {
      for (const [method, path, body] of protectedRoutes) {
        const reply = await t.request(method, path, { body });
        expect(reply.status, `${method} ${path}`).to.equal(401);
        expect(reply.body.error?.code).to.equal('unauthenticated');
      }
      expect((await t.accounts.get('op1'))?.disabled).to.equal(false);
    });

    it('refuses operators and supervisors on admin routes with 403', async () => {
      for (const [username, password] of [['op1', PASSWORDS.op1], ['sup', PASSWORDS.sup]] as const) {
        const who = await t.login(username, password);
        for (const [method, path, body] of adminRoutes) {
          const reply = await t.request(method, path, { body, cookie: who.cookie, csrf: who.csrf });
          expect(reply.status, `${username}: ${method} ${path}`).to.equal(403);
          expect(reply.body.error?.code).to.equal('forbidden');
        }
      }
      expect((await t.accounts.get('op1'))?.disabled).to.equal(false);
    });
  });

  describe('account management (admin)', () => {
    let admin: Login;
    beforeEach(async () => (admin = await t.login('admin', PASSWORDS.admin)));
    const as = (o: { body?: unknown } = {}) => ({ ...o, cookie: admin.cookie, csrf: admin.csrf });

    it('lists accounts without password hashes', async () => {
      const reply = await t.request('GET', '/api/accounts', as());
      expect(reply.status).to.equal(200);
      const list = reply.body.accounts as Array<Record<string, unknown>>;
      expect(list.map((a) => a.id)).to.deep.equal(['admin', 'op1', 'sup']);
      for (const a of list) expect(a).to.not.have.property('passwordHash');
    });

    it('creates an operator who can then log in', async () => {
      const reply = await t.request('POST', '/api/accounts', as({ body: { username: 'Op2', displayName: 'Siti', role: 'operator', endpoint: 'client:op2', password: 'siti-password-2' } }));
      expect(reply.status).to.equal(201);
      expect(reply.body.account).to.include({ id: 'op2', endpoint: 'client:op2', disabled: false });
      await t.login('op2', 'siti-password-2');
    });

    it('names every bad field of a new account with 400', async () => {
      const reply = await t.request('POST', '/api/accounts', as({ body: { username: '1 bad', role: 'boss', password: 42, endpoint: 'tel:112', extra: true } }));
      expect(reply.status).to.equal(400);
      expect(issueFields(reply)).to.include.members(['username', 'displayName', 'role', 'password', 'endpoint', 'extra']);
      expect(reply.body.error?.message).to.match(/username/);
    });

    it('refuses a weak password, an operator without endpoint, and a taken username', async () => {
      const base = { username: 'op5', displayName: 'Op 5', role: 'operator', endpoint: 'PJSIP/op5' };
      const weak = await t.request('POST', '/api/accounts', as({ body: { ...base, password: 'short' } }));
      expect(weak.status).to.equal(400);
      expect(issueFields(weak)).to.deep.equal(['password']);
      const noEndpoint = await t.request('POST', '/api/accounts', as({ body: { ...base, endpoint: undefined, password: 'long-enough-pw' } }));
      expect(noEndpoint.status).to.equal(400);
      expect(issueFields(noEndpoint)).to.deep.equal(['endpoint']);
      const taken = await t.request('POST', '/api/accounts', as({ body: { ...base, username: 'OP1', password: 'long-enough-pw' } }));
      expect(taken.status).to.equal(409);
      expect(taken.body.error?.code).to.equal('account_exists');
      expect(await t.accounts.get('op5')).to.equal(undefined);
    });

    it('names bad fields of a change, refuses an empty change and an unknown account', async () => {
      const bad = await t.request('PATCH', '/api/accounts/op1', as({ body: { endpoint: 'nowhere', disabled: 'yes', role: 'root' } }));
      expect(bad.status).to.equal(400);
      expect(issueFields(bad)).to.include.members(['endpoint', 'disabled', 'role']);
      const empty = await t.request('PATCH', '/api/accounts/op1', as({ body: {} }));
      expect(empty.status).to.equal(400);
      const dropEndpoint = await t.request('PATCH', '/api/accounts/op1', as({ body: { endpoint: null } }));
      expect(dropEndpoint.status).to.equal(400);
      expect(issueFields(dropEndpoint)).to.deep.equal(['endpoint']);
      expect((await t.request('PATCH', '/api/accounts/ghost', as({ body: { displayName: 'x' } }))).status).to.equal(404);
      expect((await t.accounts.get('op1'))?.endpoint).to.equal('PJSIP/op1');
    });

    it('changes display name and endpoint, and a password reset ends the account\'s sessions', async () => {
      const op = await t.login('op1', PASSWORDS.op1);
      const reply = await t.request('PATCH', '/api/accounts/op1', as({ body: { displayName: 'Budi', endpoint: 'PJSIP/op1b', password: 'reset-password-1' } }));
      expect(reply.status).to.equal(200);
      expect(reply.body.account).to.include({ displayName: 'Budi', endpoint: 'PJSIP/op1b' });
      expect((await t.request('GET', '/api/auth/me', { cookie: op.cookie })).status).to.equal(401);
      expect((await t.request('POST', '/api/auth/login', { body: { username: 'op1', password: PASSWORDS.op1 } })).status).to.equal(401);
      await t.login('op1', 'reset-password-1');
    });

    it('will not disable or demote the last enabled admin', async () => {
      const disable = await t.request('PATCH', '/api/accounts/admin', as({ body: { disabled: true } }));
      expect(disable.status).to.equal(409);
      expect(disable.body.error?.code).to.equal('last_admin');
      const demote = await t.request('PATCH', '/api/accounts/admin', as({ body: { role: 'supervisor' } }));
      expect(demote.status).to.equal(409);
      expect((await t.accounts.get('admin'))?.role).to.equal('admin');
    });
  });
});
