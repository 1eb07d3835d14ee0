import { ConfigError } from '../core/errors';

/** Query values carried on callback URLs (step ids, ring tokens, attempt counters). */
export type UrlQuery = Record<string, string | number | undefined>;

/**
 * Absolute URLs of siaga112's Twilio webhooks, built from PUBLIC_URL. Every
 * URL put into TwiML is absolute: TwiML sent inline through the REST API has
 * no document URL to resolve a relative one against, and a <Gather> without
 * an absolute action would loop to itself.
 */
export class TwilioUrls {
  /** PUBLIC_URL without a trailing slash, e.g. `https://112.example.go.id`. */
  readonly base: string;

  constructor(publicUrl: string) {
    let parsed: URL;
    try {
      parsed = new URL(publicUrl);
    } catch {
      throw new ConfigError(`service.publicUrl "${publicUrl}" is not an absolute URL`, { field: 'service.publicUrl' });
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new ConfigError(`service.publicUrl must be http(s), got ${parsed.protocol}`, { field: 'service.publicUrl' });
    }
    if (parsed.search || parsed.hash) {
      throw new ConfigError('service.publicUrl must not carry a query string or fragment', { field: 'service.publicUrl' });
    }
    // Keep the text as written (host case included): it is what the Twilio number is configured with.
    this.base = publicUrl.replace(/\/+$/, '');
  }

  /** `<base>/twilio/<route>?<query>`, query keys in the given order, undefined values left out. */
  route(route: string, query: UrlQuery = {}): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.append(k, String(v));
    const qs = params.toString();
    return `${this.base}/twilio/${route}${qs ? `?${qs}` : ''}`;
  }

  voice(query?: UrlQuery): string {
    return this.route('voice', query);
  }
  gather(step: string): string {
    return this.route('gather', { step });
  }
  noInput(step: string): string {
    return this.route('no-input', { step });
  }
  /** waitUrl of <Enqueue>; `loop` = the fallback hold loop that redirects to itself. */
  wait(loop = false): string {
    return this.route('wait', loop ? { mode: 'loop' } : {});
  }
  dialAction(query: UrlQuery): string {
    return this.route('dial-action', query);
  }
  operatorStatus(ring: string): string {
    return this.route('operator-status', { ring });
  }
  status(): string {
    return this.route('status');
  }
}
