import { Siaga112Error, errorMessage } from '../core/errors';

/** A schema migration failed; nothing of it was applied (it ran in a transaction). */
export class MigrationError extends Siaga112Error {
  constructor(version: number, name: string, cause: unknown) {
    super('store_migration_failed', `store migration ${version} (${name}) failed: ${errorMessage(cause)}`, 500, { version, name }, { cause });
  }
}

/** The database was written by a newer siaga112 than this one. */
export class SchemaTooNewError extends Siaga112Error {
  constructor(found: number, known: number) {
    super(
      'store_schema_too_new',
      `the call-record database has schema version ${found} but this siaga112 knows only up to ${known}: run the newer siaga112 or restore a matching backup`,
      500,
      { found, known },
    );
  }
}
