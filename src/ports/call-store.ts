import type {
  Actor,
  CallRecord,
  CallState,
  CallbackTask,
  Outcome,
  OperatorAccount,
  TimelineEvent,
} from '../domain/types';

/** Fields a new call starts with; the store fills in nothing but what it is given. */
export type NewCallRecord = CallRecord;

/** One entry of a call's timeline, as written (the store numbers it). */
export interface TimelineEventInput {
  at: number;
  type: string;
  actor: Actor;
  data?: Record<string, unknown>;
}

/** A change to a call plus the timeline event that describes it, written together. */
export interface CallUpdate {
  /** The fields that change (never `id`). */
  patch: Partial<Omit<CallRecord, 'id'>>;
  event: TimelineEventInput;
  /**
   * Timeline events that led to this change and belong in the same
   * transaction, before `event` (the key press that queued the call): one
   * commit instead of one per event on the call's path.
   */
  before?: TimelineEventInput[];
  /** Timeline events that follow `event` in the same transaction (what the change set off: `callback.created`). */
  after?: TimelineEventInput[];
  /**
   * A callback task created in the same transaction, for this call: an
   * abandoned caller's end and their callback task are never apart (a crash
   * between two writes would lose the task).
   */
  callback?: CallbackTask;
  /**
   * Compare-and-set: apply only when the call is in this state, else throw
   * ConflictError and change nothing (two instances racing on one call).
   */
  expectState?: CallState;
}

export interface TimeRange {
  /** Inclusive, epoch ms. */
  from: number;
  /** Exclusive, epoch ms. */
  to: number;
}

export interface CallQuery {
  range?: TimeRange;
  callerNumber?: string;
  category?: string;
  classification?: string;
  operatorId?: string;
  limit?: number;
  offset?: number;
}

/**
 * The durable call record. Every write has reached the disk (SQLite: WAL
 * with synchronous=FULL; PostgreSQL: committed) when its promise resolves.
 */
export interface CallStore {
  /**
   * Create the call and its first timeline event (`call.created`), and the
   * events of `after` that follow it (a call created straight into the IVR
   * carries its transition): one transaction. Throws ConflictError if the id
   * exists. Resolves the first event.
   */
  createCall(call: NewCallRecord, event: CallUpdate['event'], after?: TimelineEventInput[]): Promise<TimelineEvent>;
  /**
   * Apply a patch and append its timeline event (with `before`, `after` and
   * `callback`) in one transaction. Throws NotFoundError for an unknown id.
   * Resolves `event` as numbered.
   */
  updateCall(callId: string, update: CallUpdate): Promise<TimelineEvent>;
  /** Append a timeline event without changing the call. */
  appendEvent(callId: string, event: CallUpdate['event']): Promise<TimelineEvent>;
  getCall(callId: string): Promise<CallRecord | undefined>;
  /** Find a call by its PBX channel id or Twilio CallSid. */
  findByChannel(channelId: string): Promise<CallRecord | undefined>;
  getTimeline(callId: string): Promise<TimelineEvent[]>;
  /** Newest first. */
  findByCaller(callerNumber: string, range?: TimeRange): Promise<CallRecord[]>;
  /** Oldest first, by createdAt. */
  findByTimeRange(range: TimeRange): Promise<CallRecord[]>;
  /** Filtered list, newest first. */
  queryCalls(query: CallQuery): Promise<CallRecord[]>;
  /** Calls not yet ended (for restart take-up). */
  findActive(): Promise<CallRecord[]>;

  /** Throws ConflictError when the call already has an outcome. */
  saveOutcome(outcome: Outcome): Promise<void>;
  getOutcome(callId: string): Promise<Outcome | undefined>;

  upsertOperator(operator: OperatorAccount): Promise<void>;
  getOperator(id: string): Promise<OperatorAccount | undefined>;
  listOperators(): Promise<OperatorAccount[]>;

  createCallback(task: CallbackTask): Promise<void>;
  /** Oldest first. */
  listCallbacks(status?: CallbackTask['status']): Promise<CallbackTask[]>;
  /** Atomic: only one operator can take an open task. Throws ConflictError if it is not open. */
  takeCallback(taskId: string, operatorId: string, at: number): Promise<CallbackTask>;
  completeCallback(taskId: string, operatorId: string): Promise<void>;

  /** Cheap round trip for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
