import { z } from 'zod';
import { ValidationError } from '../core/errors';

/**
 * zod schemas of the form fields Twilio posts to each webhook (only the
 * fields siaga112 reads; Twilio adds more, which are ignored). A webhook
 * that fails them gets 400 with each bad field named.
 */
const callSid = z.string({ error: 'expected a Twilio CallSid (CA + 32 hex digits)' }).regex(/^CA[0-9a-fA-F]{32}$/, 'expected a Twilio CallSid (CA + 32 hex digits)');
const accountSid = z.string({ error: 'expected a Twilio AccountSid (AC + 32 hex digits)' }).regex(/^AC[0-9a-fA-F]{32}$/, 'expected a Twilio AccountSid (AC + 32 hex digits)');
const CALL_STATUSES = ['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled'] as const;
const callStatus = z.enum(CALL_STATUSES, { error: `expected a CallStatus: ${CALL_STATUSES.join(', ')}` });
/** From/To: E.164, client:..., sip:..., or whatever the carrier passed for a withheld number ("anonymous"). */
const party = z.string({ error: 'expected a number or address' }).min(1, 'expected a number or address').max(256);
const optionalInt = z.coerce.number({ error: 'expected a whole number' }).int('expected a whole number').min(0).optional();

export const callParamsSchema = z.object({
  CallSid: callSid,
  AccountSid: accountSid,
  From: party,
  To: party,
  CallStatus: callStatus,
  Direction: z.string().optional(),
});

export const voiceParamsSchema = callParamsSchema.extend({
  FromCountry: z.string().optional(),
  FromCity: z.string().optional(),
  FromState: z.string().optional(),
  CallerName: z.string().optional(),
});

export const gatherParamsSchema = callParamsSchema.extend({
  Digits: z.string({ error: 'expected the key pressed (Digits)' }).regex(/^[0-9*#]$/, 'expected one key: 0-9, * or #'),
});

export const waitParamsSchema = callParamsSchema.extend({
  QueueTime: optionalInt,
});

const DIAL_STATUSES = ['completed', 'answered', 'busy', 'no-answer', 'failed', 'canceled'] as const;
export const dialActionParamsSchema = callParamsSchema.extend({
  DialCallStatus: z.enum(DIAL_STATUSES, { error: `expected a DialCallStatus: ${DIAL_STATUSES.join(', ')}` }),
  DialCallSid: callSid.optional(),
  DialCallDuration: optionalInt,
});

export const statusParamsSchema = callParamsSchema.extend({
  CallDuration: optionalInt,
  SequenceNumber: optionalInt,
  Timestamp: z.string().optional(),
});

/** The operator leg's status callback: CallSid is the leg, ParentCallSid the caller. */
export const legStatusParamsSchema = callParamsSchema.extend({
  ParentCallSid: callSid,
});

/** Query values the router put on its own callback URLs. */
export const stepQuerySchema = z.object({ step: z.string({ error: 'expected the IVR step id' }).regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected the IVR step id') });
export const ringQuerySchema = z.object({ ring: z.string({ error: 'expected the ring token' }).regex(/^ring_[0-9a-f]{32}$/, 'expected the ring token') });

/** Parse or throw a ValidationError naming each bad field (`body.CallSid`, `query.step`). */
export function parseWebhook<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query'): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ field: [where, ...i.path.map(String)].join('.'), message: i.message }));
  throw new ValidationError(`malformed Twilio webhook: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, issues);
}
