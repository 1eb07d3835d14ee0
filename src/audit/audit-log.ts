/** One admin action: who, what, when, and how it ended. */
export interface AuditEntry {
  /** 1, 2, 3 ... in order of recording. */
  id: number;
  /** Epoch ms from the injected clock. */
  at: number;
  /** The account's username. */
  actor: string;
  actorRole: string;
  /** `dialplan.check`, `dialplan.apply`, ... */
  action: string;
  /** ok: done; refused: not allowed (e.g. a dirty check); failed: tried and went wrong. */
  result: 'ok' | 'refused' | 'failed';
  /** What it acted on and what came of it (issues, Asterisk's answer, error message). */
  details: Record<string, unknown>;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

/**
 * The durable audit log of admin actions. Append only: there is no update
 * or delete. Each write is on disk when its promise resolves.
 */
export interface AuditLog {
  record(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Newest first. */
  list(query?: { limit?: number; offset?: number; action?: string }): Promise<AuditEntry[]>;
  close(): Promise<void>;
}

export const AUDIT_RESULTS: ReadonlyArray<AuditEntry['result']> = ['ok', 'refused', 'failed'];
