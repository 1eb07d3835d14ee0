import { TelephonyError, errorMessage } from '../../core/errors';

/**
 * ari-client turns an HTTP error into `new Error(<response body>)`: the
 * status code is lost and only Asterisk's JSON body remains in the
 * message (`{"message":"Channel not found"}`, or `{"error":"Allocation
 * failed"}` for an originate to an unregistered phone). The class of
 * failure is read from that text.
 */
export function asteriskReason(err: unknown): string {
  const text = errorMessage(err);
  try {
    const body: unknown = JSON.parse(text);
    if (body && typeof body === 'object') {
      const rec = body as Record<string, unknown>;
      if (typeof rec.message === 'string') return rec.message;
      if (typeof rec.error === 'string') return rec.error;
    }
  } catch {
    // not JSON: a network error or a timeout
  }
  return text;
}

/** "Channel not found", "Playback not found", "Bridge not found", "Channel not in Stasis application". */
export function isGoneReason(reason: string): boolean {
  return /\bnot found\b/i.test(reason) || /not in Stasis/i.test(reason);
}

export function isAllocationFailed(reason: string): boolean {
  return /allocation failed/i.test(reason);
}

/** Wrap any failure of an ARI request as the project's TelephonyError. */
export function toTelephonyError(what: string, err: unknown): TelephonyError {
  if (err instanceof TelephonyError) return err;
  const reason = asteriskReason(err);
  return new TelephonyError(`${what}: ${reason}`, isGoneReason(reason), { reason, ...(isAllocationFailed(reason) ? { allocationFailed: true } : {}) }, { cause: err });
}

export function isGone(err: unknown): boolean {
  return err instanceof TelephonyError && err.gone;
}

export function isAllocationFailure(err: unknown): boolean {
  return err instanceof TelephonyError && err.details?.allocationFailed === true;
}
