/**
 * One numbered schema change. The two dialects keep separate SQL because
 * their types (INTEGER/TEXT vs BIGINT/JSONB) and trigger syntax differ;
 * they must describe the same tables.
 */
export interface Migration {
  /** 1, 2, 3 ... applied in this order, each exactly once. */
  version: number;
  /** Short kebab-case description, stored in schema_migrations. */
  name: string;
  sqlite: string;
  postgres: string;
}

/** Throws when versions are not 1, 2, 3 ... in order (a programming error). */
export function assertMigrationOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}: versions must run 1, 2, 3 ... without gaps`);
    }
  });
}
