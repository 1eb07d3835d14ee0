/**
 * The channel fields Asterisk puts into every channel event (Newchannel,
 * Hangup, VarSet, Queue* ...), in Asterisk's order. A prefix (`Dest`) gives
 * the second channel of an event (AgentCalled, DialBegin).
 */
import type { AmiField } from './message';

export type ChannelStateName = 'Down' | 'Rsrvd' | 'OffHook' | 'Dialing' | 'Ring' | 'Ringing' | 'Up' | 'Busy';

const STATE_CODES: Record<ChannelStateName, number> = {
  Down: 0, Rsrvd: 1, OffHook: 2, Dialing: 3, Ring: 4, Ringing: 5, Up: 6, Busy: 7,
};

export interface ChannelSnapshot {
  /** Full channel name, e.g. `PJSIP/caller-0000000e` or `Local/112@from-pstn-0000000a;1`. */
  name: string;
  state: ChannelStateName;
  callerIdNum?: string;
  callerIdName?: string;
  connectedNum?: string;
  connectedName?: string;
  language?: string;
  accountCode?: string;
  context: string;
  exten: string;
  priority: number;
  uniqueid: string;
  linkedid?: string;
}

export function channelStateCode(state: ChannelStateName): number {
  return STATE_CODES[state];
}

/** `<unknown>` is what Asterisk prints for an empty caller id in events. */
const orUnknown = (v: string | undefined): string => (v === undefined || v === '' ? '<unknown>' : v);

export function channelFields(ch: ChannelSnapshot, prefix = ''): AmiField[] {
  return [
    [`${prefix}Channel`, ch.name],
    [`${prefix}ChannelState`, String(STATE_CODES[ch.state])],
    [`${prefix}ChannelStateDesc`, ch.state],
    [`${prefix}CallerIDNum`, orUnknown(ch.callerIdNum)],
    [`${prefix}CallerIDName`, orUnknown(ch.callerIdName)],
    [`${prefix}ConnectedLineNum`, orUnknown(ch.connectedNum)],
    [`${prefix}ConnectedLineName`, orUnknown(ch.connectedName)],
    [`${prefix}Language`, ch.language ?? 'en'],
    [`${prefix}AccountCode`, ch.accountCode ?? ''],
    [`${prefix}Context`, ch.context],
    [`${prefix}Exten`, ch.exten],
    [`${prefix}Priority`, String(ch.priority)],
    [`${prefix}Uniqueid`, ch.uniqueid],
    [`${prefix}Linkedid`, ch.linkedid ?? ch.uniqueid],
  ];
}
