import type { Migration } from './migration';

/**
 * calls, their append-only timeline, outcomes, operators and callback
 * tasks. `calls.last_seq` is the timeline counter: appending bumps it in the
 * same transaction, so the row lock orders concurrent appends.
 */
export const initialSchema: Migration = {
  version: 1,
  name: 'initial-schema',
  sqlite: `
    CREATE TABLE calls (
      id            TEXT PRIMARY KEY,
      backend       TEXT NOT NULL,
      caller_number TEXT NOT NULL,
      dialed_number TEXT NOT NULL,
      trunk         TEXT,
      channel_id    TEXT,
      pbx_unique_id TEXT,
      state         TEXT NOT NULL,
      end_reason    TEXT,
      language      TEXT NOT NULL,
      category      TEXT,
      priority      INTEGER,
      operator_id   TEXT,
      location      TEXT,
      created_at    INTEGER NOT NULL,
      queued_at     INTEGER,
      connected_at  INTEGER,
      ended_at      INTEGER,
      updated_at    INTEGER NOT NULL,
      last_seq      INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX calls_caller_created ON calls (caller_number, created_at);
    CREATE INDEX calls_created ON calls (created_at);
    CREATE INDEX calls_channel ON calls (channel_id);
    CREATE INDEX calls_operator_created ON calls (operator_id, created_at);
    CREATE INDEX calls_active ON calls (created_at) WHERE state <> 'ended';

    CREATE TABLE call_timeline (
      call_id TEXT NOT NULL REFERENCES calls (id),
      seq     INTEGER NOT NULL,
      at      INTEGER NOT NULL,
      type    TEXT NOT NULL,
      actor   TEXT NOT NULL,
      data    TEXT NOT NULL,
      PRIMARY KEY (call_id, seq)
    ) STRICT;
    CREATE TRIGGER call_timeline_no_update BEFORE UPDATE ON call_timeline
      BEGIN SELECT RAISE(ABORT, 'call_timeline is append-only'); END;
    CREATE TRIGGER call_timeline_no_delete BEFORE DELETE ON call_timeline
      BEGIN SELECT RAISE(ABORT, 'call_timeline is append-only'); END;

    CREATE TABLE outcomes (
      call_id            TEXT PRIMARY KEY REFERENCES calls (id),
      operator_id        TEXT NOT NULL,
      confirmed_category TEXT NOT NULL,
      classification     TEXT NOT NULL,
      agencies           TEXT NOT NULL,
      location           TEXT,
      notes              TEXT NOT NULL,
      submitted_at       INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX outcomes_classification ON outcomes (classification);

    CREATE TABLE operators (
      id           TEXT PRIMARY KEY,
      display_name TEXT NOT NULL,
      endpoint     TEXT NOT NULL
    ) STRICT;

    CREATE TABLE callback_tasks (
      id            TEXT PRIMARY KEY,
      call_id       TEXT NOT NULL REFERENCES calls (id),
      caller_number TEXT NOT NULL,
      created_at    INTEGER NOT NULL,
      status        TEXT NOT NULL CHECK (status IN ('open', 'taken', 'done')),
      taken_by      TEXT,
      taken_at      INTEGER
    ) STRICT;
    CREATE INDEX callback_tasks_status_created ON callback_tasks (status, created_at);
    CREATE INDEX callback_tasks_call ON callback_tasks (call_id);
  `,
  postgres: `
    CREATE TABLE calls (
      id            TEXT PRIMARY KEY,
      backend       TEXT NOT NULL,
      caller_number TEXT NOT NULL,
      dialed_number TEXT NOT NULL,
      trunk         TEXT,
      channel_id    TEXT,
      pbx_unique_id TEXT,
      state         TEXT NOT NULL,
      end_reason    TEXT,
      language      TEXT NOT NULL,
      category      TEXT,
      priority      INTEGER,
      operator_id   TEXT,
      location      JSONB,
      created_at    BIGINT NOT NULL,
      queued_at     BIGINT,
      connected_at  BIGINT,
      ended_at      BIGINT,
      updated_at    BIGINT NOT NULL,
      last_seq      INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX calls_caller_created ON calls (caller_number, created_at);
    CREATE INDEX calls_created ON calls (created_at);
    CREATE INDEX calls_channel ON calls (channel_id);
    CREATE INDEX calls_operator_created ON calls (operator_id, created_at);
    CREATE INDEX calls_active ON calls (created_at) WHERE state <> 'ended';

    CREATE TABLE call_timeline (
      call_id TEXT NOT NULL REFERENCES calls (id),
      seq     INTEGER NOT NULL,
      at      BIGINT NOT NULL,
      type    TEXT NOT NULL,
      actor   JSONB NOT NULL,
      data    JSONB NOT NULL,
      PRIMARY KEY (call_id, seq)
    );
    CREATE FUNCTION call_timeline_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'call_timeline is append-only'; END;
    $$;
    CREATE TRIGGER call_timeline_no_change BEFORE UPDATE OR DELETE ON call_timeline
      FOR EACH ROW EXECUTE FUNCTION call_timeline_append_only();

    CREATE TABLE outcomes (
      call_id            TEXT PRIMARY KEY REFERENCES calls (id),
      operator_id        TEXT NOT NULL,
      confirmed_category TEXT NOT NULL,
      classification     TEXT NOT NULL,
      agencies           JSONB NOT NULL,
      location           JSONB,
      notes              TEXT NOT NULL,
      submitted_at       BIGINT NOT NULL
    );
    CREATE INDEX outcomes_classification ON outcomes (classification);

    CREATE TABLE operators (
      id           TEXT PRIMARY KEY,
      display_name TEXT NOT NULL,
      endpoint     TEXT NOT NULL
    );

    CREATE TABLE callback_tasks (
      id            TEXT PRIMARY KEY,
      call_id       TEXT NOT NULL REFERENCES calls (id),
      caller_number TEXT NOT NULL,
      created_at    BIGINT NOT NULL,
      status        TEXT NOT NULL CHECK (status IN ('open', 'taken', 'done')),
      taken_by      TEXT,
      taken_at      BIGINT
    );
    CREATE INDEX callback_tasks_status_created ON callback_tasks (status, created_at);
    CREATE INDEX callback_tasks_call ON callback_tasks (call_id);
  `,
};
