import { GENERAL_CATEGORY, type CategoryId, type LanguageId } from '../types';
import { categoryPriority, optionForDigit, promptFor, type IvrMenu, type PlayablePrompt, type PromptId } from './menu';

/**
 * One caller's walk through the IVR, as a pure state machine: events in,
 * commands out, no I/O and no timers. Both back ends drive the same engine.
 *
 * Asterisk adapter (ARI):
 *   - `play` → POST /channels/{id}/play with `prompt.sound`; PlaybackFinished
 *     → `prompt_finished` with the command's promptId.
 *   - ChannelDtmfReceived → `digit`. `stop_prompt` → stop the playback, and do
 *     NOT report `prompt_finished` for a playback it stopped.
 *   - `collect_digit` → start a Clock timer of `timeoutMs`; when it fires
 *     → `input_timeout` (cancel it on a digit or hang-up).
 *
 * Twilio adapter (webhooks): Twilio runs a whole TwiML document, so the
 *   adapter answers each `play` with `prompt_finished` at once (it appends
 *   <Say>/<Play> to the document it is building) until `collect_digit`,
 *   then renders the collected prompts nested in
 *   <Gather numDigits="1" timeout="timeoutMs/1000"> followed by a <Redirect>
 *   for the no-input case. Gather's action request → `digit` (Digits),
 *   the redirect or an empty Digits → `input_timeout`. Barge-in is native to
 *   <Gather>; `stop_prompt` needs no TwiML.
 *
 * Both: `queue` → put the call in the queue with that category and priority
 * (the adapter may enqueue without waiting for the `queued` prompt before it);
 * hang-up (StasisEnd / ChannelHangupRequest, status callback completed)
 * → `caller_hung_up`. After `queue` or `done` the session ignores every event,
 * so late, duplicated or out-of-order events are harmless.
 *
 * The engine never ends a call: no input or bad input after `maxRetries`
 * goes to an operator with the general category.
 */

export type IvrEvent =
  | { type: 'started' }
  | { type: 'prompt_finished'; promptId: PromptId | string }
  | { type: 'digit'; digit: string }
  | { type: 'input_timeout' }
  | { type: 'caller_hung_up' };

/** Why the call left the IVR for the queue. */
export type QueueReason = 'chosen' | 'no_input' | 'invalid_input';

export type IvrCommand =
  | { type: 'play'; promptId: PromptId; prompt: PlayablePrompt; interruptible: boolean }
  | { type: 'stop_prompt' }
  | { type: 'collect_digit'; timeoutMs: number }
  | { type: 'set_language'; language: LanguageId }
  | { type: 'queue'; category: CategoryId; priority: number; language: LanguageId; reason: QueueReason }
  | { type: 'done'; reason: 'caller_hung_up' };

/**
 * idle: not started; playing: a prompt plays (`currentPrompt`);
 * collecting: waiting for a key; queued / done: finished, events ignored.
 */
export type IvrPhase = 'idle' | 'playing' | 'collecting' | 'queued' | 'done';

export interface IvrSessionState {
  phase: IvrPhase;
  language: LanguageId;
  /** Menu attempts that failed (no input or a wrong key). */
  retries: number;
  /** Set when queued: the caller's choice, or general. */
  chosenCategory?: CategoryId;
  queueReason?: QueueReason;
  currentPrompt?: PromptId;
}

export interface IvrSessionOptions {
  /** Start in this language instead of the menu's default (unknown ids are ignored). */
  language?: LanguageId;
}

export class IvrSession {
  private phase: IvrPhase = 'idle';
  private language: LanguageId;
  private retries = 0;
  private chosenCategory?: CategoryId;
  private queueReason?: QueueReason;
  private current?: PromptId;
  /** Prompts still to play before collecting a key. */
  private pending: PromptId[] = [];

  constructor(private readonly menu: IvrMenu, options: IvrSessionOptions = {}) {
    this.language = options.language && menu.languages[options.language] ? options.language : menu.defaultLanguage;
  }

  get state(): IvrSessionState {
    return {
      phase: this.phase,
      language: this.language,
      retries: this.retries,
      ...(this.chosenCategory !== undefined ? { chosenCategory: this.chosenCategory } : {}),
      ...(this.queueReason !== undefined ? { queueReason: this.queueReason } : {}),
      ...(this.current !== undefined ? { currentPrompt: this.current } : {}),
    };
  }

  /** True once the session is queued or done: it will never command anything again. */
  get finished(): boolean {
    return this.phase === 'queued' || this.phase === 'done';
  }

  handle(event: IvrEvent): IvrCommand[] {
    if (this.finished) return [];
    if (event.type === 'caller_hung_up') {
      this.phase = 'done';
      this.current = undefined;
      this.pending = [];
      return [{ type: 'done', reason: 'caller_hung_up' }];
    }
    switch (this.phase) {
      case 'idle':
        return event.type === 'started' ? this.playScript(['greeting', 'menu']) : [];
      case 'playing':
        if (event.type === 'prompt_finished') return event.promptId === this.current ? this.next() : [];
        if (event.type === 'digit') {
          const interruptible = this.current !== undefined && promptFor(this.menu, this.language, this.current).interruptible;
          if (!interruptible) return [];
          this.current = undefined;
          this.pending = [];
          return [{ type: 'stop_prompt' }, ...this.onDigit(event.digit)];
        }
        return []; // a stale input_timeout or a repeated started
      case 'collecting':
        if (event.type === 'digit') return this.onDigit(event.digit);
        if (event.type === 'input_timeout') return this.onFailure('no_input', ['menu']);
        return [];
      default:
        return [];
    }
  }

  private onDigit(digit: string): IvrCommand[] {
    const option = optionForDigit(this.menu, digit);
    if (!option) return this.onFailure('invalid_input', ['invalidChoice', 'menu']);
    if (option.kind === 'category') return this.enqueue(option.category, 'chosen');
    // The language key toggles: pressed while already in that language it goes back to the default.
    const target = option.language === this.language ? this.menu.defaultLanguage : option.language;
    const commands: IvrCommand[] = [];
    if (target !== this.language) {
      this.language = target;
      commands.push({ type: 'set_language', language: target });
    }
    return [...commands, ...this.playScript(['greeting', 'menu'])];
  }

  private onFailure(reason: QueueReason, replay: PromptId[]): IvrCommand[] {
    this.retries += 1;
    if (this.retries > this.menu.maxRetries) return this.enqueue(GENERAL_CATEGORY, reason);
    return this.playScript(replay);
  }

  private enqueue(category: CategoryId, reason: QueueReason): IvrCommand[] {
    this.phase = 'queued';
    this.chosenCategory = category;
    this.queueReason = reason;
    this.current = undefined;
    this.pending = [];
    return [
      this.playCommand('queued', false),
      { type: 'queue', category, priority: categoryPriority(this.menu, category), language: this.language, reason },
    ];
  }

  private playScript(prompts: PromptId[]): IvrCommand[] {
    this.pending = [...prompts];
    return this.next();
  }

  /** Play the next pending prompt, or start collecting a key when none is left. */
  private next(): IvrCommand[] {
    const promptId = this.pending.shift();
    if (promptId === undefined) {
      this.phase = 'collecting';
      this.current = undefined;
      return [{ type: 'collect_digit', timeoutMs: Math.round(this.menu.inputTimeoutSeconds * 1000) }];
    }
    this.phase = 'playing';
    this.current = promptId;
    return [this.playCommand(promptId)];
  }

  private playCommand(promptId: PromptId, interruptible?: boolean): IvrCommand {
    const { interruptible: configured, ...prompt } = promptFor(this.menu, this.language, promptId);
    return { type: 'play', promptId, prompt, interruptible: interruptible ?? configured };
  }
}
