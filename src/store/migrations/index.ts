import { initialSchema } from './001-initial-schema';
import { assertMigrationOrder, type Migration } from './migration';

export type { Migration } from './migration';
export { assertMigrationOrder } from './migration';

/** Every schema change, oldest first. Append new ones; never edit an applied one. */
export const MIGRATIONS: readonly Migration[] = [initialSchema];

assertMigrationOrder(MIGRATIONS);
