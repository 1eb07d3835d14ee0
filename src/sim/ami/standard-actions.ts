/**
 * The AMI actions siaga112 uses, answered like Asterisk 22 (texts and field
 * order from ../shared/asterisk-fixtures/ami-transcript-*.txt).
 */
import type { Clock } from '../../core/clock';
import { ActionRegistry, type ActionContext } from './action-registry';
import type { AmiState } from './ami-state';
import { outputLines, runCliCommand } from './cli-commands';
import type { DialplanStore } from './dialplan-store';
import { fullyBooted, originateResponse, reloadEvent, successfulAuthAmi } from './events';
import { getHeaders, type AmiField } from './message';
import { AmiSession, parseEventMask } from './session';

export interface OriginateRequest {
  channel: string;
  context?: string;
  exten?: string;
  priority?: number;
  application?: string;
  data?: string;
  callerId?: string;
  timeoutMs: number;
  variables: Record<string, string>;
  actionId?: string;
}

export interface OriginateResult {
  ok: boolean;
  /** OriginateResponse Reason: 4 answered, 0 failed, 3 no answer, 5 busy, 8 congestion. */
  reason: number;
  /** The created channel name (`;1` half for Local) and uniqueid, when there is one. */
  channel?: string;
  uniqueid?: string;
}

/** What the actions need from the server. */
export interface ActionEnv {
  clock: Clock;
  state: AmiState;
  dialplan: DialplanStore;
  users: ReadonlyArray<{ name: string; secret: string }>;
  amiVersion: string;
  asteriskVersion: string;
  authFailDelayMs: number;
  localAddress(session: AmiSession): string;
  remoteAddress(session: AmiSession): string;
  originate(req: OriginateRequest): Promise<OriginateResult>;
  /** Send an event to every session that wants it. */
  broadcast(fields: AmiField[]): void;
  /** Send an event to one session if it wants it. */
  sendEvent(session: AmiSession, fields: AmiField[]): void;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
const ymd = (d: Date): string => `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
const hms = (d: Date): string => `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;

function isTrue(v: string | undefined): boolean {
  return v !== undefined && /^(true|yes|on|1|y|t)$/i.test(v.trim());
}

function parseCallerId(cid: string | undefined): { name: string; num: string } {
  if (!cid) return { name: '', num: '' };
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/.exec(cid);
  if (m) return { name: m[1]!.trim(), num: m[2]!.trim() };
  return /^[+\d*#]+$/.test(cid.trim()) ? { name: '', num: cid.trim() } : { name: cid.trim(), num: '' };
}

export function createStandardActions(env: ActionEnv): ActionRegistry<AmiSession> {
  const r = new ActionRegistry<AmiSession>();

  r.register('Login', (ctx, s) => {
    const user = env.users.find((u) => u.name === ctx.header('Username'));
    if (!user || user.secret !== ctx.header('Secret')) {
      // Asterisk sleeps a second before refusing, then hangs up.
      env.clock.setTimer(env.authFailDelayMs, () => {
        ctx.error('Authentication failed');
        s.close();
      });
      return;
    }
    s.authenticated = true;
    s.user = user.name;
    // asterisk-manager sends `Event:` (ignored by Asterisk); only `Events:` counts.
    const events = ctx.header('Events');
    if (events !== undefined) s.eventMask = parseEventMask(events);
    ctx.respond('Success', [['Message', 'Authentication accepted']]);
    const now = env.clock.now();
    env.sendEvent(s, fullyBooted(Math.floor((now - env.state.startedAt) / 1000), Math.floor((now - env.state.lastReloadAt) / 1000)));
    env.sendEvent(s, successfulAuthAmi({
      user: user.name, sessionId: s.id, local: env.localAddress(s), remote: env.remoteAddress(s), nowMs: now, sessionStartMs: s.startedAt,
    }));
  });

  r.register('Logoff', (ctx, s) => {
    ctx.respond('Goodbye', [['Message', 'Thanks for all the fish.']]);
    s.close();
  });

  r.register('Ping', (ctx) => {
    const now = env.clock.now();
    ctx.respond('Success', [['Ping', 'Pong'], ['Timestamp', `${Math.floor(now / 1000)}.${String((now % 1000) * 1000).padStart(6, '0')}`]]);
  });

  r.register('Events', (ctx, s) => {
    const mask = ctx.header('EventMask');
    if (mask === undefined) return ctx.error('Missing EventMask');
    s.eventMask = parseEventMask(mask);
    ctx.respond('Success', [['Events', s.eventMask === 'none' ? 'Off' : 'On']]);
  });

  r.register('Filter', (ctx, s) => {
    const op = ctx.header('Operation') ?? '';
    const filter = ctx.header('Filter');
    if (op.toLowerCase() !== 'add') return ctx.error('Unknown operation');
    if (!filter) return ctx.error('Filter Add requires a filter');
    const exclude = filter.startsWith('!');
    let re: RegExp;
    try {
      re = new RegExp(exclude ? filter.slice(1) : filter);
    } catch {
      return ctx.error('Filter Add failed: invalid regex');
    }
    (exclude ? s.excludeFilters : s.includeFilters).push(re);
    ctx.respond('Success', [['Message', 'Success']]);
  });

  r.register('CoreSettings', (ctx) => {
    ctx.respond('Success', [
      ['AMIversion', env.amiVersion], ['AsteriskVersion', env.asteriskVersion], ['SystemName', ''],
      ['CoreMaxCalls', '0'], ['CoreMaxLoadAvg', '0.000000'], ['CoreRunUser', ''], ['CoreRunGroup', ''],
      ['CoreMaxFilehandles', '0'], ['CoreRealTimeEnabled', 'No'], ['CoreCDRenabled', 'Yes'],
      ['CoreHTTPenabled', 'No'], ['SoundsSearchCustomDir', 'No'],
    ]);
  });

  r.register('CoreStatus', (ctx) => {
    const start = new Date(env.state.startedAt);
    const reload = new Date(env.state.lastReloadAt);
    ctx.respond('Success', [
      ['CoreStartupDate', ymd(start)], ['CoreStartupTime', hms(start)],
      ['CoreReloadDate', ymd(reload)], ['CoreReloadTime', hms(reload)],
      ['CoreCurrentCalls', String(env.state.currentCalls)], ['CoreProcessedCalls', String(env.state.processedCalls)],
    ]);
  });

  r.register('Command', (ctx) => {
    const command = ctx.header('Command');
    if (!command) return ctx.error('No command provided');
    const res = runCliCommand(command, { dialplan: env.dialplan, state: env.state, nowMs: env.clock.now(), asteriskVersion: env.asteriskVersion });
    ctx.respond(res.ok ? 'Success' : 'Error', [
      ['Message', 'Command output follows'],
      ...outputLines(res.text).map((l): AmiField => ['Output', l]),
    ]);
  });

  r.register('Reload', (ctx) => {
    const module = (ctx.header('Module') ?? '').replace(/\.so$/, '');
    if (module !== '' && module !== 'pbx_config') return ctx.error('No such module');
    env.dialplan.reload();
    env.state.lastReloadAt = env.clock.now();
    ctx.respond('Success', [['Message', 'Module Reloaded']]);
    env.broadcast(reloadEvent(module || 'pbx_config'));
  });

  r.register('ExtensionState', (ctx) => {
    ctx.respond('Success', [
      ['Message', 'Extension Status'], ['Exten', ctx.header('Exten') ?? ''], ['Context', ctx.header('Context') ?? ''],
      ['Hint', ''], ['Status', '-1'], ['StatusText', 'Unknown'],
    ]);
  });

  r.register('PJSIPShowEndpoints', (ctx) => {
    const eps = [...env.state.endpoints.values()];
    ctx.respond('Success', [['EventList', 'start'], ['Message', 'A listing of Endpoints follows, presented as EndpointList events']]);
    for (const ep of eps) {
      const fields: AmiField[] = [['Event', 'EndpointList']];
      if (ctx.actionId !== undefined) fields.push(['ActionID', ctx.actionId]);
      fields.push(['ObjectType', 'endpoint'], ['ObjectName', ep.name], ['Transport', ''], ['Aor', ep.aor], ['Auths', ep.auths], ['OutboundAuths', '']);
      if (ep.aor !== '') fields.push(['Contacts', ep.contact ? `${ep.aor}/${ep.contact.uri},` : '']);
      const ds = env.state.deviceState(ep.name);
      fields.push(['DeviceState', ds === 'UNAVAILABLE' ? 'Unavailable' : ds === 'INUSE' ? 'In use' : 'Not in use'], ['ActiveChannels', String(ep.activeChannels)]);
      ctx.send(fields);
    }
    ctx.send(listComplete('EndpointListComplete', ctx.actionId, eps.length));
  });

  r.register('PJSIPShowContacts', (ctx) => {
    const eps = [...env.state.endpoints.values()].filter((e) => e.contact);
    ctx.respond('Success', [['EventList', 'start'], ['Message', 'A listing of Contacts follows, presented as ContactList events']]);
    for (const ep of eps) {
      const c = ep.contact!;
      const fields: AmiField[] = [['Event', 'ContactList']];
      if (ctx.actionId !== undefined) fields.push(['ActionID', ctx.actionId]);
      fields.push(
        ['ObjectType', 'contact'], ['ObjectName', `${ep.aor};@${hash32(`${ep.aor}${c.uri}`)}`], ['ViaAddr', c.viaAddr],
        ['QualifyTimeout', '3.000000'], ['Qualify2xxOnly', 'false'], ['CallId', c.callId], ['RegServer', ''], ['PruneOnBoot', 'no'],
        ['Path', ''], ['Endpoint', ep.name], ['ViaPort', String(c.viaPort)], ['AuthenticateQualify', 'no'], ['Uri', c.uri],
        ['QualifyFrequency', '0'], ['UserAgent', c.userAgent], ['ExpirationTime', String(c.expirationTime)], ['OutboundProxy', ''],
        ['Status', c.status], ['RoundtripUsec', 'N/A'],
      );
      ctx.send(fields);
    }
    ctx.send(listComplete('ContactListComplete', ctx.actionId, eps.length));
  });

  r.register('QueueStatus', (ctx) => {
    const only = ctx.header('Queue');
    const queues = [...env.state.queues.values()].filter((q) => !only || q.name === only);
    const now = env.clock.now();
    ctx.respond('Success', [['EventList', 'start'], ['Message', 'Queue status will follow']]);
    const idf: AmiField[] = ctx.actionId !== undefined ? [['ActionID', ctx.actionId]] : [];
    let items = 0;
    for (const q of queues) {
      const done = q.completed;
      ctx.send([
        ['Event', 'QueueParams'], ['Queue', q.name], ['Max', '0'], ['Strategy', q.strategy], ['Calls', String(q.callers.length)],
        ['Holdtime', '0'], ['TalkTime', String(done > 0 ? Math.round(q.talkTimeSec / done) : 0)], ['Completed', String(done)],
        ['Abandoned', String(q.abandoned)], ['ServiceLevel', '0'],
        ['ServicelevelPerf', done + q.abandoned > 0 ? '100.0' : '0.0'], ['ServicelevelPerf2', done + q.abandoned > 0 ? (done / (done + q.abandoned) * 100).toFixed(1) : '0.0'],
        ['Weight', '0'], ...idf,
      ]);
      items++;
      for (const m of q.members) {
        ctx.send([
          ['Event', 'QueueMember'], ['Queue', q.name], ['Name', m.interface], ['Location', m.interface], ['StateInterface', m.interface],
          ['Membership', 'static'], ['Penalty', '0'], ['CallsTaken', String(m.callsTaken)], ['LastCall', String(m.lastCall)], ['LastPause', '0'],
          ['LoginTime', String(m.loginTime)], ['InCall', m.inCall ? '1' : '0'], ['Status', String(env.state.memberStatus(m))],
          ['Paused', m.paused ? '1' : '0'], ['PausedReason', m.pausedReason], ['Wrapuptime', '0'], ...idf,
        ]);
        items++;
      }
      q.callers.forEach((c, i) => {
        ctx.send([
          ['Event', 'QueueEntry'], ['Queue', q.name], ['Position', String(i + 1)], ['Channel', c.channel], ['Uniqueid', c.uniqueid],
          ['CallerIDNum', c.callerIdNum || 'unknown'], ['CallerIDName', c.callerIdName || 'unknown'], ['ConnectedLineNum', 'unknown'],
          ['ConnectedLineName', 'unknown'], ['Wait', String(Math.floor((now - c.joinedAt) / 1000))], ['Priority', '0'], ...idf,
        ]);
        items++;
      });
    }
    ctx.send(listComplete('QueueStatusComplete', ctx.actionId, items));
  });

  r.register('QueueSummary', (ctx) => {
    const only = ctx.header('Queue');
    const queues = [...env.state.queues.values()].filter((q) => !only || q.name === only);
    const now = env.clock.now();
    ctx.respond('Success', [['EventList', 'start'], ['Message', 'Queue summary will follow']]);
    for (const q of queues) {
      const statuses = q.members.map((m) => env.state.memberStatus(m));
      const longest = q.callers.reduce((mx, c) => Math.max(mx, Math.floor((now - c.joinedAt) / 1000)), 0);
      ctx.send([
        ['Event', 'QueueSummary'], ['Queue', q.name], ['LoggedIn', String(statuses.filter((st) => st !== 5).length)],
        ['Available', String(q.members.filter((m, i) => statuses[i] === 1 && !m.paused).length)], ['Callers', String(q.callers.length)],
        ['HoldTime', '0'], ['TalkTime', String(q.completed > 0 ? Math.round(q.talkTimeSec / q.completed) : 0)], ['LongestHoldTime', String(longest)],
        ...(ctx.actionId !== undefined ? ([['ActionID', ctx.actionId]] as AmiField[]) : []),
      ]);
    }
    ctx.send(listComplete('QueueSummaryComplete', ctx.actionId, queues.length));
  });

  r.register('Originate', async (ctx) => {
    const channel = ctx.header('Channel');
    if (!channel) return ctx.error('Channel not specified');
    const application = ctx.header('Application');
    const exten = ctx.header('Exten');
    const context = ctx.header('Context');
    const prioStr = ctx.header('Priority');
    const priority = prioStr === undefined ? undefined : Number(prioStr);
    if (prioStr !== undefined && !Number.isInteger(priority)) return ctx.error('Invalid priority');
    const timeoutStr = ctx.header('Timeout');
    const timeoutMs = timeoutStr === undefined ? 30000 : Number(timeoutStr);
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) return ctx.error('Invalid timeout');
    if (!channel.includes('/')) return ctx.error('Invalid channel');
    if (!application && (!exten || !context || priority === undefined)) return ctx.error("Originate with 'Exten' requires 'Context' and 'Priority'");
    const variables: Record<string, string> = {};
    for (const v of getHeaders(ctx.msg, 'Variable')) {
      for (const part of v.split(',')) {
        const eq = part.indexOf('=');
        if (eq > 0) variables[part.slice(0, eq)] = part.slice(eq + 1);
      }
    }
    const req: OriginateRequest = {
      channel, context, exten, priority, application, data: ctx.header('Data'), callerId: ctx.header('CallerID'),
      timeoutMs, variables, actionId: ctx.actionId,
    };
    const cid = parseCallerId(req.callerId);
    if (isTrue(ctx.header('Async'))) {
      ctx.respond('Success', [['Message', 'Originate successfully queued']]);
      const res = await env.originate(req);
      env.broadcast(originateResponseFor(req, res, cid));
      return;
    }
    const res = await env.originate(req);
    if (!res.ok) return ctx.error('Originate failed');
    ctx.respond('Success', [['Message', 'Originate successfully queued']]);
  });

  r.register('Hangup', (ctx) => {
    if (!ctx.header('Channel')) return ctx.error('No channel specified');
    ctx.error('No such channel');
  });

  r.register('Getvar', (ctx) => {
    const variable = ctx.header('Variable');
    if (!variable) return ctx.error('No variable specified');
    if (ctx.header('Channel')) return ctx.error('No such channel');
    const globals: Record<string, string> = { ASTETCDIR: '/etc/asterisk' };
    ctx.respond('Success', [['Variable', variable], ['Value', globals[variable] ?? '']]);
  });

  return r;
}

function listComplete(event: string, actionId: string | undefined, items: number): AmiField[] {
  const f: AmiField[] = [['Event', event]];
  if (actionId !== undefined) f.push(['ActionID', actionId]);
  f.push(['EventList', 'Complete'], ['ListItems', String(items)]);
  return f;
}

function hash32(s: string): string {
  let out = '';
  let h = 0x811c9dc5;
  for (let round = 0; round < 4; round++) {
    for (const ch of s + round) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out;
}

function originateResponseFor(req: OriginateRequest, res: OriginateResult, cid: { name: string; num: string }): AmiField[] {
  return originateResponse({
    actionId: req.actionId, success: res.ok, channel: res.channel ?? req.channel, context: req.context ?? '', exten: req.exten ?? '',
    reason: res.reason, uniqueid: res.uniqueid, callerIdNum: cid.num, callerIdName: cid.name,
  });
}

export type { ActionContext };
