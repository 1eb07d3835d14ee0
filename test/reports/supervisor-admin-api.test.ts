import { copyFileSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parseDialplanShow } from '../../src/asterisk/ami/dialplan-admin';
import { silentLogger } from '../../src/core/logger';
import { DialplanAdminService, DialplanNotVerifiedError } from '../../src/dialplan-check/dialplan-admin-service';
import { ADMIN_API_ROUTES } from '../../src/http/admin';
import { SUPERVISOR_API_ROUTES } from '../../src/http/supervisor';
import { issueFields, waitFor } from '../http/api-harness';
import { SupervisorHarness } from './supervisor-harness';

const ROOT = path.resolve(__dirname, '../..');
const concrete = (p: string) => p.replace(':id', 'c1');

describe('supervisor and admin API', function () {
  this.timeout(30_000);
  let s: SupervisorHarness;
  beforeEach(async () => {
    s = await SupervisorHarness.start();
  });
  afterEach(async () => {
    await s?.stop();
  });

  it('every route refuses no session (401) and a wrong role (403); state changes need the CSRF token', async () => {
    const op = await s.login('op1');
    const sup = await s.login('sup');
    for (const r of [...SUPERVISOR_API_ROUTES, ...ADMIN_API_ROUTES]) {
      expect((await s.request(r.method, concrete(r.path))).status, `${r.method} ${r.path} anonymous`).to.equal(401);
      expect((await s.request(r.method, concrete(r.path), { login: op })).status, `${r.method} ${r.path} operator`).to.equal(403);
    }
    for (const r of ADMIN_API_ROUTES) expect((await s.request(r.method, r.path, { login: sup })).status, `${r.path} supervisor`).to.equal(403);
    const admin = await s.login('admin');
    expect((await s.request('POST', '/api/admin/dialplan/check', { login: admin, csrf: false })).status).to.equal(403);
  });

  it('wallboard: calls waiting with the longest wait, operators by state, today\'s figures with definitions', async () => {
    const sup = await s.login('sup');
    const empty = await s.request('GET', '/api/supervisor/wallboard', { login: sup });
    expect(empty.status).to.equal(200);
    expect(empty.body.queue).to.include({ length: 0, longestWaitSeconds: 0 });
    const callId = await s.h.queueCall('081234500001', '2');
    const wb = await s.request('GET', '/api/supervisor/wallboard', { login: sup });
    const body = wb.body as { queue: { length: number; calls: Array<{ callId: string }> }; operators: { byState: Record<string, number> }; today: { figures: { calls: number; byHour: number[] }; definitions: Record<string, string>; timeZone: string } };
    expect(body.queue.length).to.equal(1);
    expect(body.queue.calls[0]!.callId).to.equal(callId);
    expect(body.operators.byState.offline).to.equal(2);
    expect(body.today.figures.calls).to.equal(1);
    expect(body.today.timeZone).to.equal('Asia/Jakarta');
    expect(body.today.definitions.answeredWithin10s).to.match(/10 s/);
  });

  it('reports: list with filters, detail with timeline, CSV as a download; bad filters are named', async () => {
    const sup = await s.login('sup');
    const a = await s.h.queueCall('081234500002', '2');
    await s.h.queueCall('081234500003', '1');
    const list = await s.request('GET', '/api/reports/calls?category=medical', { login: sup });
    expect(list.status).to.equal(200);
    expect((list.body.calls as Array<{ call: { id: string } }>).map((r) => r.call.id)).to.deep.equal([a]);
    const byCaller = await s.request('GET', '/api/reports/calls?caller=081234500003', { login: sup });
    expect((byCaller.body.calls as unknown[]).length).to.equal(1);
    const detail = await s.request('GET', `/api/reports/calls/${a}`, { login: sup });
    expect((detail.body.timeline as Array<{ type: string }>)[0]!.type).to.equal('call.created');
    const csv = await s.request('GET', '/api/reports/calls.csv', { login: sup });
    expect(csv.headers.get('content-type')).to.match(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).to.match(/attachment; filename="siaga112-calls-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv"/);
    expect(csv.text.split('\r\n')).to.have.length(4); // header, two calls, final CRLF
    const bad = await s.request('GET', '/api/reports/calls?from=yesterday&classification=maybe&caller=abc&bogus=1', { login: sup });
    expect(bad.status).to.equal(400);
    expect(issueFields(bad)).to.include.members(['classification', 'caller', 'bogus']);
    expect((await s.request('GET', '/api/reports/calls?from=yesterday', { login: sup })).status).to.equal(400);
    expect((await s.request('GET', '/api/reports/calls/nope', { login: sup })).status).to.equal(404);
    const daily = await s.request('GET', '/api/reports/daily', { login: sup });
    expect((daily.body.figures as { calls: number }).calls).to.equal(2);
    expect((await s.request('GET', '/api/reports/monthly?month=2026-13', { login: sup })).status).to.equal(400);
    const repeat = await s.request('GET', '/api/reports/repeat-callers?min=2', { login: sup });
    expect(repeat.body.callers).to.deep.equal([]);
  });

  it('dialplan: a broken file is reported with file and line, apply is refused (409) until fixed, then reloads and verifies; all audited', async () => {
    const admin = await s.login('admin');
    const target = path.join(s.dialplanDir, 'extensions_siaga112.conf');
    const good = readFileSync(target, 'utf8');
    copyFileSync(path.join(ROOT, 'test/fixtures/dialplans/no-failsafe.conf'), target);

    const check = await s.request('POST', '/api/admin/dialplan/check', { login: admin });
    expect(check.status).to.equal(200);
    const result = check.body.check as { ok: boolean; issues: Array<{ file: string; line: number; code: string }> };
    expect(result.ok).to.equal(false);
    expect(result.issues).to.deep.include({ file: 'dialplans/extensions_siaga112.conf', line: 6, severity: 'error', code: 'no_failsafe', message: result.issues.find((i) => i.code === 'no_failsafe')!['message' as never] });

    const refused = await s.request('POST', '/api/admin/dialplan/apply', { login: admin });
    expect(refused.status).to.equal(409);
    expect(refused.body.error!.code).to.equal('dialplan_not_clean');

    writeFileSync(target, good);
    const applied = await s.request('POST', '/api/admin/dialplan/apply', { login: admin });
    expect(applied.status, applied.text).to.equal(200);
    const a = applied.body.applied as { reload: string[]; verified: Array<{ context: string; extension: string; stasis: string }> };
    expect(a.reload).to.deep.equal(['Dialplan reloaded.']);
    expect(a.verified).to.deep.equal([{ context: 'siaga112-inbound', extension: '_11[023589]', stasis: 'Stasis(siaga112,inbound,${EXTEN})' }]);

    const audit = await s.request('GET', '/api/admin/audit', { login: admin });
    const entries = audit.body.entries as Array<{ actor: string; action: string; result: string; at: number }>;
    expect(entries.map((e) => `${e.actor} ${e.action} ${e.result}`)).to.deep.equal(['admin dialplan.apply ok', 'admin dialplan.apply refused', 'admin dialplan.check refused']);
    expect(entries.every((e) => typeof e.at === 'number')).to.equal(true);
  });

  it('apply fails (502 dialplan_not_verified) and is audited when dialplan show does not confirm the 112 route', async () => {
    // A PBX that reloads but still shows an old route with another Stasis app.
    const control = {
      reload: async () => ['Dialplan reloaded.'],
      show: async () => parseDialplanShow(["[ Context 'siaga112-inbound' created by 'pbx_config' ]", "  '_11[023589]' =>  1. Stasis(old-app,inbound) [extensions_siaga112.conf:3]"]),
    };
    const service = new DialplanAdminService({ dir: s.dialplanDir, app: 'siaga112', control, audit: s.audit, clock: s.h.clock, logger: silentLogger() });
    const err = await service.apply({ username: 'admin', role: 'admin' }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(DialplanNotVerifiedError);
    expect((err as DialplanNotVerifiedError).httpStatus).to.equal(502);
    expect((err as Error).message).to.match(/Stasis\(old-app,inbound\), not the application siaga112/);
    const [last] = await s.audit.list({ action: 'dialplan.apply' });
    expect(last).to.deep.include({ actor: 'admin', result: 'failed' });
    expect(last!.details.step).to.equal('verify');
    // Without an AMI link apply is unavailable, and says why.
    const noAmi = new DialplanAdminService({ dir: s.dialplanDir, app: 'siaga112', audit: s.audit, clock: s.h.clock, logger: silentLogger() });
    await noAmi.apply({ username: 'admin', role: 'admin' }).then(() => expect.fail('should refuse'), (e: Error) => expect(e.message).to.match(/No AMI connection/));
  });

  it('account changes by an admin are audited without the password', async () => {
    const admin = await s.login('admin');
    const created = await s.request('POST', '/api/accounts', { login: admin, body: { username: 'op9', displayName: 'Operator Sembilan', role: 'operator', endpoint: 'PJSIP/op9', password: 'sandi-rahasia-99' } });
    expect(created.status, created.text).to.equal(201);
    const entries = await waitFor(async () => {
      const e = (await s.audit.list({ action: 'account.create' }))[0];
      return e;
    }, 'audit entry');
    expect(entries).to.deep.include({ actor: 'admin', action: 'account.create', result: 'ok' });
    expect(entries.details).to.deep.include({ account: 'op9', status: 201 });
    expect(JSON.stringify(entries.details)).to.not.include('sandi-rahasia-99');
  });
});
