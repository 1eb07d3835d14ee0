import { z } from 'zod';
import { ROLES } from '../ports/account-store';
import { MAX_PASSWORD_LENGTH } from './password';

/** Lowercase, so `Op1` and `op1` are one account; doubles as the operator id in call records. */
export const usernameSchema = z
  .string({ error: 'expected a username' })
  .trim()
  .toLowerCase()
  .regex(/^[a-z][a-z0-9._-]{1,31}$/, 'expected 2 to 32 characters: a letter, then letters, digits, . _ or -');

/** Same forms as the operators list of the service configuration. */
export const endpointSchema = z
  .string({ error: 'expected a softphone endpoint' })
  .trim()
  .regex(/^(PJSIP|SIP|IAX2)\/\S+$|^client:\S+$|^sip:\S+$/, 'expected PJSIP/<name>, client:<identity> or sip:<address>')
  .max(200, 'expected at most 200 characters');

export const roleSchema = z.enum(ROLES, { error: 'expected one of operator, supervisor, admin' });

export const displayNameSchema = z.string({ error: 'expected a display name' }).trim().min(1, 'expected a display name').max(100, 'expected at most 100 characters');

/** Strength is checked by passwordProblem(); here only the type and a length bound. */
export const passwordInputSchema = z.string({ error: 'expected a password' }).max(MAX_PASSWORD_LENGTH, `expected at most ${MAX_PASSWORD_LENGTH} characters`);

export const loginSchema = z
  .object({
    username: z.string({ error: 'expected a username' }).trim().toLowerCase().min(1, 'expected a username').max(64, 'expected at most 64 characters'),
    password: z.string({ error: 'expected a password' }).min(1, 'expected a password').max(MAX_PASSWORD_LENGTH, `expected at most ${MAX_PASSWORD_LENGTH} characters`),
  })
  .strict();

export const createAccountSchema = z
  .object({
    username: usernameSchema,
    displayName: displayNameSchema,
    role: roleSchema,
    password: passwordInputSchema,
    endpoint: endpointSchema.optional(),
  })
  .strict();

export const updateAccountSchema = z
  .object({
    displayName: displayNameSchema.optional(),
    role: roleSchema.optional(),
    endpoint: endpointSchema.nullable().optional(),
    disabled: z.boolean({ error: 'expected true or false' }).optional(),
    password: passwordInputSchema.optional(),
  })
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, { message: 'expected at least one of displayName, role, endpoint, disabled, password' });

export type LoginInput = z.infer<typeof loginSchema>;
export type CreateAccountInput = z.infer<typeof createAccountSchema>;
export type UpdateAccountInput = z.infer<typeof updateAccountSchema>;
