/**
 * Builders for the AMI events the simulator emits. Field names and order are
 * copied from the Asterisk 22 recordings (test/sim/ami-conformance.test.ts
 * checks them against ../shared/asterisk-fixtures).
 */
import { channelFields, type ChannelSnapshot } from './channel-snapshot';
import type { AmiField, AmiMessage } from './message';

const ev = (name: string, privilege: string | undefined, rest: AmiField[]): AmiMessage => {
  const head: AmiField[] = [['Event', name]];
  if (privilege !== undefined) head.push(['Privilege', privilege]);
  return head.concat(rest);
};

export function fullyBooted(uptimeSec: number, lastReloadSec: number): AmiMessage {
  return ev('FullyBooted', 'system,all', [
    ['Uptime', String(uptimeSec)],
    ['LastReload', String(lastReloadSec)],
    ['Status', 'Fully Booted'],
  ]);
}

/** `2026-11-28T16:51:48.973+0000` */
export function eventTv(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

export function successfulAuthAmi(o: {
  user: string; sessionId: string; local: string; remote: string; nowMs: number; sessionStartMs: number;
}): AmiMessage {
  return ev('SuccessfulAuth', 'security,all', [
    ['EventTV', eventTv(o.nowMs)],
    ['Severity', 'Informational'],
    ['Service', 'AMI'],
    ['EventVersion', '1'],
    ['AccountID', o.user],
    ['SessionID', o.sessionId],
    ['LocalAddress', o.local],
    ['RemoteAddress', o.remote],
    ['UsingPassword', '0'],
    ['SessionTV', eventTv(o.sessionStartMs)],
  ]);
}

export type ContactStatusName = 'Created' | 'Removed' | 'Reachable' | 'Unreachable' | 'NonQualified' | 'Unknown' | 'Updated';

export function contactStatus(o: { uri: string; status: ContactStatusName; aor: string; endpoint: string; rttUsec?: number }): AmiMessage {
  return ev('ContactStatus', 'system,all', [
    ['URI', o.uri],
    ['ContactStatus', o.status],
    ['AOR', o.aor],
    ['EndpointName', o.endpoint],
    ['RoundtripUsec', String(o.rttUsec ?? 0)],
  ]);
}

export function peerStatus(peer: string, status: 'Reachable' | 'Unreachable', channelType = 'PJSIP'): AmiMessage {
  return ev('PeerStatus', 'system,all', [
    ['ChannelType', channelType],
    ['Peer', peer],
    ['PeerStatus', status],
  ]);
}

/** Device states as AMI spells them (ast_devstate_str). */
export type DeviceStateName = 'UNKNOWN' | 'NOT_INUSE' | 'INUSE' | 'BUSY' | 'INVALID' | 'UNAVAILABLE' | 'RINGING' | 'RINGINUSE' | 'ONHOLD';

export function deviceStateChange(device: string, state: DeviceStateName): AmiMessage {
  return ev('DeviceStateChange', 'call,all', [['Device', device], ['State', state]]);
}

export function newchannel(ch: ChannelSnapshot): AmiMessage {
  return ev('Newchannel', 'call,all', channelFields(ch));
}

export function newstate(ch: ChannelSnapshot): AmiMessage {
  return ev('Newstate', 'call,all', channelFields(ch));
}

export function newexten(ch: ChannelSnapshot, application: string, appData: string): AmiMessage {
  return ev('Newexten', 'dialplan,all', [
    ...channelFields(ch), ['Extension', ch.exten], ['Application', application], ['AppData', appData],
  ]);
}

export function varSet(ch: ChannelSnapshot, variable: string, value: string): AmiMessage {
  return ev('VarSet', 'dialplan,all', [...channelFields(ch), ['Variable', variable], ['Value', value]]);
}

export function hangupRequest(ch: ChannelSnapshot, cause: number, soft = false): AmiMessage {
  return ev(soft ? 'SoftHangupRequest' : 'HangupRequest', 'call,all', [...channelFields(ch), ['Cause', String(cause)]]);
}

const CAUSE_TEXT: Record<number, string> = {
  0: 'Unknown',
  1: 'Unallocated (unassigned) number',
  16: 'Normal Clearing',
  17: 'User busy',
  18: 'No user responding',
  19: 'User alerting, no answer',
  21: 'Call Rejected',
  32: 'Circuit/channel congestion',
  34: 'Circuit/channel congestion',
  127: 'Interworking, unspecified',
};

export function causeText(cause: number): string {
  return CAUSE_TEXT[cause] ?? 'Unknown';
}

export function hangup(ch: ChannelSnapshot, cause: number): AmiMessage {
  return ev('Hangup', 'call,all', [...channelFields(ch), ['Cause', String(cause)], ['Cause-txt', causeText(cause)]]);
}

/** OriginateResponse: Reason 4 = answered, 0 = failed, 3 = no answer, 5 = busy, 8 = congestion. */
export function originateResponse(o: {
  actionId?: string; success: boolean; channel: string; context: string; exten: string; reason: number;
  uniqueid?: string; callerIdNum?: string; callerIdName?: string;
}): AmiMessage {
  const fields: AmiField[] = [];
  if (o.actionId !== undefined) fields.push(['ActionID', o.actionId]);
  fields.push(
    ['Response', o.success ? 'Success' : 'Failure'],
    ['Channel', o.channel],
    ['Context', o.context],
    ['Exten', o.exten],
    ['Reason', String(o.reason)],
    ['Uniqueid', o.uniqueid ?? '<null>'],
    ['CallerIDNum', o.callerIdNum || '<unknown>'],
    ['CallerIDName', o.callerIdName || '<unknown>'],
  );
  return ev('OriginateResponse', 'call,all', fields);
}

export function reloadEvent(module: string, status = 0): AmiMessage {
  return ev('Reload', 'system,all', [['Module', module], ['Status', String(status)]]);
}

// --- the fail-safe queue path (app_queue) ---

export function queueCallerJoin(caller: ChannelSnapshot, queue: string, position: number, count: number): AmiMessage {
  return ev('QueueCallerJoin', 'agent,all', [
    ...channelFields(caller), ['Queue', queue], ['Position', String(position)], ['Count', String(count)],
  ]);
}

export function queueCallerLeave(caller: ChannelSnapshot, queue: string, position: number, count: number): AmiMessage {
  return ev('QueueCallerLeave', 'agent,all', [
    ...channelFields(caller), ['Queue', queue], ['Position', String(position)], ['Count', String(count)],
  ]);
}

export function queueCallerAbandon(caller: ChannelSnapshot, queue: string, position: number, originalPosition: number, holdTimeSec: number): AmiMessage {
  return ev('QueueCallerAbandon', 'agent,all', [
    ...channelFields(caller), ['Queue', queue], ['Position', String(position)],
    ['OriginalPosition', String(originalPosition)], ['HoldTime', String(holdTimeSec)],
  ]);
}

export interface AgentRef {
  queue: string;
  /** `PJSIP/op1` */
  interface: string;
  memberName?: string;
}

const agentFields = (a: AgentRef): AmiField[] => [
  ['Queue', a.queue], ['Interface', a.interface], ['MemberName', a.memberName ?? a.interface],
];

export function agentCalled(caller: ChannelSnapshot, agentChannel: ChannelSnapshot, a: AgentRef): AmiMessage {
  return ev('AgentCalled', 'agent,all', [...channelFields(caller), ...channelFields(agentChannel, 'Dest'), ...agentFields(a)]);
}

export function agentConnect(caller: ChannelSnapshot, agentChannel: ChannelSnapshot, a: AgentRef, holdTimeSec: number, ringTimeSec: number): AmiMessage {
  return ev('AgentConnect', 'agent,all', [
    ...channelFields(caller), ...channelFields(agentChannel, 'Dest'), ...agentFields(a),
    ['HoldTime', String(holdTimeSec)], ['RingTime', String(ringTimeSec)],
  ]);
}

export function agentRingNoAnswer(caller: ChannelSnapshot, agentChannel: ChannelSnapshot, a: AgentRef, ringTimeSec: number): AmiMessage {
  return ev('AgentRingNoAnswer', 'agent,all', [
    ...channelFields(caller), ...channelFields(agentChannel, 'Dest'), ...agentFields(a), ['RingTime', String(ringTimeSec)],
  ]);
}

export function agentComplete(
  caller: ChannelSnapshot, agentChannel: ChannelSnapshot, a: AgentRef, holdTimeSec: number, talkTimeSec: number, reason: 'caller' | 'agent' | 'transfer',
): AmiMessage {
  return ev('AgentComplete', 'agent,all', [
    ...channelFields(caller), ...channelFields(agentChannel, 'Dest'), ...agentFields(a),
    ['HoldTime', String(holdTimeSec)], ['TalkTime', String(talkTimeSec)], ['Reason', reason],
  ]);
}

export interface QueueMemberInfo {
  queue: string;
  /** `PJSIP/op1` */
  interface: string;
  membership?: 'static' | 'dynamic';
  penalty?: number;
  callsTaken: number;
  lastCall: number;
  lastPause?: number;
  loginTime: number;
  inCall: boolean;
  /** AST_DEVICE_* number: 1 not in use, 2 in use, 5 unavailable, 6 ringing. */
  status: number;
  paused: boolean;
  pausedReason?: string;
}

export function queueMemberStatus(m: QueueMemberInfo): AmiMessage {
  return ev('QueueMemberStatus', 'agent,all', [
    ['Queue', m.queue], ['MemberName', m.interface], ['Interface', m.interface], ['StateInterface', m.interface],
    ['Membership', m.membership ?? 'static'], ['Penalty', String(m.penalty ?? 0)], ['CallsTaken', String(m.callsTaken)],
    ['LastCall', String(m.lastCall)], ['LastPause', String(m.lastPause ?? 0)], ['LoginTime', String(m.loginTime)],
    ['InCall', m.inCall ? '1' : '0'], ['Status', String(m.status)], ['Paused', m.paused ? '1' : '0'],
    ['PausedReason', m.pausedReason ?? ''], ['Ringinuse', '1'], ['Wrapuptime', '0'],
  ]);
}
