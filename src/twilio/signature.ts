import type { Request, RequestHandler } from 'express';
import twilio from 'twilio';
import { ConfigError, ForbiddenError } from '../core/errors';
import type { Logger } from '../core/logger';

/** A webhook that is not provably from Twilio: refused before any handler runs. */
export class TwilioSignatureError extends ForbiddenError {
  readonly reason: 'missing' | 'invalid';
  constructor(reason: 'missing' | 'invalid') {
    super(reason === 'missing' ? 'X-Twilio-Signature header is missing' : 'X-Twilio-Signature does not match this request');
    this.reason = reason;
  }
}

export interface SignatureOptions {
  /** The account auth token (env TWILIO_AUTH_TOKEN). */
  authToken: string;
  /**
   * PUBLIC_URL as configured on the Twilio number. When set it is the only
   * origin checked: proxies and Host headers cannot change what is validated.
   */
  publicUrl?: string;
  /** Without publicUrl: take X-Forwarded-Proto/Host from a reverse proxy (service.trustProxy). */
  trustProxy: boolean;
  logger?: Logger;
}

function firstHeader(req: Request, name: string): string | undefined {
  const raw = req.headers[name.toLowerCase()];
  const value = Array.isArray(raw) ? raw[0] : raw;
  // A proxy chain appends: the left-most value is what the client (Twilio) used.
  const first = value?.split(',')[0]?.trim();
  return first ? first : undefined;
}

function lowerHost(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i, (_m, scheme: string, authority: string) => scheme + authority.toLowerCase());
}

/**
 * The URLs Twilio may have signed for this request: the origin (PUBLIC_URL,
 * or the request's own protocol and host) plus the original path and query
 * string exactly as received. The host appears as configured and in lower
 * case, since host names are case-insensitive but the signature is not;
 * twilio.validateRequest itself also tries each with and without the port.
 */
/**
 * The origin Twilio used for this request: PUBLIC_URL when configured,
 * otherwise the request's protocol and Host, taken from X-Forwarded-Proto /
 * X-Forwarded-Host only when trustProxy is on.
 */
export function requestOrigin(req: Request, options: Pick<SignatureOptions, 'publicUrl' | 'trustProxy'>): string {
  if (options.publicUrl) return options.publicUrl.replace(/\/+$/, '');
  const socketProto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  const proto = (options.trustProxy ? firstHeader(req, 'x-forwarded-proto') : undefined) ?? socketProto;
  const host = (options.trustProxy ? firstHeader(req, 'x-forwarded-host') : undefined) ?? firstHeader(req, 'host') ?? 'localhost';
  return `${proto}://${host}`;
}

/**
 * The URLs Twilio may have signed for this request: the origin plus the
 * original path and query string exactly as received. The host appears as
 * configured and in lower case, since host names are case-insensitive but
 * the signature is not; twilio.validateRequest itself also tries each with
 * and without the standard port.
 */
export function candidateSignedUrls(req: Request, options: Pick<SignatureOptions, 'publicUrl' | 'trustProxy'>): string[] {
  const exact = requestOrigin(req, options) + req.originalUrl;
  const lowered = lowerHost(exact);
  return lowered === exact ? [exact] : [exact, lowered];
}

/** Form fields as signed: name → string (or the repeated values of a repeated name). */
function formParams(body: unknown): Record<string, string | string[]> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return {};
  const params: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (typeof v === 'string') params[k] = v;
    else if (Array.isArray(v) && v.every((x): x is string => typeof x === 'string')) params[k] = v;
  }
  return params;
}

/** validateRequest parses the URL as a fallback and throws on a malformed Host header: that is a refusal too. */
function safeValidate(authToken: string, signature: string, url: string, params: Record<string, string | string[]>): boolean {
  try {
    return twilio.validateRequest(authToken, signature, url, params);
  } catch {
    return false;
  }
}

/**
 * Express middleware: passes only requests whose X-Twilio-Signature matches
 * the URL Twilio requested and the form-encoded body (parse it first with
 * express.urlencoded). Anything else is a TwilioSignatureError (403) handed
 * to the error handler, so no route handler runs and nothing is recorded.
 */
export function twilioSignatureMiddleware(options: SignatureOptions): RequestHandler {
  if (!options.authToken) throw new ConfigError('twilio.authToken (env TWILIO_AUTH_TOKEN) is required to validate Twilio webhooks');
  return (req, _res, next) => {
    const signature = req.header('x-twilio-signature');
    if (!signature) {
      options.logger?.warn('twilio webhook without signature refused', { path: req.path });
      next(new TwilioSignatureError('missing'));
      return;
    }
    const params = req.is('application/x-www-form-urlencoded') ? formParams(req.body) : {};
    const urls = candidateSignedUrls(req, options);
    const valid = urls.some((url) => safeValidate(options.authToken, signature, url, params));
    if (!valid) {
      options.logger?.warn('twilio webhook with a wrong signature refused', { path: req.path, checked: urls });
      next(new TwilioSignatureError('invalid'));
      return;
    }
    next();
  };
}
