import { expect } from 'chai';
import type { CallRecord, TimelineEvent } from '../../src/domain/types';
import type { PbxEvent } from '../../src/sim';
import { readJsonl, skipWithoutRecordings } from '../support/fixtures';
import { startStack, waitFor, type Stack } from './support/stack';

type AriMessage = Record<string, unknown> & { type: string };

/** The first recorded event of `type` in a recording of the real Asterisk (deep copy). */
function recorded(file: string, type: string, match: (m: AriMessage) => boolean = () => true): AriMessage {
  const found = readJsonl<AriMessage>(file).find((m) => m.type === type && match(m));
  if (!found) throw new Error(`no ${type} in ${file}`);
  return structuredClone(found);
}

/** Asterisk's timestamp format, to the millisecond: 2026-11-28T16:50:12.839+0000. */
const ariTime = (ms = Date.now()): string => new Date(ms).toISOString().replace('Z', '+0000');

/** A recorded event moved onto a channel of this test (its id; the rest of the recorded shape kept). */
function onChannel(msg: AriMessage, channelId: string, extra: Record<string, unknown> = {}): AriMessage {
  const out: AriMessage = { ...msg, timestamp: ariTime(), ...extra };
  for (const key of ['channel', 'peer'] as const) {
    if (out[key] && typeof out[key] === 'object') out[key] = { ...(out[key] as Record<string, unknown>), id: channelId };
  }
  return out;
}

/**
 * Events that lie: duplicated, out-of-order and late events (a DTMF after the
 * hang-up, a StasisStart twice, a PlaybackFinished for a playback already
 * stopped, a key press delivered twice, a ring's Dial/ChannelStateChange late)
 * change nothing they should not. The injected events are the recorded shapes
 * of a real Asterisk 22 (../shared/asterisk-fixtures) moved onto the test's channels.
 */
describe('resilience: duplicated, reordered and late ARI events', function () {
  this.timeout(120_000);
  let stack: Stack;
  /** Every PBX event of the simulator, in order (playbacks started, channels, bridges). */
  const pbxEvents: PbxEvent[] = [];

  before(async function () {
    stack = await startStack({ operators: ['op1'] });
    // Menus long enough to inject events while they play.
    stack.sim.pbx.configureSounds({
      sounds: { 'siaga112/id/greeting': 0.2, 'siaga112/id/menu': 2, 'siaga112/en/menu': 2, 'siaga112/id/queued': 0.2 },
      unknownSound: 0.2,
    });
    stack.sim.pbx.onAny((e) => pbxEvents.push(e));
    const svc = await stack.startService('a');
    await stack.waitReady(svc);
  });
  /** Callers of the running test still on the line. */
  const placed: string[] = [];
  afterEach(async () => {
    // Faults a test did not spend, and callers a failed test left on the line, must not leak into the next one.
    stack.sim.control.faults.duplicateEvents(0);
    stack.sim.control.faults.reorderEvents(0);
    for (const ch of placed.splice(0)) if (stack.sim.pbx.hasChannel(ch)) stack.sim.control.callerHangup(ch);
  });
  after(async () => {
    await stack?.stop();
  });

  const inject = (msg: AriMessage): void => {
    const sent = stack.sim.control.faults.injectEvent('siaga112', { application: 'siaga112', ...msg });
    expect(sent, `inject ${msg.type}`).to.equal(true);
  };
  const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const playbacksOn = (channelId: string): string[] =>
    pbxEvents.flatMap((e) => (e.kind === 'playback-started' && e.playback.targetUri === `channel:${channelId}` ? [e.playback.mediaUri] : []));
  const playbackFinished = (channelId: string, mediaUri: string): boolean =>
    pbxEvents.some((e) => e.kind === 'playback-finished' && e.playback.targetUri === `channel:${channelId}` && e.playback.mediaUri === mediaUri);
  const playbackId = (channelId: string, mediaUri: string): string => {
    const e = pbxEvents.find((x) => x.kind === 'playback-started' && x.playback.targetUri === `channel:${channelId}` && x.playback.mediaUri === mediaUri);
    if (!e || e.kind !== 'playback-started') throw new Error(`no ${mediaUri} on ${channelId}`);
    return e.playback.id;
  };
  const shape = (t: TimelineEvent[]): string[] => t.map((e) => `${e.type}/${e.actor.kind}${e.type === 'ivr.digit' ? `/${String(e.data.digit)}` : ''}`);
  /** The record and timeline now, to compare after the lies. */
  const snapshot = async (ch: string): Promise<{ rec: CallRecord; timeline: string[] }> => {
    const rec = (await stack.record(ch))!;
    return { rec, timeline: shape(await stack.timeline(rec.id)) };
  };
  const expectUnchanged = async (ch: string, before: { rec: CallRecord; timeline: string[] }): Promise<void> => {
    const now = await snapshot(ch);
    expect(now.timeline).to.deep.equal(before.timeline);
    expect(now.rec.state).to.equal(before.rec.state);
    expect(now.rec.language).to.equal(before.rec.language);
    expect(now.rec.category).to.equal(before.rec.category);
    expect(now.rec.endReason).to.equal(before.rec.endReason);
    expect((await stack.allCalls()).filter((c) => c.channelId === ch)).to.have.length(1);
  };
  const operatorState = async (): Promise<string> => (await stack.pool.operators.snapshot(stack.operatorIds.op1)).state;
  /** op1 free after the last test's call (wrap-up ends by itself after 1 s), then ready or on a break. */
  const operator = async (want: 'ready' | 'not_ready'): Promise<void> => {
    const now = await waitFor('op1 free', async () => {
      const state = await operatorState();
      return ['ready', 'not_ready', 'offline'].includes(state) && state;
    }, 15_000);
    if (now !== want) await (want === 'ready' ? stack.ready('op1') : stack.notReady('op1'));
    // A dispatcher may hold the operator for a moment (offered) while it finds no call.
    await waitFor(`op1 ${want}`, async () => (await operatorState()) === want, 5000);
  };
  /** A caller who stays on the line until the test hangs them up. */
  const longCaller = (steps: Array<{ wait: number } | { dtmf: string }> = []): string => {
    const ch = stack.placeCall({ steps: [...steps, { wait: 60 }, { hangup: true as const }] });
    placed.push(ch);
    return ch;
  };
  const hangUp = async (ch: string): Promise<CallRecord> => {
    stack.sim.control.callerHangup(ch);
    return stack.waitState(ch, ['ended']);
  };

  it('a call under duplicated and reordered events ends with one record and the same timeline as a clean call (the caller hangs up, not a stray operator hang-up)', async () => {
    await operator('ready');
    const script = { steps: [{ wait: 0.5 }, { dtmf: '2' }, { wait: 2 }, { hangup: true as const }] };

    const clean = stack.placeCall(script);
    const cleanRec = await stack.waitState(clean, ['ended']);
    await operator('ready');

    // Reordering holds an event until the next one (at most 1 s): keep the count below the call's own events.
    stack.sim.control.faults.duplicateEvents(30);
    stack.sim.control.faults.reorderEvents(6);
    const noisy = stack.placeCall(script);
    const noisyRec = await stack.waitState(noisy, ['ended']);
    expect(noisyRec.endReason).to.equal(cleanRec.endReason);
    expect(noisyRec.category).to.equal(cleanRec.category);
    const kinds = async (id: string): Promise<string[]> => shape(await stack.timeline(id)).filter((t) => !t.startsWith('wrapup'));
    const noisyKinds = await kinds(noisyRec.id);
    expect(noisyKinds).to.deep.equal(await kinds(cleanRec.id));
    // The call was connected and the caller ended it: a repeated StasisStart of the operator leg once hung the operator up.
    expect(noisyKinds).to.include('call.connected/operator');
    expect(noisyKinds.filter((k) => k.startsWith('call.ended/'))).to.deep.equal(['call.ended/caller']);
    expect(noisyKinds.filter((k) => k.startsWith('ivr.digit/'))).to.deep.equal(['ivr.digit/caller/2']);
  });

  it('late events for an ended call (DTMF, StasisStart again, PlaybackFinished, hang-up) change neither its record nor its state', async function () {
    skipWithoutRecordings(this);
    await operator('not_ready');
    const ch = stack.placeCall({ steps: [{ wait: 0.5 }, { hangup: true }] });
    await stack.waitState(ch, ['ended']);
    const before = await snapshot(ch);
    const greeting = playbackId(ch, 'sound:siaga112/id/greeting');
    const sipCall = 'ari-events-pjsip-sipp-dtmf-caller-hangup.jsonl';
    inject(onChannel(recorded(sipCall, 'ChannelDtmfReceived'), ch, { digit: '2' }));
    inject(onChannel(recorded(sipCall, 'StasisStart'), ch));
    inject({ ...recorded('ari-events-dtmf-during-playback-barge-in.jsonl', 'PlaybackFinished'), timestamp: ariTime(), playback: { id: greeting, media_uri: 'sound:siaga112/id/greeting', target_uri: `channel:${ch}`, language: 'id', state: 'done' } });
    inject(onChannel(recorded(sipCall, 'ChannelHangupRequest'), ch));
    inject(onChannel(recorded(sipCall, 'StasisEnd'), ch));
    inject(onChannel(recorded('ari-events-create-dial-op-no-answer.jsonl', 'ChannelDestroyed'), ch));
    await pause(1500);
    await expectUnchanged(ch, before);
    expect(before.rec.endReason).to.equal('abandoned_in_ivr');
    expect(stack.sim.pbx.hasChannel(ch)).to.equal(false);
  });

  it('StasisStart twice for a caller in the IVR: one record, no second greeting, the menu goes on', async function () {
    skipWithoutRecordings(this);
    await operator('not_ready');
    const ch = longCaller();
    await waitFor('the menu played to its end', () => playbackFinished(ch, 'sound:siaga112/id/menu'));
    const before = await snapshot(ch);
    expect(before.rec.state).to.equal('in_ivr');
    const prompts = playbacksOn(ch).length;
    const start = recorded('ari-events-pjsip-sipp-dtmf-caller-hangup.jsonl', 'StasisStart');
    inject(onChannel(start, ch));
    inject(onChannel(start, ch));
    await pause(1000);
    await expectUnchanged(ch, before);
    expect(playbacksOn(ch)).to.have.length(prompts);
    // The IVR is where it was: a key press still chooses.
    stack.sim.control.callerDtmf(ch, '3');
    const queued = await stack.waitState(ch, ['queued']);
    expect(queued.category).to.equal('police');
    expect((await hangUp(ch)).endReason).to.equal('abandoned_in_queue');
  });

  it('PlaybackFinished again for a prompt already stopped by a key press: no extra prompt, IVR state unchanged', async function () {
    skipWithoutRecordings(this);
    await operator('not_ready');
    const ch = longCaller();
    await waitFor('the menu playing', () => playbacksOn(ch).includes('sound:siaga112/id/menu'));
    const stopped = playbackId(ch, 'sound:siaga112/id/menu');
    // 9 = English: the Indonesian menu is stopped (barge-in) and the English one starts.
    stack.sim.control.callerDtmf(ch, '9');
    await waitFor('the English menu playing', () => playbacksOn(ch).includes('sound:siaga112/en/menu'));
    expect(playbackFinished(ch, 'sound:siaga112/id/menu'), 'the stopped menu already reported finished').to.equal(true);
    const before = await snapshot(ch);
    expect(before.rec).to.include({ state: 'in_ivr', language: 'en' });
    const prompts = playbacksOn(ch).length;
    const finished = recorded('ari-events-dtmf-during-playback-barge-in.jsonl', 'PlaybackFinished');
    const late = { ...finished, timestamp: ariTime(), playback: { id: stopped, media_uri: 'sound:siaga112/id/menu', target_uri: `channel:${ch}`, language: 'id', state: 'done' } };
    inject(late);
    inject(late);
    await pause(500);
    await expectUnchanged(ch, before);
    expect(playbacksOn(ch), 'no prompt started by the stale PlaybackFinished').to.have.length(prompts);
    // The English menu ends by itself; then the IVR waits for a key in English.
    await waitFor('the English menu played to its end', () => playbackFinished(ch, 'sound:siaga112/en/menu'));
    await pause(300);
    expect(playbacksOn(ch)).to.have.length(prompts);
    stack.sim.control.callerDtmf(ch, '1');
    const queued = await stack.waitState(ch, ['queued']);
    expect(queued).to.include({ category: 'fire', language: 'en' });
    await hangUp(ch);
  });

  it('a ChannelDtmfReceived delivered twice (same timestamp and digit) is one key press; a real second press still counts', async function () {
    skipWithoutRecordings(this);
    await operator('not_ready');
    const ch = longCaller();
    await waitFor('the menu playing', () => playbacksOn(ch).includes('sound:siaga112/id/menu'));
    const dtmf = recorded('ari-events-pjsip-sipp-dtmf-caller-hangup.jsonl', 'ChannelDtmfReceived');
    // 9 toggles the language: taken twice it would go back to Indonesian.
    const press = onChannel(dtmf, ch, { digit: '9' });
    inject(press);
    inject(press);
    await waitFor('the English menu playing', () => playbacksOn(ch).includes('sound:siaga112/en/menu'));
    await pause(500);
    const once = await snapshot(ch);
    expect(once.rec).to.include({ state: 'in_ivr', language: 'en' });
    expect(once.timeline.filter((t) => t.startsWith('ivr.digit'))).to.deep.equal(['ivr.digit/caller/9']);
    expect(once.timeline.filter((t) => t.startsWith('ivr.language'))).to.have.length(1);
    expect(playbacksOn(ch).filter((m) => m === 'sound:siaga112/en/menu'), 'one English menu').to.have.length(1);
    // The same event a third time, later: still the same press.
    inject(press);
    await pause(500);
    await expectUnchanged(ch, once);
    // A second press of 9 is another event (another time): back to Indonesian.
    inject(onChannel(dtmf, ch, { digit: '9', timestamp: ariTime(Date.now() + 1) }));
    await waitFor('back to Indonesian', async () => (await stack.record(ch))?.language === 'id');
    const twice = await snapshot(ch);
    expect(twice.timeline.filter((t) => t.startsWith('ivr.digit'))).to.deep.equal(['ivr.digit/caller/9', 'ivr.digit/caller/9']);
    expect(twice.rec.state).to.equal('in_ivr');
    await hangUp(ch);
  });

  it('late Dial / ChannelStateChange of the operator leg, its StasisStart again, and the hang-up of an earlier unanswered ring: the connected call goes on', async function () {
    skipWithoutRecordings(this);
    await operator('ready');
    const ch = longCaller([{ wait: 0.5 }, { dtmf: '2' }]);
    const connected = await stack.waitState(ch, ['connected']);
    const mix = await waitFor('the mixing bridge with both legs', () => stack.sim.pbx.listBridges().find((b) => b.bridgeType === 'mixing' && b.channels.includes(ch) && b.channels.length === 2));
    const opLeg = mix.channels.find((id) => id !== ch)!;
    expect(stack.sim.pbx.getChannel(opLeg).name).to.match(/^PJSIP\/op1-/);
    const before = await snapshot(ch);
    expect(before.rec.operatorId).to.equal(stack.operatorIds.op1);

    const ring = 'ari-events-originate-op-no-answer-timeout.jsonl';
    const mixing = 'ari-events-pjsip-caller-holding-bridge-pjsip-operator-mixing.jsonl';
    // The ring's own events, late and out of order (after the answer and the bridge).
    inject(onChannel(recorded(ring, 'Dial', (m) => m.dialstatus === 'RINGING'), opLeg));
    inject(onChannel(recorded(ring, 'ChannelStateChange'), opLeg));
    inject(onChannel(recorded(ring, 'Dial', (m) => m.dialstatus === ''), opLeg));
    // The operator leg's StasisStart again (the fault that once hung the operator up).
    inject(onChannel(recorded(mixing, 'StasisStart', (m) => (m.args as string[])[0] === 'operator'), opLeg, { args: ['operator', connected.id] }));
    // An earlier ring of this call that was not answered, its hang-up arriving now.
    const earlier = 'opleg_earlier_no_answer';
    const noAnswer = 'ari-events-create-dial-op-no-answer.jsonl';
    inject(onChannel(recorded(noAnswer, 'ChannelHangupRequest'), earlier));
    inject(onChannel(recorded(noAnswer, 'StasisEnd'), earlier));
    inject(onChannel(recorded(noAnswer, 'ChannelDestroyed'), earlier));
    inject(onChannel(recorded(noAnswer, 'ChannelDestroyed'), earlier));
    await pause(1500);

    await expectUnchanged(ch, before);
    expect(before.rec.state).to.equal('connected');
    expect(stack.sim.pbx.hasChannel(opLeg), 'the operator is still on the line').to.equal(true);
    expect(stack.sim.pbx.getBridge(mix.id).channels).to.have.members([ch, opLeg]);
    expect(await operatorState()).to.equal('on_call');

    const ended = await hangUp(ch);
    expect(ended.endReason).to.equal('completed');
    const endings = shape(await stack.timeline(ended.id)).filter((t) => t.startsWith('call.ended/'));
    expect(endings).to.deep.equal(['call.ended/caller']);
  });
});
