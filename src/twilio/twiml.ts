/**
 * TwiML for each step of a 112 call on Twilio, built with the `twilio`
 * package's VoiceResponse.
 *
 * Waiting uses <Enqueue waitUrl> rather than a <Conference>, because:
 * - Twilio re-requests the waitUrl by itself when its TwiML ends, so hold
 *   audio never falls silent (a conference waitUrl goes silent unless it
 *   redirects), and a failing waitUrl does not leave a half-built conference;
 * - connecting is a REST update of the caller's call to a <Dial>: it takes
 *   the caller out of the Twilio queue (QueueResult `redirected`) without a
 *   conference room and participant bookkeeping per caller;
 * - nobody ever dequeues with <Dial><Queue>, so Twilio's FIFO never decides
 *   anything: siaga112's dispatcher picks the call (priority, then waiting
 *   time) and redirects that caller by its CallSid.
 * The <Enqueue> has no `action` (a REST redirect must not race an action
 * document); if Twilio cannot enqueue (queue full, error) execution falls
 * through to a <Redirect> into a plain hold loop, so the caller still waits.
 *
 * The IVR never hangs up: no builder here emits <Hangup> except
 * endOfCallTwiml, used only after an operator conversation has ended.
 */
import twilio from 'twilio';
import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse';

/** One thing the caller hears: `audioUrl` is <Play>ed when given, otherwise `text` is <Say>d. */
export interface TwilioPrompt {
  text: string;
  /** BCP 47 tag for <Say language>: `id-ID`, `en-US`. */
  sayLanguage: string;
  /** <Say voice>, e.g. `Google.id-ID-Standard-A`; Twilio's default when absent. */
  voice?: string;
  audioUrl?: string;
}

/** Where a call is dialled: an operator's client identity or SIP address, or a phone number (transfer). */
export type DialTarget = { kind: 'client'; identity: string } | { kind: 'sip'; uri: string } | { kind: 'number'; number: string };

/** `client:op1` → Client, `sip:...` → Sip, `+62...`/digits → Number; anything else (e.g. PJSIP/op1) is undefined. */
export function parseDialTarget(endpoint: string): DialTarget | undefined {
  if (endpoint.startsWith('client:')) {
    const identity = endpoint.slice('client:'.length);
    return /^[A-Za-z0-9_.@-]{1,256}$/.test(identity) ? { kind: 'client', identity } : undefined;
  }
  if (/^sips?:\S+$/i.test(endpoint) && endpoint.length < 255) return { kind: 'sip', uri: endpoint };
  if (/^\+?[0-9]{2,15}$/.test(endpoint)) return { kind: 'number', number: endpoint };
  return undefined;
}

type PromptParent = Pick<VoiceResponse, 'say' | 'play'> | Pick<VoiceResponse.Gather, 'say' | 'play'>;

function addPrompt(parent: PromptParent, prompt: TwilioPrompt): void {
  if (prompt.audioUrl) {
    parent.play({}, prompt.audioUrl);
    return;
  }
  // Language and voice come from the checked IVR file; the package types them as closed unions.
  const attrs: VoiceResponse.SayAttributes = { language: prompt.sayLanguage as VoiceResponse.SayAttributes['language'] };
  if (prompt.voice) attrs.voice = prompt.voice as VoiceResponse.SayAttributes['voice'];
  parent.say(attrs, prompt.text);
}

export interface MenuTwimlOptions {
  /** Greeting and menu (or invalid-choice + menu), played inside the <Gather> so a key press cuts them short. */
  prompts: ReadonlyArray<TwilioPrompt>;
  /** Seconds to wait for a key after the prompts end. */
  timeoutSeconds: number;
  /** Absolute URL the digit is posted to (TwilioUrls.gather(step)). */
  actionUrl: string;
  /** Absolute URL for the no-input path (TwilioUrls.noInput(step)). */
  noInputUrl: string;
}

function assertAbsolute(url: string, what: string): void {
  if (!/^https?:\/\/[^/]/i.test(url)) throw new Error(`${what} must be an absolute http(s) URL, got "${url}"`);
}

/** One IVR step: <Gather numDigits=1 action=…><Say|Play…/></Gather><Redirect>no-input</Redirect>. */
export function menuTwiml(options: MenuTwimlOptions): string {
  assertAbsolute(options.actionUrl, 'Gather action');
  assertAbsolute(options.noInputUrl, 'no-input Redirect');
  const response = new twilio.twiml.VoiceResponse();
  const gather = response.gather({
    input: ['dtmf'],
    numDigits: 1,
    // Every key (# and * too) is a choice for the IVR engine to judge, never a terminator.
    finishOnKey: '',
    timeout: Math.max(1, Math.round(options.timeoutSeconds)),
    action: options.actionUrl,
    method: 'POST',
  });
  for (const prompt of options.prompts) addPrompt(gather, prompt);
  // Reached only when the timeout passes without a key: the IVR decides (replay, or queue as general).
  response.redirect({ method: 'POST' }, options.noInputUrl);
  return response.toString();
}

export interface WaitTwimlOptions {
  /** Said before joining the queue (the "you are being connected" prompt). */
  prompts?: ReadonlyArray<TwilioPrompt>;
  /** Twilio queue name (≤ 64 characters); its order is never used. */
  queueName: string;
  /** Absolute waitUrl (TwilioUrls.wait()). */
  waitUrl: string;
  /** Absolute URL of the plain hold loop, used when Twilio cannot enqueue (TwilioUrls.wait(true)). */
  holdLoopUrl: string;
}

/** Put the caller on hold: [prompts] <Enqueue waitUrl>name</Enqueue> <Redirect>hold loop</Redirect>. */
export function waitTwiml(options: WaitTwimlOptions): string {
  assertAbsolute(options.waitUrl, 'Enqueue waitUrl');
  assertAbsolute(options.holdLoopUrl, 'hold loop Redirect');
  if (!options.queueName || options.queueName.length > 64) throw new Error('Twilio queue name must be 1 to 64 characters');
  const response = new twilio.twiml.VoiceResponse();
  for (const prompt of options.prompts ?? []) addPrompt(response, prompt);
  response.enqueue({ waitUrl: options.waitUrl, waitUrlMethod: 'POST' }, options.queueName);
  response.redirect({ method: 'POST' }, options.holdLoopUrl);
  return response.toString();
}

export interface HoldLoopOptions {
  /** The reassurance announcement, when one is due. */
  reassurance?: ReadonlyArray<TwilioPrompt>;
  /** Hold music; when absent the loop pauses `pauseSeconds` between announcements. */
  holdAudioUrl?: string;
  /** Silence when there is no hold audio. @defaultValue 5 */
  pauseSeconds?: number;
  /**
   * Absolute URL to redirect to at the end (the plain hold loop outside a
   * Twilio queue). Leave out for an <Enqueue> waitUrl: Twilio re-requests it.
   */
  loopUrl?: string;
}

/** One turn of the wait loop: [reassurance] hold audio (or a short pause) [Redirect to itself]. */
export function holdLoopTwiml(options: HoldLoopOptions): string {
  const response = new twilio.twiml.VoiceResponse();
  for (const prompt of options.reassurance ?? []) addPrompt(response, prompt);
  if (options.holdAudioUrl) response.play({}, options.holdAudioUrl);
  else response.pause({ length: Math.max(1, Math.round(options.pauseSeconds ?? 5)) });
  if (options.loopUrl) {
    assertAbsolute(options.loopUrl, 'hold loop Redirect');
    response.redirect({ method: 'POST' }, options.loopUrl);
  }
  return response.toString();
}

export interface ConnectTwimlOptions {
  target: DialTarget;
  /** Dial timeout = the ring timeout (Twilio allows 5 to 600 s). */
  ringTimeoutSeconds: number;
  /** Absolute Dial action URL (TwilioUrls.dialAction({ ring })). */
  actionUrl: string;
  /** Absolute status callback for the operator's leg (TwilioUrls.operatorStatus(ring)): learns answer and the leg's CallSid. */
  legStatusUrl?: string;
  /** Passed to a Client softphone as custom parameters (callId, category, ...). */
  parameters?: Record<string, string>;
  /** Caller ID shown to the operator; Twilio's default (the caller's number) when absent. */
  callerId?: string;
}

/** Connect the caller to an operator (or a backup number): <Dial timeout action><Client|Sip|Number/></Dial>. */
export function connectTwiml(options: ConnectTwimlOptions): string {
  assertAbsolute(options.actionUrl, 'Dial action');
  if (options.legStatusUrl) assertAbsolute(options.legStatusUrl, 'leg statusCallback');
  const response = new twilio.twiml.VoiceResponse();
  const dialAttrs: VoiceResponse.DialAttributes = {
    timeout: Math.min(600, Math.max(5, Math.round(options.ringTimeoutSeconds))),
    action: options.actionUrl,
    method: 'POST',
  };
  if (options.callerId) dialAttrs.callerId = options.callerId;
  const dial = response.dial(dialAttrs);
  const status = options.legStatusUrl
    ? {
        statusCallback: options.legStatusUrl,
        statusCallbackMethod: 'POST',
        statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'] as Array<'initiated' | 'ringing' | 'answered' | 'completed'>,
      }
    : {};
  const target = options.target;
  if (target.kind === 'client') {
    const client = dial.client(status);
    client.identity(target.identity);
    for (const [name, value] of Object.entries(options.parameters ?? {})) client.parameter({ name, value });
  } else if (target.kind === 'sip') {
    dial.sip(status, target.uri);
  } else {
    dial.number(status, target.number);
  }
  return response.toString();
}

export interface RetryTwimlOptions {
  /** Said while the service recovers ("please hold"). */
  prompt?: TwilioPrompt;
  /** Absolute URL to try again (TwilioUrls.voice({ attempt })). */
  retryUrl: string;
  pauseSeconds?: number;
}

/** When a handler failed: keep the caller on the line and ask again shortly. Never a hang-up. */
export function retryTwiml(options: RetryTwimlOptions): string {
  assertAbsolute(options.retryUrl, 'retry Redirect');
  const response = new twilio.twiml.VoiceResponse();
  if (options.prompt) addPrompt(response, options.prompt);
  response.pause({ length: Math.max(1, Math.round(options.pauseSeconds ?? 2)) });
  response.redirect({ method: 'POST' }, options.retryUrl);
  return response.toString();
}

/** After an operator conversation ended (Dial completed): end the caller's leg. Not used by the IVR. */
export function endOfCallTwiml(): string {
  const response = new twilio.twiml.VoiceResponse();
  response.hangup();
  return response.toString();
}

/** For status callbacks: an empty document (Twilio accepts 204 too). */
export function emptyTwiml(): string {
  return new twilio.twiml.VoiceResponse().toString();
}
