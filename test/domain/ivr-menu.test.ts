import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { parseYamlText } from '../../src/config/yaml-source';
import { ConfigError } from '../../src/core/errors';
import { categoryPriority, ivrMenuFromSource, loadIvrMenu, optionForDigit, promptFor, reassurancePrompt } from '../../src/domain/ivr/menu';

const FILE = path.resolve(__dirname, '../../config/ivr.yaml');
const good = readFileSync(FILE, 'utf8');

/** Replace exactly one occurrence, so a test cannot silently edit nothing. */
function edit(text: string, from: string | RegExp, to: string): string {
  const count = typeof from === 'string' ? text.split(from).length - 1 : (text.match(new RegExp(from.source, from.flags.includes('g') ? from.flags : from.flags + 'g')) ?? []).length;
  if (count !== 1) throw new Error(`test edit: expected one match of ${String(from)}, found ${count}`);
  return text.replace(from, to);
}

/** 1-based line of the first line containing `needle`. */
function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`test: ${needle} not in text`);
  return i + 1;
}

function errorOf(text: string): ConfigError {
  try {
    ivrMenuFromSource(parseYamlText(text, 'config/ivr.yaml'));
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('IVR menu file', () => {
  it('loads config/ivr.yaml: two languages, five categories, priorities and keys', () => {
    const menu = loadIvrMenu(FILE);
    expect(menu.defaultLanguage).to.equal('id');
    expect(Object.keys(menu.languages)).to.deep.equal(['id', 'en']);
    expect(menu.reassuranceIntervalSeconds).to.equal(10);
    expect(menu.inputTimeoutSeconds).to.be.greaterThan(0);
    expect(Object.fromEntries(Object.values(menu.categories).map((c) => [c.id, c.priority]))).to.deep.equal({ fire: 1, medical: 1, police: 2, disaster: 1, general: 3 });
    expect(optionForDigit(menu, '1')).to.deep.equal({ digit: '1', kind: 'category', category: 'fire' });
    expect(optionForDigit(menu, '9')).to.deep.equal({ digit: '9', kind: 'language', language: 'en' });
    expect(optionForDigit(menu, '5')).to.equal(undefined);
    expect(promptFor(menu, 'en', 'menu').interruptible).to.equal(true);
    expect(promptFor(menu, 'id', 'queued').interruptible).to.equal(false);
    expect(reassurancePrompt(menu, 'id')).to.deep.include({ sound: 'sound:siaga112/id/reassurance', language: 'id', sayLanguage: 'id-ID' });
    expect(reassurancePrompt(menu, 'en').text).to.match(/do not hang up/);
    expect(categoryPriority(menu, 'nonexistent')).to.equal(3);
    expect(menu.categories.disaster!.displayName).to.deep.equal({ id: 'Bencana / SAR', en: 'Disaster / search and rescue' });
  });

  it('names a missing file and the fix', () => {
    expect(() => loadIvrMenu('config/does-not-exist.yaml')).to.throw(ConfigError, /config\/does-not-exist\.yaml: cannot read the file \(ENOENT\)\. Fix/);
  });

  it('reads a file from disk and reports its path and line', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'siaga112-ivr-'));
    try {
      const file = path.join(dir, 'ivr.yaml');
      const text = edit(good, 'inputTimeoutSeconds: 5', 'inputTimeoutSeconds: 0');
      writeFileSync(file, text);
      expect(() => loadIvrMenu(file)).to.throw(ConfigError, `${file}:${lineOf(text, 'inputTimeoutSeconds: 0')}: inputTimeoutSeconds: expected a positive number of seconds`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('unknown category in a digit mapping', () => {
    const text = edit(good, 'category: police', 'category: polisi');
    expect(errorOf(text).message).to.include(
      `config/ivr.yaml:${lineOf(text, 'category: polisi')}: options.2.category: unknown category "polisi" for digit 3. Fix: use one of fire, medical, police, disaster, general or add it under categories`,
    );
  });

  it('duplicate digit', () => {
    const text = edit(good, "digit: '4'", "digit: '1'");
    const line = text.split('\n').findIndex((l, i) => l.includes("digit: '1'") && i + 1 !== lineOf(text, "digit: '1'")) + 1;
    expect(errorOf(text).message).to.include(`config/ivr.yaml:${line}: options.3.digit: duplicate digit 1: already used by options.0. Fix: give each key one meaning`);
  });

  it('missing prompt for a language', () => {
    const text = edit(good, /      reassurance:\n        sound: sound:siaga112\/en\/reassurance\n.*\n/, '');
    // The line given is where the en prompts mapping starts (its first key).
    const enPrompts = lineOf(text, 'sound: sound:siaga112/en/greeting') - 1;
    expect(errorOf(text).message).to.include(
      `config/ivr.yaml:${enPrompts}: languages.en.prompts.reassurance: missing prompt reassurance: every language needs greeting, menu, invalidChoice, queued, reassurance. Fix: add reassurance`,
    );
  });

  it('non-positive timeout', () => {
    const text = edit(good, 'reassuranceIntervalSeconds: 10', 'reassuranceIntervalSeconds: -3');
    expect(errorOf(text).message).to.include(`config/ivr.yaml:${lineOf(text, 'reassuranceIntervalSeconds: -3')}: reassuranceIntervalSeconds: expected a positive number of seconds`);
  });

  it('default language not in languages', () => {
    const text = edit(good, 'defaultLanguage: id', 'defaultLanguage: jv');
    expect(errorOf(text).message).to.include(
      `config/ivr.yaml:${lineOf(text, 'defaultLanguage: jv')}: defaultLanguage: default language "jv" is not one of the languages (id, en). Fix: add it under languages or choose one of them`,
    );
  });

  it('no general category', () => {
    let text = edit(good, /  general:\n    priority: 3\n.*\n/, '');
    text = edit(text, "  - digit: '0'\n    category: general\n", '');
    const err = errorOf(text);
    expect(err.message).to.match(/config\/ivr\.yaml:\d+: categories: no "general" category: calls with no input or a wrong key go there\. Fix: add categories\.general/);
    const line = Number(/ivr\.yaml:(\d+): categories:/.exec(err.message)![1]);
    // The categories mapping starts at its first key.
    expect(line).to.equal(lineOf(text, '  fire:'));
  });

  for (const bad of ["'10'", "'a'", "'12'", '10', "''"]) {
    it(`digit not a single 0-9, * or #: ${bad}`, () => {
      const text = edit(good, "digit: '4'", `digit: ${bad}`);
      expect(errorOf(text).message).to.include(`config/ivr.yaml:${lineOf(text, `digit: ${bad}`)}: options.3.digit: expected a single key: 0-9, '*' or '#'`);
    });
  }

  it('accepts an unquoted number key and * and #', () => {
    let text = edit(good, "digit: '4'", 'digit: 4');
    text = edit(text, "digit: '0'", "digit: '*'");
    const menu = ivrMenuFromSource(parseYamlText(text, 'config/ivr.yaml'));
    expect(optionForDigit(menu, '4')).to.deep.include({ category: 'disaster' });
    expect(optionForDigit(menu, '*')).to.deep.include({ category: 'general' });
  });

  it('an option with both a category and a language', () => {
    const text = edit(good, "  - digit: '9'\n    language: en", "  - digit: '9'\n    language: en\n    category: fire");
    expect(errorOf(text).message).to.include(`config/ivr.yaml:${lineOf(text, "digit: '9'")}: options.5: digit 9 needs exactly one of category or language`);
  });

  it('a language key to an unknown language', () => {
    const text = edit(good, '    language: en', '    language: fr');
    expect(errorOf(text).message).to.include(`config/ivr.yaml:${lineOf(text, 'language: fr')}: options.5.language: unknown language "fr" for digit 9`);
  });

  it('a category without a display name in every language', () => {
    const text = edit(good, '{ id: Kebakaran, en: Fire }', '{ id: Kebakaran }');
    expect(errorOf(text).message).to.include(`config/ivr.yaml:${lineOf(text, '{ id: Kebakaran }')}: categories.fire.displayName: category fire has no display name for language en`);
  });

  it('a bad sound name', () => {
    const text = edit(good, 'sound: sound:siaga112/en/queued', 'sound: siaga112/en/queued');
    expect(errorOf(text).message).to.include(`config/ivr.yaml:${lineOf(text, 'sound: siaga112/en/queued')}: languages.en.prompts.queued.sound: expected an Asterisk sound`);
  });

  it('lists every problem at once', () => {
    let text = edit(good, 'inputTimeoutSeconds: 5', 'inputTimeoutSeconds: 0');
    text = edit(text, 'priority: 2', 'priority: 0');
    const err = errorOf(text);
    expect(err.message.split('\n').filter((l) => l.includes('config/ivr.yaml:'))).to.have.length(2);
    expect(err.details).to.have.property('issues').that.has.length(2);
  });

  it('a YAML syntax error names its line', () => {
    const text = edit(good, 'maxRetries: 1', 'maxRetries: [1');
    expect(() => ivrMenuFromSource(parseYamlText(text, 'config/ivr.yaml'))).to.throw(ConfigError, /config\/ivr\.yaml:\d+: YAML syntax error/);
  });
});
