import path from 'node:path';
import type { Clock } from '../core/clock';
import { ConflictError, errorMessage, Siaga112Error, UnavailableError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { ShownDialplan } from '../asterisk/ami/dialplan-admin';
import { extensionMatches } from '../asterisk/dialplan/extensions-conf';
import type { AuditLog } from '../audit/audit-log';
import { checkDialplan, formatIssue, type CheckResult, type DialplanSourceFile } from './check-dialplan';
import { readDialplanDir } from './dialplan-files';

/** What apply needs from the PBX: DialplanAdmin (AMI Command) fits. */
export interface DialplanControl {
  reload(): Promise<string[]>;
  show(context?: string): Promise<ShownDialplan>;
}

export interface Actor {
  username: string;
  role: string;
}

export interface DialplanAdminOptions {
  /** The folder of .conf files Asterisk loads (dialplans/ or where the PBX reads them). */
  dir: string;
  /** config.asterisk.ari.app */
  app: string;
  /** Unset when there is no AMI link (Twilio mode): apply is then unavailable. */
  control?: DialplanControl;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  emergencyNumber?: string;
  /** File names in messages are relative to this. @defaultValue the parent of `dir` */
  displayBase?: string;
}

export interface ApplyResult {
  check: CheckResult;
  /** Asterisk's answer to `dialplan reload`. */
  reload: string[];
  /** What `dialplan show` said afterwards about the route: context, extension and the Stasis priority. */
  verified: Array<{ context: string; extension: string; stasis: string }>;
}

/** Raised when the PBX took the reload but `dialplan show` does not have the 112 route as checked. */
export class DialplanNotVerifiedError extends Siaga112Error {
  constructor(message: string, details: Record<string, unknown>) {
    super('dialplan_not_verified', message, 502, details);
  }
}

/**
 * Checking and applying the dialplan, for admins. Apply runs the check on
 * the files as they are now and refuses unless it is clean, reloads through
 * AMI, then reads the route back with `dialplan show`. Every action is
 * written to the audit log, refused and failed ones too.
 */
export class DialplanAdminService {
  constructor(private readonly o: DialplanAdminOptions) {}

  get app(): string {
    return this.o.app;
  }

  get canApply(): boolean {
    return this.o.control !== undefined;
  }

  files(): DialplanSourceFile[] {
    return readDialplanDir(this.o.dir, this.o.displayBase ?? path.dirname(path.resolve(this.o.dir)));
  }

  private runCheck(): CheckResult {
    return checkDialplan(this.files(), { app: this.o.app, ...(this.o.emergencyNumber ? { emergencyNumber: this.o.emergencyNumber } : {}) });
  }

  private async audit(actor: Actor, action: string, result: 'ok' | 'refused' | 'failed', details: Record<string, unknown>): Promise<void> {
    await this.o.audit.record({ at: this.o.clock.now(), actor: actor.username, actorRole: actor.role, action, result, details });
  }

  async check(actor: Actor): Promise<CheckResult> {
    let result: CheckResult;
    try {
      result = this.runCheck();
    } catch (err) {
      await this.audit(actor, 'dialplan.check', 'failed', { error: errorMessage(err) });
      throw err;
    }
    await this.audit(actor, 'dialplan.check', result.ok ? 'ok' : 'refused', summary(result));
    return result;
  }

  async apply(actor: Actor): Promise<ApplyResult> {
    const check = this.runCheck();
    if (!check.ok) {
      await this.audit(actor, 'dialplan.apply', 'refused', { reason: 'check not clean', ...summary(check) });
      throw new ConflictError(`The dialplan check found ${check.errors} error(s): fix them before applying`, { issues: check.issues }, 'dialplan_not_clean');
    }
    const control = this.o.control;
    if (!control) {
      await this.audit(actor, 'dialplan.apply', 'failed', { reason: 'no AMI link configured', ...summary(check) });
      throw new UnavailableError('ami', 'No AMI connection is configured (asterisk.ami): the dialplan cannot be reloaded from here');
    }
    let reload: string[];
    try {
      reload = await control.reload();
    } catch (err) {
      await this.audit(actor, 'dialplan.apply', 'failed', { step: 'reload', error: errorMessage(err), ...summary(check) });
      throw err;
    }
    const verified: ApplyResult['verified'] = [];
    const problems: string[] = [];
    const number = this.o.emergencyNumber ?? '112';
    for (const route of check.routes) {
      try {
        const shown = await control.show(route.context);
        const ctx = shown.contexts.find((c) => c.name === route.context);
        const ext = ctx?.extensions.find((e) => e.name === number) ?? ctx?.extensions.find((e) => e.name.startsWith('_') && extensionMatches(e.name, number));
        const stasis = ext?.priorities.find((p) => p.app.toLowerCase() === 'stasis');
        if (!ext) problems.push(`dialplan show ${route.context}: no extension for ${number}`);
        else if (!stasis) problems.push(`dialplan show ${route.context}: ${ext.name} does not run Stasis()`);
        else if (stasis.appData.split(',')[0]!.trim() !== this.o.app) problems.push(`dialplan show ${route.context}: ${ext.name} runs Stasis(${stasis.appData}), not the application ${this.o.app}`);
        else verified.push({ context: route.context, extension: ext.name, stasis: `Stasis(${stasis.appData})` });
      } catch (err) {
        problems.push(`dialplan show ${route.context}: ${errorMessage(err)}`);
      }
    }
    if (problems.length || verified.length === 0) {
      const message = `Asterisk reloaded the dialplan but the ${number} route could not be verified: ${problems.join('; ') || 'no route'}`;
      this.o.logger.error('dialplan apply not verified', { problems });
      await this.audit(actor, 'dialplan.apply', 'failed', { step: 'verify', reload, problems, ...summary(check) });
      throw new DialplanNotVerifiedError(message, { problems, reload });
    }
    await this.audit(actor, 'dialplan.apply', 'ok', { reload, verified, ...summary(check) });
    this.o.logger.info('dialplan applied', { actor: actor.username, verified });
    return { check, reload, verified };
  }
}

function summary(result: CheckResult): Record<string, unknown> {
  return { files: result.files, errors: result.errors, warnings: result.warnings, issues: result.issues.slice(0, 50).map(formatIssue) };
}
