import type { CallCenter } from '../app/call-center';
import type { AppConfig } from '../config/schema';
import type { Clock } from '../core/clock';
import { ConfigError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { IvrMenu } from '../domain/ivr/menu';
import type { OperatorAccount } from '../domain/types';
import { AmiMonitor } from './ami/ami-monitor';
import { AsteriskManagerLink, type AmiLink } from './ami/ami-link';
import { DialplanAdmin } from './ami/dialplan-admin';
import { AriClientConnection } from './ari/ari-client-connection';
import type { AriConnection } from './ari/ari-types';
import { AsteriskTelephony } from './asterisk-telephony';

export { AsteriskTelephony, type DialBackResult } from './asterisk-telephony';
export { DialplanAdmin, parseDialplanShow, type ShownDialplan } from './ami/dialplan-admin';
export { parseExtensionsConf, findExtension, extensionMatches, runOrder, type ParsedDialplan, type DialplanIssue } from './dialplan/extensions-conf';

export interface AsteriskBackendDeps {
  config: AppConfig['asterisk'];
  /** The call centre (callArrived, ivrEvent, hang-ups, failsafeCall/failsafeStep, note). */
  callCenter: CallCenter;
  menu: IvrMenu;
  clock: Clock;
  logger: Logger;
  maskCallerNumbers: boolean;
  /** Configured operators: maps a softphone endpoint (`PJSIP/op1`) to an operator id. */
  operators: ReadonlyArray<OperatorAccount>;
  /** A softphone registered or unregistered (from ARI endpoint events and AMI ContactStatus/PeerStatus), by operator id. */
  onSoftphone?: (operatorId: string, registered: boolean) => void;
  /** Another connection took the ARI app over (ApplicationReplaced); the ARI link is already closed. */
  onReplaced?: () => void;
}

export interface AsteriskBackend {
  /** OperatorRinger + WaitingCallerControl for the dispatcher, and dialBack(task, endpoint) for callbacks. */
  telephony: AsteriskTelephony;
  ari: AriConnection;
  /** Present when asterisk.ami.host is configured. */
  ami?: AmiLink;
  dialplan?: DialplanAdmin;
  /** Connect ARI (and AMI); resolves once both are connected the first time. They reconnect forever on their own. */
  start(): Promise<void>;
  /** Close ARI and AMI without touching any call (the callers stay in Asterisk for whoever connects next). */
  stop(): Promise<void>;
  /** For /readyz. `ready`: connected and the calls taken up (operators may be rung). */
  status(): { ari: boolean; ami: boolean | 'not_configured'; ready: boolean };
}

/** Build the Asterisk back end from configuration (asterisk.*). */
export function createAsteriskBackend(deps: AsteriskBackendDeps): AsteriskBackend {
  const { config, clock, logger } = deps;
  const { url, user, password, app } = config.ari;
  if (!url || !user || !password) throw new ConfigError('asterisk mode needs ASTERISK_ARI_URL, ASTERISK_ARI_USER and ASTERISK_ARI_PASSWORD');
  const actionTimeoutMs = config.actionTimeoutSeconds * 1000;
  const reconnectMaxMs = config.reconnectMaxSeconds * 1000;
  const byEndpoint = new Map(deps.operators.map((o) => [o.endpoint, o.id]));
  const softphone = (endpoint: string, registered: boolean): void => {
    const operatorId = byEndpoint.get(endpoint);
    if (operatorId) deps.onSoftphone?.(operatorId, registered);
  };

  const ari = new AriClientConnection({ url, user, password, app, clock, logger: logger.child({ component: 'ari' }), actionTimeoutMs, reconnectMaxMs });
  const telephony = new AsteriskTelephony({
    ari,
    callCenter: deps.callCenter,
    menu: deps.menu,
    clock,
    logger: logger.child({ component: 'asterisk' }),
    app,
    outboundContext: config.outboundContext,
    maskCallerNumbers: deps.maskCallerNumbers,
    onSoftphone: softphone,
    onReplaced: () => {
      // Stop at once: ari-client would otherwise reconnect and take the app back.
      void ari.stop().then(() => deps.onReplaced?.());
    },
  });

  let ami: AsteriskManagerLink | undefined;
  let dialplan: DialplanAdmin | undefined;
  const { host, port, user: amiUser, password: amiPassword } = config.ami;
  if (host) {
    if (!amiUser || !amiPassword) throw new ConfigError('ASTERISK_AMI_HOST is set: ASTERISK_AMI_USER and ASTERISK_AMI_PASSWORD are needed too');
    ami = new AsteriskManagerLink({ host, port, user: amiUser, password: amiPassword, clock, logger: logger.child({ component: 'ami' }), actionTimeoutMs, reconnectMaxMs });
    new AmiMonitor({ link: ami, callCenter: deps.callCenter, logger: logger.child({ component: 'ami' }), onSoftphone: softphone, operatorForInterface: (iface) => byEndpoint.get(iface) });
    dialplan = new DialplanAdmin(ami);
  }

  return {
    telephony,
    ari,
    ...(ami ? { ami } : {}),
    ...(dialplan ? { dialplan } : {}),
    async start() {
      await Promise.all([ari.start(), ami?.start()]);
    },
    async stop() {
      await Promise.all([ari.stop(), ami?.stop()]);
      telephony.releaseAll();
    },
    status() {
      return { ari: ari.connected, ami: ami ? ami.connected : 'not_configured', ready: telephony.isReady };
    },
  };
}
