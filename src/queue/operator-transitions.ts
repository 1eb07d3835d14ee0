import type { OperatorState } from '../domain/types';

/**
 * Which operator state may follow which, as plain JSON-able data: the Lua
 * scripts receive it and refuse a change it does not list before writing
 * anything. Local until src/domain/operator/operator-state.ts lands; then
 * that table replaces this one.
 */
export const OPERATOR_TRANSITIONS: Readonly<Record<OperatorState, readonly OperatorState[]>> = {
  offline: ['not_ready'],
  not_ready: ['ready', 'offline'],
  ready: ['not_ready', 'offered', 'offline'],
  // offered → ready: the caller hung up while it rang, or the reservation lapsed.
  offered: ['on_call', 'not_ready', 'ready'],
  on_call: ['wrap_up'],
  wrap_up: ['ready', 'not_ready'],
};
