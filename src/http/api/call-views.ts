import type { IvrMenu } from '../../domain/ivr/menu';
import type { CallRecord, Classification, Location, Outcome } from '../../domain/types';
import type { CallStore } from '../../ports/call-store';

/** How far back the console shows a caller's earlier calls. */
export const HISTORY_DAYS = 30;
const HISTORY_LIMIT = 20;
const DAY_MS = 24 * 3600_000;

/** A call as the console shows it: the record plus names and waiting time. */
export interface CallView {
  id: string;
  callerNumber: string;
  dialedNumber: string;
  state: CallRecord['state'];
  endReason?: CallRecord['endReason'];
  language: string;
  languageName: string;
  category?: string;
  /** Category name per language id (`{ id: 'Medis', en: 'Medical' }`). */
  categoryName?: Record<string, string>;
  priority?: number;
  operatorId?: string;
  location?: Location;
  createdAt: number;
  queuedAt?: number;
  connectedAt?: number;
  endedAt?: number;
  /** Seconds from reaching siaga112 until an operator answered, or until now while nobody has. */
  waitedSeconds: number;
}

/** One earlier call of the same number. */
export interface HistoryEntry {
  callId: string;
  createdAt: number;
  state: CallRecord['state'];
  endReason?: CallRecord['endReason'];
  category?: string;
  classification?: Classification;
  operatorId?: string;
}

export function callView(call: CallRecord, menu: IvrMenu, now: number): CallView {
  const category = call.category ? menu.categories[call.category] : undefined;
  const until = call.connectedAt ?? call.endedAt ?? now;
  return {
    id: call.id,
    callerNumber: call.callerNumber,
    dialedNumber: call.dialedNumber,
    state: call.state,
    ...(call.endReason ? { endReason: call.endReason } : {}),
    language: call.language,
    languageName: menu.languages[call.language]?.name ?? call.language,
    ...(call.category ? { category: call.category } : {}),
    ...(category ? { categoryName: category.displayName } : {}),
    ...(call.priority !== undefined ? { priority: call.priority } : {}),
    ...(call.operatorId ? { operatorId: call.operatorId } : {}),
    ...(call.location ? { location: call.location } : {}),
    createdAt: call.createdAt,
    ...(call.queuedAt !== undefined ? { queuedAt: call.queuedAt } : {}),
    ...(call.connectedAt !== undefined ? { connectedAt: call.connectedAt } : {}),
    ...(call.endedAt !== undefined ? { endedAt: call.endedAt } : {}),
    waitedSeconds: Math.max(0, Math.round((until - call.createdAt) / 1000)),
  };
}

/** The number's other calls in the last HISTORY_DAYS days, newest first, with their classifications. */
export async function callerHistory(store: CallStore, call: CallRecord, now: number): Promise<HistoryEntry[]> {
  const calls = await store.findByCaller(call.callerNumber, { from: now - HISTORY_DAYS * DAY_MS, to: now + 1 });
  const others = calls.filter((c) => c.id !== call.id).slice(0, HISTORY_LIMIT);
  return Promise.all(
    others.map(async (c): Promise<HistoryEntry> => {
      const outcome = await store.getOutcome(c.id);
      return {
        callId: c.id,
        createdAt: c.createdAt,
        state: c.state,
        ...(c.endReason ? { endReason: c.endReason } : {}),
        ...(c.category ? { category: c.category } : {}),
        ...(outcome ? { classification: outcome.classification } : {}),
        ...(c.operatorId ? { operatorId: c.operatorId } : {}),
      };
    }),
  );
}

/** What the operator is handling now, for GET /api/me/call. */
export interface MyCallView {
  /** offered: ringing on the softphone; on_call: connected; wrap_up: ended, outcome due; callback: a callback task taken. */
  phase: 'offered' | 'on_call' | 'wrap_up' | 'callback';
  call: CallView;
  history: HistoryEntry[];
  outcome?: Outcome;
  /** Epoch ms when wrap-up ends by itself (phase wrap_up). */
  wrapUpUntil?: number;
  /** The callback task (phase callback). */
  callbackTaskId?: string;
}
