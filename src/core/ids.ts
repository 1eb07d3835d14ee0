import { randomUUID } from 'node:crypto';

/** New random id with a readable prefix: `call_…`, `cb_…`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '')}`;
}
