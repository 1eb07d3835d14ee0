import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import { ConfigError, TelephonyError } from '../core/errors';

const TWILIO_API_ORIGIN = /^https:\/\/[a-z0-9.-]*\.twilio\.com/i;

/**
 * The twilio package's own HTTP client, with every request sent to another
 * base URL (config twilio.apiBaseUrl): tests point it at a fake Twilio REST
 * API on loopback. Subclassing RequestClient and passing it as `httpClient`
 * is the package's supported way to replace its transport.
 */
export class BaseUrlRequestClient extends twilio.RequestClient {
  private readonly apiBaseUrl: string;
  constructor(apiBaseUrl: string) {
    super({ autoRetry: false, timeout: 10_000 });
    this.apiBaseUrl = apiBaseUrl.replace(/\/+$/, '');
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    return super.request<TData>({ ...opts, uri: opts.uri.replace(TWILIO_API_ORIGIN, this.apiBaseUrl) });
  }
}

export interface TwilioRestOptions {
  accountSid?: string;
  authToken?: string;
  /** Only for tests and special set-ups; Twilio's own API when absent. */
  apiBaseUrl?: string;
}

/** The Twilio REST client from config.twilio; start-up stops with a ConfigError when credentials are missing. */
export function createTwilioRestClient(options: TwilioRestOptions): twilio.Twilio {
  if (!options.accountSid) throw new ConfigError('twilio.accountSid (env TWILIO_ACCOUNT_SID) is required in twilio mode', { field: 'twilio.accountSid' });
  if (!options.authToken) throw new ConfigError('twilio.authToken (env TWILIO_AUTH_TOKEN) is required in twilio mode', { field: 'twilio.authToken' });
  return twilio(options.accountSid, options.authToken, {
    autoRetry: false,
    ...(options.apiBaseUrl ? { httpClient: new BaseUrlRequestClient(options.apiBaseUrl) } : {}),
  });
}

/**
 * Twilio's answer when the call no longer exists or is no longer live:
 * 404 (20404), or 21220 "Invalid call state" (a completed call cannot be redirected).
 */
export function isCallGoneError(err: unknown): boolean {
  if (!(err instanceof twilio.RestException)) return false;
  return err.status === 404 || err.code === 20404 || err.code === 21220;
}

/** A Twilio REST failure as the project's TelephonyError (gone = the call is over). */
export function toTelephonyError(err: unknown, what: string): TelephonyError {
  const gone = isCallGoneError(err);
  const details: Record<string, unknown> = {};
  if (err instanceof twilio.RestException) {
    details.status = err.status;
    details.twilioCode = err.code;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new TelephonyError(`${what}: ${message}`, gone, details, { cause: err });
}
