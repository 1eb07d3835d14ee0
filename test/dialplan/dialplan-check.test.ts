import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { checkDialplan, formatIssue, type CheckIssue } from '../../src/dialplan-check/check-dialplan';
import { readDialplanDir } from '../../src/dialplan-check/dialplan-files';
import { runDialplanCheck } from '../../src/dialplan-check/dialplan-check-cli';

const root = path.resolve(__dirname, '../..');
const fixture = (name: string) => ({ file: `broken/${name}`, text: readFileSync(path.join(root, 'test/fixtures/dialplans', name), 'utf8') });
const check = (text: string, app = 'siaga112') => checkDialplan([{ file: 't.conf', text }], { app });
const at = (issues: CheckIssue[]) => issues.map((i) => `${i.line} ${i.code}`);

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { status: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const status = runDialplanCheck(args, { out: (l) => out.push(l), err: (l) => err.push(l), cwd: root, env: { ...env } });
  return { status, out, err };
}

describe('dialplan check', () => {
  it('the shipped dialplans are clean, and 112 reaches Stasis(siaga112) from the inbound context', () => {
    const result = checkDialplan(readDialplanDir(path.join(root, 'dialplans'), root), { app: 'siaga112' });
    expect(result.issues).to.deep.equal([]);
    expect(result.ok).to.equal(true);
    expect(result.files).to.deep.equal(['dialplans/extensions_siaga112.conf']);
    expect(result.routes.map((r) => `${r.extension}@${r.context}:${r.line}`)).to.deep.equal(['_11[023589]@siaga112-inbound:23']);
  });

  it('the shipped dialplans fail for another configured app name, naming the Stasis line', () => {
    const result = checkDialplan(readDialplanDir(path.join(root, 'dialplans'), root), { app: 'other-app' });
    expect(result.ok).to.equal(false);
    const wrong = result.issues.find((i) => i.code === 'wrong_app')!;
    expect(formatIssue(wrong)).to.match(/^dialplans\/extensions_siaga112\.conf:25: Stasis\(siaga112\) .*"other-app"/);
  });

  it('syntax errors with file and line', () => {
    const r = checkDialplan([fixture('syntax-error.conf')], { app: 'siaga112' });
    expect(r.ok).to.equal(false);
    const syntax = r.issues.filter((i) => i.code === 'syntax').map(formatIssue);
    expect(syntax[0]).to.match(/^broken\/syntax-error\.conf:6: cannot read the application in "Stasis\(siaga112,inbound,\$\{EXTEN\}"/);
    expect(syntax[1]).to.match(/^broken\/syntax-error\.conf:8: bad priority "x"/);
  });

  it('no 112 route: named at the inbound context header', () => {
    const r = checkDialplan([fixture('no-112.conf')], { app: 'siaga112' });
    expect(at(r.issues)).to.deep.equal(['3 no_112_route']);
    expect(r.routes).to.deep.equal([]);
  });

  it('no fail-safe: the Stasis line, naming where the path hangs up', () => {
    const r = checkDialplan([fixture('no-failsafe.conf')], { app: 'siaga112' });
    expect(at(r.issues)).to.deep.equal(['6 no_failsafe']);
    expect(r.issues[0]!.message).to.include('Hangup() at broken/no-failsafe.conf:8');
  });

  it('wrong app name: the Stasis line (and 112 then reaches no siaga112)', () => {
    const r = checkDialplan([fixture('wrong-app.conf')], { app: 'siaga112' });
    expect(at(r.issues)).to.deep.equal(['3 no_112_route', '6 wrong_app']);
    expect(r.issues[1]!.message).to.match(/Stasis\(siaga-112\).*"siaga112"/);
  });

  it('unreachable priority after an unconditional Goto', () => {
    const r = checkDialplan([fixture('unreachable.conf')], { app: 'siaga112' });
    expect(at(r.issues)).to.deep.equal(['13 unreachable']);
    expect(r.issues[0]!.message).to.match(/priority 4 \(Dial\) of s in \[siaga112-failsafe\].*Goto\(\) on line 12/);
  });

  it('a label or a numbered Goto makes a priority after a jump reachable', () => {
    const base = ['[siaga112-inbound]', 'exten => 112,1,Stasis(siaga112)', ' same => n,Goto(fs)', ' same => n(fs),Queue(q)', ' same => n,Hangup()', ' same => n,NoOp(after hangup)'];
    expect(at(check(base.join('\n')).issues)).to.deep.equal(['6 unreachable']);
    expect(check([...base, 'exten => 113,1,Goto(112,5)'].join('\n')).issues).to.deep.equal([]);
  });

  it('a fail-safe through GotoIf must hold on both branches', () => {
    const plan = ['[siaga112-inbound]', 'exten => 112,1,Stasis(siaga112)', ' same => n,GotoIf($["${STASISSTATUS}" = "FAILED"]?fs)', ' same => n,Hangup()', ' same => n(fs),Queue(q)'];
    const r = check(plan.join('\n'));
    expect(at(r.issues)).to.deep.equal(['2 no_failsafe']);
    expect(r.issues[0]!.message).to.include('Hangup() at t.conf:4');
    plan[3] = ' same => n,Dial(PJSIP/backup,30)';
    expect(check(plan.join('\n')).issues).to.deep.equal([]);
  });

  it('running off the end after Stasis is no fail-safe; a Goto to nowhere is an error', () => {
    const r = check(['[siaga112-inbound]', 'exten => 112,1,NoOp()', ' same => n,Stasis(siaga112)', 'exten => 115,1,Goto(nowhere,s,1)'].join('\n'));
    expect(at(r.issues)).to.deep.equal(['3 no_failsafe', '4 bad_goto']);
    expect(r.issues[0]!.message).to.match(/runs out of priorities/);
  });

  it('the 112 route may reach Stasis through a Goto; a loop without Queue is a warning, not an error', () => {
    const r = check(['[in]', 'exten => _X.,1,Goto(route,s,1)', '[route]', 'exten => s,1,Stasis(siaga112)', ' same => n(l),Wait(1)', ' same => n,Goto(l)'].join('\n'));
    expect(r.routes.map((x) => x.context)).to.deep.equal(['in']);
    expect(r.issues.map((i) => `${i.line} ${i.severity} ${i.code}`)).to.deep.equal(['4 warning loop']);
    expect(r.ok).to.equal(true);
  });

  it('an empty set of files has no 112 route', () => {
    const r = checkDialplan([], { app: 'siaga112' });
    expect(r.ok).to.equal(false);
    expect(formatIssue(r.issues[0]!)).to.match(/^\(no files\):1: no 112 route/);
  });
});

describe('dialplan:check command', () => {
  it('exits 0 on the shipped dialplans', () => {
    const r = cli([]);
    expect(r.status).to.equal(0);
    expect(r.err).to.deep.equal([]);
    expect(r.out.join('\n')).to.match(/dialplan OK/);
  });

  const broken: Array<[string, RegExp]> = [
    ['syntax-error.conf', /^test\/fixtures\/dialplans\/syntax-error\.conf:6: /],
    ['no-112.conf', /^test\/fixtures\/dialplans\/no-112\.conf:3: no 112 route/],
    ['no-failsafe.conf', /^test\/fixtures\/dialplans\/no-failsafe\.conf:6: no fail-safe/],
    ['wrong-app.conf', /^test\/fixtures\/dialplans\/wrong-app\.conf:6: Stasis\(siaga-112\)/],
    ['unreachable.conf', /^test\/fixtures\/dialplans\/unreachable\.conf:13: priority 4 \(Dial\)/],
  ];
  for (const [file, line] of broken) {
    it(`exits non-zero on ${file}, naming file and line`, () => {
      const r = cli([`test/fixtures/dialplans/${file}`]);
      expect(r.status).to.equal(1);
      expect(r.err.some((l) => line.test(l)), r.err.join('\n')).to.equal(true);
      expect(r.err[r.err.length - 1]).to.match(/dialplan NOT OK/);
    });
  }

  it('takes the app name from the configuration (ASTERISK_ARI_APP) or --app', () => {
    expect(cli([], { ASTERISK_ARI_APP: 'elsewhere' }).status).to.equal(1);
    expect(cli(['--app', 'siaga-112', 'test/fixtures/dialplans/wrong-app.conf']).err.some((l) => /wrong-app\.conf:6/.test(l))).to.equal(false);
  });

  it('bad usage and missing files exit 2 with a message', () => {
    expect(cli(['--bogus']).status).to.equal(2);
    expect(cli(['--app']).status).to.equal(2);
    const missing = cli(['no/such.conf']);
    expect(missing.status).to.equal(2);
    expect(missing.err.join('\n')).to.match(/no\/such\.conf/);
  });

  it('npm run dialplan:check runs the same command (exit status from a real process)', function () {
    this.timeout(60_000);
    const ok = spawnSync('npm', ['run', '--silent', 'dialplan:check'], { cwd: root, encoding: 'utf8' });
    expect(ok.status, ok.stderr).to.equal(0);
    const bad = spawnSync('npm', ['run', '--silent', 'dialplan:check', '--', 'test/fixtures/dialplans/no-failsafe.conf'], { cwd: root, encoding: 'utf8' });
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.match(/^test\/fixtures\/dialplans\/no-failsafe\.conf:6: no fail-safe/m);
  });
});
