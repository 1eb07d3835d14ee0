/**
 * One AMI TCP connection: login state, event mask and filters, and the
 * writer that can delay responses (fault control).
 */
import type { Socket } from 'node:net';
import type { Clock } from '../../core/clock';
import { getHeader, serializeMessage, type AmiField } from './message';

export type EventMask = 'all' | 'none' | Set<string>;

/** `on`/`off`/`call,system,...` as Login's `Events:` and the `Events` action take it. */
export function parseEventMask(value: string): EventMask {
  const v = value.trim().toLowerCase();
  if (v === 'on' || v === 'all' || v === 'yes' || v === 'true') return 'all';
  if (v === 'off' || v === 'no' || v === 'false' || v === '') return 'none';
  return new Set(v.split(',').map((s) => s.trim()).filter((s) => s !== ''));
}

export class AmiSession {
  authenticated = false;
  user?: string;
  eventMask: EventMask = 'all';
  readonly includeFilters: RegExp[] = [];
  readonly excludeFilters: RegExp[] = [];
  readonly startedAt: number;
  readonly id: string;
  closed = false;

  constructor(
    readonly socket: Socket,
    private readonly clock: Clock,
    private readonly responseDelay: () => number,
    id: number,
  ) {
    this.startedAt = clock.now();
    this.id = `0x${(0x7f5dc4011c70 + id * 0x40).toString(16)}`;
  }

  write(fields: readonly AmiField[]): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(serializeMessage(fields));
  }

  writeRaw(text: string): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(text);
  }

  /** Write an action's answer, after the configured response delay if any. */
  writeResponse(fields: readonly AmiField[]): void {
    const delay = this.responseDelay();
    if (delay > 0) this.clock.setTimer(delay, () => this.write(fields));
    else this.write(fields);
  }

  /** Whether an event (with its Privilege line) passes this session's mask and filters. */
  wantsEvent(fields: readonly AmiField[], text: string): boolean {
    if (!this.authenticated) return false;
    if (this.eventMask === 'none') return false;
    if (this.eventMask !== 'all') {
      const privilege = getHeader(fields, 'Privilege') ?? '';
      const cats = privilege.split(',').filter((c) => c !== 'all');
      if (!cats.some((c) => (this.eventMask as Set<string>).has(c))) return false;
    }
    if (this.includeFilters.length > 0 && !this.includeFilters.some((r) => r.test(text))) return false;
    if (this.excludeFilters.some((r) => r.test(text))) return false;
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
  }
}
