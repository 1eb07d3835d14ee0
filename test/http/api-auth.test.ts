import { expect } from 'chai';
import { CONSOLE_API_ROUTES } from '../../src/http/api';
import { ROLES, type Role } from '../../src/ports/account-store';
import { ConsoleHarness, issueFields, type Login, type Username } from './api-harness';

const USER_OF: Record<Role, Username> = { operator: 'op1', supervisor: 'sup', admin: 'admin' };
const concrete = (path: string): string => path.replace(':id', 'call_unknown1');
const LIVE = { method: 'GET', path: '/api/live', roles: ROLES as readonly Role[] };

describe('Console API: authentication, roles and CSRF on every route', () => {
  let h: ConsoleHarness;
  const logins = {} as Record<Role, Login>;

  before(async () => {
    h = await ConsoleHarness.start({ staticFiles: false });
    for (const role of ROLES) logins[role] = await h.login(USER_OF[role]);
  });
  after(async () => h.stop());

  for (const route of [...CONSOLE_API_ROUTES, LIVE]) {
    it(`${route.method} ${route.path} refuses a request without a session (401)`, async () => {
      const r = await h.request(route.method, concrete(route.path), route.method === 'POST' ? { body: {} } : {});
      expect(r.status).to.equal(401);
      expect(r.body.error?.code).to.equal('unauthenticated');
    });

    it(`${route.method} ${route.path} refuses a session cookie that is not a live session (401)`, async () => {
      const r = await h.request(route.method, concrete(route.path), { login: { cookie: 'siaga112_session=forged', csrf: 'x' } });
      expect(r.status).to.equal(401);
    });

    const wrong = ROLES.filter((role) => !(route.roles as readonly Role[]).includes(role));
    for (const role of wrong) {
      it(`${route.method} ${route.path} refuses the role ${role} (403)`, async () => {
        const r = await h.request(route.method, concrete(route.path), { login: logins[role], ...(route.method === 'POST' ? { body: { reason: 'break' } } : {}) });
        expect(r.status).to.equal(403);
        expect(r.body.error?.code).to.equal('forbidden');
        expect(r.body.error?.message).to.match(/role/);
      });
    }

    if (route.method === 'POST') {
      const allowed = route.roles[0] as Role;
      it(`${route.method} ${route.path} refuses a state change without the CSRF token (403), and with a wrong one`, async () => {
        const without = await h.request('POST', concrete(route.path), { login: logins[allowed], csrf: false, body: { reason: 'break' } });
        expect(without.status).to.equal(403);
        expect(without.body.error?.message).to.match(/CSRF/);
        const wrongToken = await h.request('POST', concrete(route.path), { login: logins[allowed], csrf: 'not-the-token', body: { reason: 'break' } });
        expect(wrongToken.status).to.equal(403);
        expect(wrongToken.body.error?.message).to.match(/CSRF/);
      });
    }
  }

  it('the CSRF refusal changed nothing: the operator is still offline', async () => {
    await h.request('POST', '/api/me/ready', { login: logins.operator, csrf: false });
    const r = await h.request('GET', '/api/me/operator', { login: logins.operator });
    expect(r.status).to.equal(200);
    expect((r.body.operator as { state: string }).state).to.equal('offline');
  });

  it('an operator may not read a call they did not take (403), a supervisor may (200 or 404 by existence)', async () => {
    const callId = await h.queueCall('081111111111');
    const op = await h.request('GET', `/api/calls/${callId}`, { login: logins.operator });
    expect(op.status).to.equal(403);
    const sup = await h.request('GET', `/api/calls/${callId}`, { login: logins.supervisor });
    expect(sup.status).to.equal(200);
    expect((sup.body.call as { id: string }).id).to.equal(callId);
    const missing = await h.request('GET', '/api/calls/call_nothere', { login: logins.supervisor });
    expect(missing.status).to.equal(404);
  });

  it('a path id that is not an id gets 400 naming it', async () => {
    const r = await h.request('GET', `/api/calls/${encodeURIComponent('../../etc')}`, { login: logins.supervisor });
    expect(r.status).to.equal(400);
    expect(issueFields(r)).to.deep.equal(['id']);
  });

  it('the role table lists only routes that exist (none answers 404 for an allowed role)', async () => {
    for (const route of CONSOLE_API_ROUTES) {
      const role = route.roles[0] as Role;
      const r = await h.request(route.method, concrete(route.path), { login: logins[role], ...(route.method === 'POST' ? { body: {} } : {}) });
      expect(r.body.error?.details && (r.body.error.details as { what?: string }).what, `${route.method} ${route.path}`).to.not.equal('route');
    }
  });
});
