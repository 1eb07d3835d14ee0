import type { CallCenter } from '../../app/call-center';
import { errorMessage } from '../../core/errors';
import { KeyedMutex } from '../../core/keyed-mutex';
import type { Logger } from '../../core/logger';
import { amiText, amiVariableName, type AmiLink, type AmiMessage } from './ami-link';

export type FailsafeCallCenter = Pick<CallCenter, 'failsafeCall' | 'failsafeStep'>;

export interface AmiMonitorDeps {
  link: AmiLink;
  callCenter: FailsafeCallCenter;
  logger: Logger;
  /** A softphone registered or unregistered (`PJSIP/op1`, true|false); the lead wires it to the operator pool. */
  onSoftphone?: (endpoint: string, registered: boolean) => void;
  /** Operator id for a queue member interface (`PJSIP/op1` → `op1`); default: the configured operators' endpoints, else the interface. */
  operatorForInterface?: (iface: string) => string | undefined;
}

const REGISTERED_CONTACT = /^(Created|Reachable|NonQualified|Updated)$/i;
const UNREGISTERED_CONTACT = /^(Removed|Unreachable)$/i;

/**
 * Watches AMI for two things ARI cannot show:
 *  - operator softphone registration (ContactStatus, PeerStatus), reported
 *    once per change through onSoftphone;
 *  - calls that took the dialplan's fail-safe path because siaga112 was not
 *    in Stasis (VarSet STASISSTATUS=FAILED), followed through Asterisk's
 *    queue (QueueCallerJoin, AgentConnect, QueueCallerAbandon, Hangup) and
 *    recorded through the call centre with backend `failsafe`.
 */
export class AmiMonitor {
  private readonly locks = new KeyedMutex();
  private readonly softphones = new Map<string, boolean>();
  /** Asterisk uniqueid → call id, for fail-safe calls in progress. */
  private readonly failsafe = new Map<string, string>();

  constructor(private readonly deps: AmiMonitorDeps) {
    deps.link.onEvent((e) => this.onEvent(e));
  }

  /** Fail-safe calls being followed now. */
  get failsafeCalls(): number {
    return this.failsafe.size;
  }

  /** Last known registration of each softphone seen. */
  softphoneStates(): ReadonlyMap<string, boolean> {
    return this.softphones;
  }

  private onEvent(e: AmiMessage): void {
    const type = amiText(e.event).toLowerCase();
    switch (type) {
      case 'contactstatus': {
        const endpoint = amiText(e.endpointname) || amiText(e.aor);
        const status = amiText(e.contactstatus);
        if (!endpoint) return;
        if (REGISTERED_CONTACT.test(status)) this.softphone(`PJSIP/${endpoint}`, true);
        else if (UNREGISTERED_CONTACT.test(status)) this.softphone(`PJSIP/${endpoint}`, false);
        return;
      }
      case 'peerstatus': {
        const peer = amiText(e.peer);
        const status = amiText(e.peerstatus);
        if (!peer) return;
        if (/^(Reachable|Registered)$/i.test(status)) this.softphone(peer, true);
        else if (/^(Unreachable|Unregistered|Rejected)$/i.test(status)) this.softphone(peer, false);
        return;
      }
      case 'varset': {
        if (amiVariableName(e.variable) !== 'STASISSTATUS' || amiText(e.value) !== 'FAILED') return;
        const uniqueid = amiText(e.uniqueid);
        if (!uniqueid) return;
        this.serial(uniqueid, async () => {
          if (this.failsafe.has(uniqueid)) return;
          const call = await this.deps.callCenter.failsafeCall({
            channelId: uniqueid,
            pbxUniqueId: uniqueid,
            callerNumber: amiText(e.calleridnum) || 'unknown',
            dialedNumber: amiText(e.exten) || '112',
          });
          this.failsafe.set(uniqueid, call.id);
        });
        return;
      }
      case 'queuecallerjoin':
        this.step(e, 'queued', { queue: amiText(e.queue), position: Number(amiText(e.position)) || undefined });
        return;
      case 'agentconnect': {
        const iface = amiText(e.interface) || amiText(e.membername);
        const operatorId = this.operatorFor(iface);
        this.step(e, 'answered', { queue: amiText(e.queue), interface: iface, ...(operatorId ? { operatorId } : {}), holdTimeS: Number(amiText(e.holdtime)) || 0 });
        return;
      }
      case 'queuecallerabandon':
        this.step(e, 'abandoned', { queue: amiText(e.queue), holdTimeS: Number(amiText(e.holdtime)) || 0 }, true);
        return;
      case 'hangup':
        this.step(e, 'ended', { cause: Number(amiText(e.cause)) || 0, causeTxt: amiText(e['cause-txt']) }, true);
        return;
      default:
        return;
    }
  }

  private step(e: AmiMessage, step: 'queued' | 'answered' | 'abandoned' | 'ended', data: Record<string, unknown>, last = false): void {
    const uniqueid = amiText(e.uniqueid);
    if (!uniqueid) return;
    this.serial(uniqueid, async () => {
      const callId = this.failsafe.get(uniqueid);
      if (!callId) return;
      if (last) this.failsafe.delete(uniqueid);
      const clean = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined && v !== ''));
      await this.deps.callCenter.failsafeStep(callId, step, clean);
    });
  }

  private operatorFor(iface: string): string | undefined {
    if (!iface) return undefined;
    return this.deps.operatorForInterface?.(iface) ?? iface.replace(/^[A-Za-z0-9]+\//, '');
  }

  private serial(key: string, task: () => Promise<void>): void {
    void this.locks.run(key, task).catch((err: unknown) => this.deps.logger.error('recording a fail-safe call failed', { uniqueid: key, error: errorMessage(err) }));
  }

  private softphone(endpoint: string, registered: boolean): void {
    if (this.softphones.get(endpoint) === registered) return;
    this.softphones.set(endpoint, registered);
    this.deps.logger.info('softphone registration', { endpoint, registered });
    try {
      this.deps.onSoftphone?.(endpoint, registered);
    } catch (err) {
      this.deps.logger.error('softphone handler failed', { endpoint, error: errorMessage(err) });
    }
  }
}
