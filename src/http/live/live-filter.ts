import type { DomainEvent } from '../../domain/events';
import type { Account } from '../../ports/account-store';

/** Decides which domain events one logged-in account receives on the live channel. */
export type LiveFilter = (event: DomainEvent, account: Account) => boolean;

/**
 * Supervisors and admins see every event (the wallboard needs them all).
 * An operator sees their own state and calls, and the callback list's
 * changes; other operators' calls are none of their business.
 */
export const defaultLiveFilter: LiveFilter = (event, account) => {
  if (account.role !== 'operator') return true;
  switch (event.type) {
    case 'callback.created':
    case 'callback.taken':
      return true;
    case 'operator.state':
    case 'operator.softphone':
    case 'wrapup.ended':
    case 'call.offered':
    case 'call.answered':
    case 'call.missed':
      return event.operatorId === account.id;
    case 'call.ended':
      return event.operatorId === account.id;
    default:
      return false;
  }
};
