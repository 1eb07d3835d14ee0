import { z } from 'zod';

/** The reasons the console offers; the API accepts any short text (other tools may have their own). */
export const NOT_READY_REASONS = ['break', 'meeting', 'training', 'admin_work', 'other'] as const;

export const notReadySchema = z
  .object({
    reason: z
      .string({ error: 'required: why you are not ready, e.g. break' })
      .trim()
      .min(1, 'required: why you are not ready, e.g. break')
      .max(64, 'expected at most 64 characters')
      .regex(/^[\p{L}\p{N} _.,:/-]+$/u, 'expected letters, digits, spaces or _ . , : / -'),
  })
  .strict();

/** Ids in paths: what the store and dispatcher accept. */
export const idSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'expected an id of 1-100 letters, digits, _ . or -');

export const callbackStatusSchema = z.enum(['open', 'taken', 'done'], { error: 'expected open, taken or done' });
