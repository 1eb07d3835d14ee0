/**
 * Wires the AMI server to the PBX model: model events become AMI events
 * (Newchannel, Newstate, Newexten, VarSet, HangupRequest, Hangup,
 * DeviceStateChange, PeerStatus/ContactStatus on registration), and AMI
 * Originate of `Local/<exten>@<context>` places a call in the model.
 */
import type { ChannelSnapshot } from './channel-snapshot';
import * as ev from './events';
import type { AmiPbx, ModelChannel, PbxEvent } from './pbx-events';
import type { AmiServer } from './server';

export function toAmiChannel(c: ModelChannel): ChannelSnapshot {
  return {
    name: c.name, state: c.state, callerIdNum: c.caller.number, callerIdName: c.caller.name,
    connectedNum: c.connected.number, connectedName: c.connected.name, language: c.language, accountCode: c.accountcode,
    context: c.dialplan.context, exten: c.dialplan.exten, priority: c.dialplan.priority, uniqueid: c.id, linkedid: c.linkedId,
  };
}

const DEVICE_STATES = new Set(['UNKNOWN', 'NOT_INUSE', 'INUSE', 'BUSY', 'INVALID', 'UNAVAILABLE', 'RINGING', 'RINGINUSE', 'ONHOLD']);

/** Returns the detach function. */
export function attachAmiToPbx(ami: AmiServer, pbx: AmiPbx): () => void {
  const onEvent = (e: PbxEvent): void => {
    switch (e.kind) {
      case 'channel-created':
        ami.state.currentCalls++;
        ami.state.processedCalls++;
        ami.emitEvent(ev.newchannel(toAmiChannel(e.channel)));
        return;
      case 'channel-state':
        ami.emitEvent(ev.newstate(toAmiChannel(e.channel)));
        return;
      case 'channel-dialplan':
        ami.emitEvent(ev.newexten(toAmiChannel(e.channel), e.dialplanApp, e.dialplanAppData));
        return;
      case 'channel-varset':
        ami.emitEvent(ev.varSet(toAmiChannel(e.channel), e.variable, e.value));
        return;
      case 'channel-hangup-request':
        ami.emitEvent(ev.hangupRequest(toAmiChannel(e.channel), e.cause ?? 16, e.soft === true));
        return;
      case 'channel-destroyed':
        ami.state.currentCalls = Math.max(0, ami.state.currentCalls - 1);
        ami.emitEvent(ev.hangup(toAmiChannel(e.channel), e.cause));
        return;
      case 'device-state': {
        const st = e.state.toUpperCase().replace(/ /g, '_');
        if (DEVICE_STATES.has(st)) ami.emitEvent(ev.deviceStateChange(e.name, st as ev.DeviceStateName));
        return;
      }
      case 'endpoint-state': {
        if (e.endpoint.technology !== 'PJSIP' || !e.contact) return;
        if (e.contact.status === 'Removed') ami.unregisterContact(e.endpoint.resource);
        else ami.registerContact(e.endpoint.resource, e.contact.uri);
        return;
      }
      default:
        return;
    }
  };
  const off = pbx.onAny(onEvent);

  if (pbx.placeCall) {
    const placeCall = pbx.placeCall.bind(pbx);
    ami.setOriginator(async (req) => {
      const [tech, rest = ''] = req.channel.split('/', 2) as [string, string?];
      if (tech.toLowerCase() !== 'local') return { ok: false, reason: 0 };
      const [exten = 's', context = 'default'] = rest.split('@');
      const cid = /^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/.exec(req.callerId ?? '');
      try {
        const ch = placeCall({ tech: 'Local', exten, context, from: cid?.[2] ?? req.callerId ?? '', name: cid?.[1] });
        return { ok: true, reason: 4, channel: ch.name.replace(/;2$/, ';1'), uniqueid: ch.id };
      } catch {
        return { ok: false, reason: 0 };
      }
    });
  }
  return off;
}
