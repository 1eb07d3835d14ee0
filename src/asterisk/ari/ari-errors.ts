import { TelephonyError } from '../../core/errors';

/** "Channel not found", "Playback not found", "Bridge not found", "Channel not in Stasis application". */
export function isGoneReason(reason: string): boolean {
  return /\bnot found\b/i.test(reason) || /not in Stasis/i.test(reason);
}

export function isAllocationFailed(reason: string): boolean {
  return /allocation failed/i.test(reason);
}

/**
 * An ARI request Asterisk refused, as the project's TelephonyError: `gone`
 * when the channel, playback or bridge no longer exists (the caller hung
 * up), `allocationFailed` for an originate to a phone that is not there.
 * Asterisk's own message (the `message` or `error` key of its JSON body) is
 * kept as `reason`, the HTTP status as `status`.
 */
export function ariFailure(what: string, status: number, reason: string): TelephonyError {
  return new TelephonyError(`${what}: ${reason}`, isGoneReason(reason), { reason, status, ...(isAllocationFailed(reason) ? { allocationFailed: true } : {}) });
}

export function isGone(err: unknown): boolean {
  return err instanceof TelephonyError && err.gone;
}

export function isAllocationFailure(err: unknown): boolean {
  return err instanceof TelephonyError && err.details?.allocationFailed === true;
}
