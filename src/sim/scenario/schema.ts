import { z } from 'zod';

/** Times are seconds (YAML-friendly); fractions allowed. */
const seconds = z.number().min(0);
/** Seconds, or [min, max]: each caller gets its own value in the range (repeatable from its sequence number). */
const secondsOrRange = z.union([seconds, z.tuple([seconds, seconds]).refine(([a, b]) => a <= b, 'expected [min, max] with min <= max')]);

const step = z.union([
  z.strictObject({ wait: seconds }),
  z.strictObject({ dtmf: z.string().regex(/^[0-9A-D*#]+$/, 'digits 0-9, A-D, * or #'), gap: seconds.optional() }),
  z.strictObject({ talk: seconds }),
  z.strictObject({ hangup: z.literal(true) }),
]);

export const callerSchema = z.strictObject({
  /** Caller number; `{n}` is replaced by the caller's sequence number (0001, 0002, ...). */
  from: z.string().min(1),
  name: z.string().optional(),
  exten: z.string().default('112'),
  context: z.string().default('from-pstn'),
  tech: z.enum(['PJSIP', 'Local']).default('PJSIP'),
  headers: z.record(z.string(), z.string()).optional(),
  steps: z.array(step).default([]),
  startWhen: z.enum(['answer', 'enter']).default('answer'),
  abandonAfter: seconds.optional(),
  /** Hangs up this long after reaching the app unless talking to someone by then (gives up waiting in the queue). */
  patience: secondsOrRange.optional(),
  /** Once bridged with someone (an operator), hangs up after this long. */
  talkTime: secondsOrRange.optional(),
  /** First call this many seconds after the scenario starts. */
  at: seconds.default(0),
  /** Repeat every N seconds ... */
  every: z.number().positive().optional(),
  /** ... this many calls in all (default 1 without `every`, unlimited with it). */
  count: z.number().int().positive().optional(),
});

export const endpointSchema = z.strictObject({
  resource: z.string().regex(/^[A-Za-z0-9_.-]+$/),
  registered: z.boolean().default(true),
  contact: z.string().optional(),
  /** What the softphone does when called. */
  behaviour: z.enum(['answer', 'busy', 'no-answer']).default('answer'),
  /** Seconds of ringing before it answers (or rejects, for busy). */
  after: seconds.default(1),
});

export const scenarioSchema = z.strictObject({
  stasisApp: z.string().min(1).optional(),
  /** Prompt durations in seconds, by sound name (without `sound:`). */
  sounds: z.record(z.string(), seconds).optional(),
  /** Unknown sounds play this many seconds, or `fail` like a missing file. */
  unknownSound: z.union([seconds, z.literal('fail')]).optional(),
  endpoints: z.array(endpointSchema).default([]),
  callers: z.array(callerSchema).default([]),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioCaller = z.output<typeof callerSchema>;
export type ScenarioEndpoint = z.output<typeof endpointSchema>;
