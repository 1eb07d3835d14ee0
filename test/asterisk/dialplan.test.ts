import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { extensionMatches, findExtension, parseExtensionsConf, runOrder } from '../../src/asterisk/dialplan/extensions-conf';
import { parseDialplanShow } from '../../src/asterisk/ami/dialplan-admin';

const root = path.resolve(__dirname, '../..');
const shipped = (): ReturnType<typeof parseExtensionsConf> =>
  parseExtensionsConf(readFileSync(path.join(root, 'dialplans/extensions_siaga112.conf'), 'utf8'), 'extensions_siaga112.conf');

describe('dialplan (dialplans/extensions_siaga112.conf)', () => {
  it('parses without issues', () => {
    const plan = shipped();
    expect(plan.issues).to.deep.equal([]);
    expect([...plan.contexts.keys()]).to.include.members(['siaga112-inbound', 'siaga112-failsafe', 'siaga112-outbound']);
  });

  for (const number of ['112', '110', '113', '115', '118', '119']) {
    it(`routes ${number} into Stasis(siaga112,inbound,<exten>) and then to the fail-safe`, () => {
      const plan = shipped();
      const found = findExtension(plan, 'siaga112-inbound', number);
      expect(found, `no extension for ${number}`).to.not.equal(undefined);
      const steps = runOrder(found!.extension);
      const stasis = steps.findIndex((p) => p.app === 'Stasis');
      expect(stasis).to.be.greaterThan(-1);
      expect(steps[stasis]!.appData.split(',')).to.deep.equal(['siaga112', 'inbound', '${EXTEN}']);
      // Whatever comes back from Stasis goes to the fail-safe, and nothing hangs up on the way.
      const after = steps.slice(stasis + 1);
      expect(after.map((p) => p.app)).to.not.include('Hangup');
      expect(after.some((p) => p.app === 'Goto' && p.appData.startsWith('siaga112-failsafe,s,1'))).to.equal(true);
    });
  }

  it('sends any other number on the emergency trunk to 112', () => {
    const found = findExtension(shipped(), 'siaga112-inbound', '911');
    expect(found?.extension.name).to.equal('_X.');
    expect(runOrder(found!.extension).some((p) => p.app === 'Goto' && p.appData === 'siaga112-inbound,112,1')).to.equal(true);
  });

  it('has a fail-safe that answers, queues to the operators and never hangs up', () => {
    const found = findExtension(shipped(), 'siaga112-failsafe', 's');
    const steps = runOrder(found!.extension);
    expect(steps.map((p) => p.app)).to.include.members(['Answer', 'Queue']);
    expect(steps.map((p) => p.app)).to.not.include('Hangup');
    const queue = steps.find((p) => p.app === 'Queue')!;
    expect(queue.label).to.equal('wait');
    expect(queue.appData.split(',')[0]).to.equal('siaga112-operators');
    // The loop goes back to the queue.
    expect(steps[steps.length - 1]).to.include({ app: 'Goto', appData: 'wait' });
  });

  it('has the outbound context for callbacks', () => {
    const found = findExtension(shipped(), 'siaga112-outbound', '081234567890');
    expect(runOrder(found!.extension).some((p) => p.app === 'Dial')).to.equal(true);
  });

  it('numbers n priorities and keeps labels', () => {
    const plan = parseExtensionsConf(['[a]', 'exten => 100,1,NoOp(x)', ' same => n(loop),Wait(1)', ' same => n,Goto(loop)'].join('\n'));
    const ext = findExtension(plan, 'a', '100')!.extension;
    expect(ext.priorities.map((p) => [p.priority, p.label ?? ''])).to.deep.equal([[1, ''], [2, 'loop'], [3, '']]);
  });

  it('follows includes and prefers the most specific pattern', () => {
    const plan = parseExtensionsConf(['[a]', 'include => b', 'exten => _X.,1,NoOp(any)', 'exten => _11X,1,NoOp(11x)', '[b]', 'exten => s,1,NoOp(s in b)'].join('\n'));
    expect(findExtension(plan, 'a', '112')!.extension.name).to.equal('_11X');
    expect(findExtension(plan, 'a', '55')!.extension.name).to.equal('_X.');
    expect(findExtension(plan, 'a', 's')!.context.name).to.equal('b');
  });

  it('matches Asterisk patterns', () => {
    expect(extensionMatches('_11[023589]', '112')).to.equal(true);
    expect(extensionMatches('_11[023589]', '114')).to.equal(false);
    expect(extensionMatches('_NXX', '212')).to.equal(true);
    expect(extensionMatches('_NXX', '112')).to.equal(false);
    expect(extensionMatches('_X.', '1')).to.equal(false); // . is one or more
    expect(extensionMatches('_X.', '12')).to.equal(true);
    expect(extensionMatches('_X!', '')).to.equal(false);
    expect(extensionMatches('_op.', 'op1')).to.equal(true);
  });

  it('reports bad lines with their line numbers', () => {
    const plan = parseExtensionsConf(
      ['exten => 1,1,NoOp()', '[ctx]', 'same => n,NoOp()', 'exten => 100,n,NoOp()', 'exten => 101,1,Set(X=$[1+1)', 'exten => 102,1,NoOp()', 'exten => 102,1,Hangup()', 'exten => 103,x,NoOp()', 'bogus line', 'exten => 104,1,', 'exten => 105,2,NoOp()'].join('\n'),
      'bad.conf',
    );
    const byLine = plan.issues.map((i) => `${i.line}: ${i.message}`);
    expect(byLine.some((l) => l.startsWith('1: line outside'))).to.equal(true);
    expect(byLine.some((l) => l.startsWith('3: same =>'))).to.equal(true);
    expect(byLine.some((l) => l.startsWith('4: priority n'))).to.equal(true);
    expect(byLine.some((l) => l.startsWith('5: unbalanced'))).to.equal(true);
    expect(byLine.some((l) => l.startsWith('7: 102 priority 1 is defined twice'))).to.equal(true);
    expect(byLine.some((l) => l.startsWith('8: bad priority'))).to.equal(true);
    expect(byLine.some((l) => l.startsWith('9: cannot read'))).to.equal(true);
    expect(byLine.some((l) => l.startsWith('10: 104 priority 1 has no application'))).to.equal(true);
    expect(byLine.some((l) => l.startsWith('11: 105 in [ctx] has no priority 1'))).to.equal(true);
    expect(plan.issues.every((i) => i.file === 'bad.conf')).to.equal(true);
  });

  it('handles comments, escaped semicolons, block comments and globals', () => {
    const plan = parseExtensionsConf(['[globals]', 'SIAGA112_BACKUP=', ';-- a block', 'exten => nope,1,NoOp()', '--;', '[c]', 'exten => 1,1,NoOp(a\\;b) ; trailing', '#include "other.conf"'].join('\n'));
    expect(plan.issues).to.deep.equal([]);
    expect(plan.globals.get('SIAGA112_BACKUP')).to.equal('');
    expect(findExtension(plan, 'c', '1')!.extension.priorities[0]!.appData).to.equal('a;b');
    expect(plan.fileIncludes).to.deep.equal(['other.conf']);
  });
});

describe('dialplan show output (Asterisk 22, through AMI Command)', () => {
  it('parses contexts, extensions, labels and sources from the recorded output', () => {
    const lines = [
      "[ Context 'from-pstn' created by 'pbx_config' ]",
      "  '112' =>          1. NoOp(112 call from ${CALLERID(num)} on ${CHANNEL}) [extensions.conf:9]",
      '                    2. Stasis(siaga112)                           [extensions.conf:10]',
      "  '113' =>          1. NoOp(112-with-failsafe from ${CALLERID(num)}) [extensions.conf:17]",
      '                    3. GotoIf($["${STASISSTATUS}" = "SUCCESS"]?done) [extensions.conf:19]',
      '     [done]         6. Hangup()                                   [extensions.conf:22]',
      "  '_X.' =>          1. Goto(from-pstn,112,1)                      [extensions.conf:24]",
      '',
      '-= 3 extensions (13 priorities) in 1 context. =-',
    ];
    const shown = parseDialplanShow(lines);
    expect(shown.unparsed).to.deep.equal([]);
    expect(shown.summary).to.deep.equal({ extensions: 3, priorities: 13, contexts: 1 });
    const ctx = shown.contexts[0]!;
    expect(ctx).to.include({ name: 'from-pstn', createdBy: 'pbx_config' });
    expect(ctx.extensions.map((e) => e.name)).to.deep.equal(['112', '113', '_X.']);
    expect(ctx.extensions[0]!.priorities[1]).to.deep.equal({ priority: 2, app: 'Stasis', appData: 'siaga112', source: 'extensions.conf:10' });
    expect(ctx.extensions[1]!.priorities[1]).to.deep.include({ priority: 3, app: 'GotoIf', appData: '$["${STASISSTATUS}" = "SUCCESS"]?done' });
    expect(ctx.extensions[1]!.priorities[2]).to.deep.include({ priority: 6, label: 'done', app: 'Hangup', appData: '' });
  });

  it('keeps lines it does not understand', () => {
    expect(parseDialplanShow(["[ Context 'x' created by 'pbx_config' ]", 'garbage here']).unparsed).to.deep.equal(['garbage here']);
  });
});
