import path from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { IvrSession, type IvrCommand, type IvrEvent } from '../../src/domain/ivr/engine';
import { loadIvrMenu, PROMPT_IDS, type IvrMenu } from '../../src/domain/ivr/menu';

const menu: IvrMenu = loadIvrMenu(path.resolve(__dirname, '../../config/ivr.yaml'));

const types = (commands: IvrCommand[]) => commands.map((c) => (c.type === 'play' ? `play:${c.promptId}` : c.type));

/** Start a session and let the greeting and the menu play to the end: it now waits for a key. */
function atMenu(m: IvrMenu = menu): IvrSession {
  const s = new IvrSession(m);
  expect(types(s.handle({ type: 'started' }))).to.deep.equal(['play:greeting']);
  expect(types(s.handle({ type: 'prompt_finished', promptId: 'greeting' }))).to.deep.equal(['play:menu']);
  expect(s.handle({ type: 'prompt_finished', promptId: 'menu' })).to.deep.equal([{ type: 'collect_digit', timeoutMs: m.inputTimeoutSeconds * 1000 }]);
  expect(s.state.phase).to.equal('collecting');
  return s;
}

function queueOf(commands: IvrCommand[]) {
  return commands.find((c): c is Extract<IvrCommand, { type: 'queue' }> => c.type === 'queue');
}

describe('IVR engine', () => {
  it('plays the greeting in Bahasa Indonesia with its Asterisk sound and Twilio text', () => {
    const s = new IvrSession(menu);
    const [play] = s.handle({ type: 'started' });
    expect(play).to.deep.include({ type: 'play', promptId: 'greeting', interruptible: true });
    if (play?.type !== 'play') throw new Error('expected play');
    expect(play.prompt.sound).to.equal('sound:siaga112/id/greeting');
    expect(play.prompt.text).to.match(/layanan darurat 112/);
    expect(play.prompt.language).to.equal('id');
    expect(play.prompt.sayLanguage).to.equal('id-ID');
    expect(s.state).to.deep.include({ phase: 'playing', language: 'id', retries: 0, currentPrompt: 'greeting' });
  });

  const choices: Array<[string, string, number]> = [
    ['1', 'fire', 1],
    ['2', 'medical', 1],
    ['3', 'police', 2],
    ['4', 'disaster', 1],
    ['0', 'general', 3],
  ];
  for (const [digit, category, priority] of choices) {
    it(`digit ${digit} queues the call as ${category} with priority ${priority}`, () => {
      const s = atMenu();
      const commands = s.handle({ type: 'digit', digit });
      expect(types(commands)).to.deep.equal(['play:queued', 'queue']);
      expect(commands[0]).to.deep.include({ interruptible: false });
      expect(queueOf(commands)).to.deep.equal({ type: 'queue', category, priority, language: 'id', reason: 'chosen' });
      expect(s.state).to.deep.include({ phase: 'queued', chosenCategory: category, retries: 0 });
    });
  }

  it('replays the menu on no input, then queues as general after maxRetries', () => {
    const m: IvrMenu = { ...menu, maxRetries: 2 };
    const s = atMenu(m);
    for (let retry = 1; retry <= 2; retry++) {
      expect(types(s.handle({ type: 'input_timeout' }))).to.deep.equal(['play:menu']);
      expect(s.state.retries).to.equal(retry);
      expect(types(s.handle({ type: 'prompt_finished', promptId: 'menu' }))).to.deep.equal(['collect_digit']);
    }
    const commands = s.handle({ type: 'input_timeout' });
    expect(queueOf(commands)).to.deep.equal({ type: 'queue', category: 'general', priority: 3, language: 'id', reason: 'no_input' });
    expect(s.state).to.deep.include({ phase: 'queued', chosenCategory: 'general', retries: 3 });
  });

  it('with maxRetries 0 the first timeout goes straight to an operator', () => {
    const s = atMenu({ ...menu, maxRetries: 0 });
    expect(queueOf(s.handle({ type: 'input_timeout' }))?.category).to.equal('general');
  });

  it('an invalid key plays invalidChoice and the menu again, counts as a retry, then goes to general', () => {
    const s = atMenu(); // maxRetries 1 in config/ivr.yaml
    expect(types(s.handle({ type: 'digit', digit: '7' }))).to.deep.equal(['play:invalidChoice']);
    expect(s.state.retries).to.equal(1);
    expect(types(s.handle({ type: 'prompt_finished', promptId: 'invalidChoice' }))).to.deep.equal(['play:menu']);
    expect(types(s.handle({ type: 'prompt_finished', promptId: 'menu' }))).to.deep.equal(['collect_digit']);
    const commands = s.handle({ type: 'digit', digit: '#' });
    expect(queueOf(commands)).to.include({ category: 'general', reason: 'invalid_input' });
    expect(s.state.retries).to.equal(2);
  });

  it('a wrong key then no input share the retry count', () => {
    const s = atMenu();
    s.handle({ type: 'digit', digit: '*' });
    s.handle({ type: 'prompt_finished', promptId: 'invalidChoice' });
    s.handle({ type: 'prompt_finished', promptId: 'menu' });
    expect(queueOf(s.handle({ type: 'input_timeout' }))).to.include({ category: 'general', reason: 'no_input' });
  });

  it('caller hang-up at the menu ends the session', () => {
    const s = atMenu();
    expect(s.handle({ type: 'caller_hung_up' })).to.deep.equal([{ type: 'done', reason: 'caller_hung_up' }]);
    expect(s.state.phase).to.equal('done');
  });

  it('caller hang-up in the middle of a prompt ends the session without more prompts', () => {
    const s = new IvrSession(menu);
    s.handle({ type: 'started' });
    expect(s.handle({ type: 'caller_hung_up' })).to.deep.equal([{ type: 'done', reason: 'caller_hung_up' }]);
    expect(s.handle({ type: 'prompt_finished', promptId: 'greeting' })).to.deep.equal([]);
    expect(s.state).to.deep.include({ phase: 'done' });
    expect(s.state.currentPrompt).to.equal(undefined);
  });

  it('caller hang-up before start ends the session', () => {
    const s = new IvrSession(menu);
    expect(types(s.handle({ type: 'caller_hung_up' }))).to.deep.equal(['done']);
    expect(s.handle({ type: 'started' })).to.deep.equal([]);
  });

  it('9 switches to English and replays greeting and menu in English; 9 again goes back', () => {
    const s = atMenu();
    const commands = s.handle({ type: 'digit', digit: '9' });
    expect(types(commands)).to.deep.equal(['set_language', 'play:greeting']);
    expect(commands[0]).to.deep.equal({ type: 'set_language', language: 'en' });
    const play = commands[1];
    if (play?.type !== 'play') throw new Error('expected play');
    expect(play.prompt).to.deep.include({ sound: 'sound:siaga112/en/greeting', language: 'en', sayLanguage: 'en-US' });
    expect(play.prompt.text).to.match(/emergency service/);
    expect(s.state).to.deep.include({ language: 'en', retries: 0 });
    s.handle({ type: 'prompt_finished', promptId: 'greeting' });
    s.handle({ type: 'prompt_finished', promptId: 'menu' });
    const chosen = s.handle({ type: 'digit', digit: '2' });
    const queued = chosen[0];
    if (queued?.type !== 'play') throw new Error('expected play');
    expect(queued.prompt.text).to.match(/Please hold/);
    expect(queueOf(chosen)).to.deep.equal({ type: 'queue', category: 'medical', priority: 1, language: 'en', reason: 'chosen' });
  });

  it('the language key pressed in English returns to Bahasa Indonesia', () => {
    const s = atMenu();
    s.handle({ type: 'digit', digit: '9' });
    s.handle({ type: 'prompt_finished', promptId: 'greeting' });
    expect(s.handle({ type: 'digit', digit: '9' })[0]).to.deep.equal({ type: 'stop_prompt' });
    expect(s.state.language).to.equal('id');
  });

  it('a key during the greeting barges in: stop_prompt, then the choice', () => {
    const s = new IvrSession(menu);
    s.handle({ type: 'started' });
    const commands = s.handle({ type: 'digit', digit: '1' });
    expect(types(commands)).to.deep.equal(['stop_prompt', 'play:queued', 'queue']);
    expect(queueOf(commands)?.category).to.equal('fire');
  });

  it('a wrong key during the menu prompt barges in and replays', () => {
    const s = new IvrSession(menu);
    s.handle({ type: 'started' });
    s.handle({ type: 'prompt_finished', promptId: 'greeting' });
    expect(types(s.handle({ type: 'digit', digit: '8' }))).to.deep.equal(['stop_prompt', 'play:invalidChoice']);
    // The stopped menu's late finish must not skip the invalidChoice prompt.
    expect(s.handle({ type: 'prompt_finished', promptId: 'menu' })).to.deep.equal([]);
    expect(s.state.currentPrompt).to.equal('invalidChoice');
  });

  it('a key during a prompt marked not interruptible is ignored', () => {
    const greeting = { ...menu.languages.id!.prompts.greeting, interruptible: false };
    const m: IvrMenu = { ...menu, languages: { ...menu.languages, id: { ...menu.languages.id!, prompts: { ...menu.languages.id!.prompts, greeting } } } };
    const s = new IvrSession(m);
    expect(s.handle({ type: 'started' })[0]).to.deep.include({ interruptible: false });
    expect(s.handle({ type: 'digit', digit: '1' })).to.deep.equal([]);
    expect(types(s.handle({ type: 'prompt_finished', promptId: 'greeting' }))).to.deep.equal(['play:menu']);
  });

  it('ignores late and duplicated events after queueing', () => {
    const s = atMenu();
    s.handle({ type: 'digit', digit: '3' });
    const late: IvrEvent[] = [
      { type: 'digit', digit: '1' },
      { type: 'input_timeout' },
      { type: 'prompt_finished', promptId: 'queued' },
      { type: 'started' },
      { type: 'caller_hung_up' },
    ];
    for (const e of late) expect(s.handle(e)).to.deep.equal([]);
    expect(s.state).to.deep.include({ phase: 'queued', chosenCategory: 'police' });
  });

  it('ignores duplicated and out-of-order events during the IVR', () => {
    const s = new IvrSession(menu);
    expect(s.handle({ type: 'digit', digit: '1' })).to.deep.equal([]); // before start
    s.handle({ type: 'started' });
    expect(s.handle({ type: 'started' })).to.deep.equal([]);
    expect(s.handle({ type: 'input_timeout' })).to.deep.equal([]); // no collect yet
    expect(s.handle({ type: 'prompt_finished', promptId: 'menu' })).to.deep.equal([]); // not playing
    expect(types(s.handle({ type: 'prompt_finished', promptId: 'greeting' }))).to.deep.equal(['play:menu']);
    expect(s.handle({ type: 'prompt_finished', promptId: 'greeting' })).to.deep.equal([]); // duplicate
    s.handle({ type: 'prompt_finished', promptId: 'menu' });
    expect(s.handle({ type: 'prompt_finished', promptId: 'menu' })).to.deep.equal([]);
    expect(s.state).to.deep.include({ phase: 'collecting', retries: 0 });
  });

  it('ignores every event after done, even a second hang-up', () => {
    const s = atMenu();
    s.handle({ type: 'caller_hung_up' });
    expect(s.handle({ type: 'caller_hung_up' })).to.deep.equal([]);
    expect(s.handle({ type: 'digit', digit: '1' })).to.deep.equal([]);
    expect(s.state.chosenCategory).to.equal(undefined);
  });

  it('can start in another language', () => {
    const s = new IvrSession(menu, { language: 'en' });
    expect(s.state.language).to.equal('en');
    expect(new IvrSession(menu, { language: 'xx' }).state.language).to.equal('id');
  });

  describe('property: random event sequences', () => {
    const ALLOWED = new Set(['play', 'stop_prompt', 'collect_digit', 'set_language', 'queue', 'done']);
    const event: fc.Arbitrary<IvrEvent> = fc.oneof(
      fc.constant<IvrEvent>({ type: 'started' }),
      fc.constantFrom(...PROMPT_IDS, 'bogus').map((promptId): IvrEvent => ({ type: 'prompt_finished', promptId })),
      fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', '', '12').map((digit): IvrEvent => ({ type: 'digit', digit })),
      fc.constant<IvrEvent>({ type: 'input_timeout' }),
      fc.constant<IvrEvent>({ type: 'caller_hung_up' }),
    );

    /** What an adapter does when the caller stays silent: let prompts end, let the input time out. */
    function driveSilently(s: IvrSession, seen: IvrCommand[]): number {
      let steps = 0;
      while (!s.finished && steps < 100) {
        const st = s.state;
        const e: IvrEvent =
          st.phase === 'idle' ? { type: 'started' } : st.phase === 'playing' ? { type: 'prompt_finished', promptId: st.currentPrompt! } : { type: 'input_timeout' };
        seen.push(...s.handle(e));
        steps++;
      }
      return steps;
    }

    it('never commands a hang-up and always ends queued or done; silence always reaches the queue', () => {
      fc.assert(
        fc.property(fc.array(event, { maxLength: 60 }), fc.integer({ min: 0, max: 4 }), (events, maxRetries) => {
          const s = new IvrSession({ ...menu, maxRetries });
          const seen: IvrCommand[] = [];
          for (const e of events) seen.push(...s.handle(e));
          const hungUp = s.state.phase === 'done';
          driveSilently(s, seen);
          expect(s.finished).to.equal(true);
          for (const c of seen) expect(ALLOWED.has(c.type), c.type).to.equal(true);
          // Exactly one terminal command, and it is the last decision the engine made.
          const terminal = seen.filter((c) => c.type === 'queue' || c.type === 'done');
          expect(terminal).to.have.length(1);
          if (!hungUp && !events.some((e) => e.type === 'caller_hung_up')) {
            expect(s.state.phase).to.equal('queued');
            expect(terminal[0]!.type).to.equal('queue');
          }
          if (s.state.phase === 'queued') expect(s.state.chosenCategory).to.be.a('string');
          // Nothing after the end.
          expect(s.handle({ type: 'digit', digit: '1' })).to.deep.equal([]);
        }),
        { numRuns: 500 },
      );
    });

    it('a silent caller reaches the general queue within a bounded number of steps', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 5 }), (maxRetries) => {
          const s = new IvrSession({ ...menu, maxRetries });
          const seen: IvrCommand[] = [];
          const steps = driveSilently(s, seen);
          expect(s.state).to.deep.include({ phase: 'queued', chosenCategory: 'general', retries: maxRetries + 1 });
          // start + greeting + menu, then per retry: timeout + menu end, then the final timeout.
          expect(steps).to.equal(3 + 2 * maxRetries + 1);
        }),
      );
    });
  });
});
