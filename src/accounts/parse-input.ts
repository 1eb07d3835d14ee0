import type { z } from 'zod';
import { ValidationError, type FieldIssue } from '../core/errors';

/** zod issues as FieldIssues; an unknown key is named as the field itself. */
export function fieldIssues(issues: ReadonlyArray<z.core.$ZodIssue>): FieldIssue[] {
  return issues.flatMap((issue) => {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: base ? `${base}.${key}` : key, message: 'unknown field' }));
    }
    return [{ field: base || '(body)', message: issue.message }];
  });
}

/** Parse untrusted input or throw a ValidationError whose message names every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = fieldIssues(result.error.issues);
  throw new ValidationError(`Invalid ${what}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, issues);
}
