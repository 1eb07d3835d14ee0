import { z } from 'zod';
import { ValidationError, type FieldIssue } from '../../core/errors';
import { CLASSIFICATIONS, type CategoryId, type Location, type Outcome } from '../types';

/**
 * The outcome an operator records in wrap-up: what the call really was and
 * who was told. Validated in full so the console can mark every bad field.
 */

export interface Agency {
  /** `police`, `fire`, `ambulance`, `sar`, or an id from config `agencies`. */
  id: string;
  name: string;
  /** Numbers the agency answers on. */
  numbers: string[];
}

/** The agencies 112 unifies, always known. */
export const BUILT_IN_AGENCIES: readonly Agency[] = [
  { id: 'police', name: 'Polisi', numbers: ['110'] },
  { id: 'fire', name: 'Pemadam kebakaran', numbers: ['113'] },
  { id: 'ambulance', name: 'Ambulans', numbers: ['118', '119'] },
  { id: 'sar', name: 'Basarnas (pencarian dan pertolongan)', numbers: ['115'] },
];

/** Built-ins plus extras from config (`agencies: [{ id, name, number }]`); an extra with a built-in id replaces it. */
export function agencyList(extras: ReadonlyArray<{ id: string; name: string; number: string }> = []): Agency[] {
  const byId = new Map<string, Agency>(BUILT_IN_AGENCIES.map((a) => [a.id, { ...a, numbers: [...a.numbers] }]));
  for (const e of extras) byId.set(e.id, { id: e.id, name: e.name, numbers: [e.number] });
  return [...byId.values()];
}

export const MAX_LOCATION_TEXT = 500;
export const MAX_NOTES = 4000;

export interface OutcomeContext {
  /** Category ids of the IVR menu. */
  categories: ReadonlyArray<CategoryId>;
  /** Known agencies: `agencyList(config.agencies)`. */
  agencies: ReadonlyArray<Agency>;
  /** Epoch ms from the injected clock: becomes submittedAt. */
  now: number;
  callId: string;
  operatorId: string;
}

/**
 * Building the schema costs more than using it (every outcome of a flood
 * went through a fresh one): keep one per set of categories and agencies.
 */
const schemas = new Map<string, ReturnType<typeof buildOutcomeSchema>>();

function outcomeSchema(ctx: OutcomeContext): ReturnType<typeof buildOutcomeSchema> {
  const key = `${ctx.categories.join('\n')}\u0000${ctx.agencies.map((a) => a.id).join('\n')}`;
  let schema = schemas.get(key);
  if (!schema) {
    if (schemas.size >= 16) schemas.clear(); // a handful of configurations per process at most
    schema = buildOutcomeSchema(ctx);
    schemas.set(key, schema);
  }
  return schema;
}

function buildOutcomeSchema(ctx: Pick<OutcomeContext, 'categories' | 'agencies'>) {
  const categories = new Set(ctx.categories);
  const agencies = new Set(ctx.agencies.map((a) => a.id));
  const finite = (what: string) => z.number({ error: `expected ${what} as a number` }).refine(Number.isFinite, `expected ${what} as a finite number`);
  return z
    .object(
      {
        confirmedCategory: z
          .string({ error: 'required: the category the call really was' })
          .refine((c) => categories.has(c), { error: (iss) => `unknown category "${String(iss.input)}"; expected one of ${[...categories].join(', ')}` }),
        classification: z.enum(CLASSIFICATIONS, { error: `expected one of ${CLASSIFICATIONS.join(', ')}` }),
        agencies: z
          .array(
            z.string({ error: 'expected an agency id' }).refine((a) => agencies.has(a), { error: (iss) => `unknown agency "${String(iss.input)}"; expected one of ${[...agencies].join(', ')}` }),
            { error: 'expected a list of agency ids' },
          )
          .superRefine((list, rc) => {
            list.forEach((a, i) => {
              if (list.indexOf(a) !== i) rc.addIssue({ code: 'custom', path: [i], message: `agency "${a}" is listed twice` });
            });
          })
          .default([]),
        location: z
          .object(
            {
              text: z.string({ error: 'expected text' }).trim().max(MAX_LOCATION_TEXT, `expected at most ${MAX_LOCATION_TEXT} characters`).optional(),
              latitude: finite('latitude').pipe(z.number().min(-90, 'expected a latitude from -90 to 90').max(90, 'expected a latitude from -90 to 90')).optional(),
              longitude: finite('longitude').pipe(z.number().min(-180, 'expected a longitude from -180 to 180').max(180, 'expected a longitude from -180 to 180')).optional(),
              accuracyM: finite('accuracy in metres').pipe(z.number().min(0, 'expected 0 or more metres')).optional(),
              source: z.string({ error: 'expected text' }).min(1).max(50, 'expected at most 50 characters').optional(),
            },
            { error: 'expected a location object with text, latitude, longitude' },
          )
          .strict()
          .superRefine((loc, rc) => {
            if ((loc.latitude === undefined) !== (loc.longitude === undefined)) {
              const missing = loc.latitude === undefined ? 'latitude' : 'longitude';
              rc.addIssue({ code: 'custom', path: [missing], message: 'give latitude and longitude together, or neither' });
            }
          })
          .optional(),
        notes: z.string({ error: 'expected text' }).max(MAX_NOTES, `expected at most ${MAX_NOTES} characters`).default(''),
      },
      { error: 'expected an outcome object' },
    )
    .strict();
}

function fieldIssues(issues: ReadonlyArray<z.core.$ZodIssue>): FieldIssue[] {
  return issues.flatMap((issue): FieldIssue[] => {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({ field: base ? `${base}.${k}` : k, message: 'unknown field' }));
    }
    return [{ field: base || '(body)', message: issue.message }];
  });
}

/** Check an outcome from the console. Throws ValidationError listing every bad field (field + message). */
export function validateOutcome(input: unknown, ctx: OutcomeContext): Outcome {
  const parsed = outcomeSchema(ctx).safeParse(input);
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error.issues);
    throw new ValidationError(`The outcome is not valid: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, issues);
  }
  const v = parsed.data;
  let location: Location | undefined;
  if (v.location) {
    const l = v.location;
    const has = (l.text !== undefined && l.text !== '') || l.latitude !== undefined;
    if (has) {
      location = {
        ...(l.text ? { text: l.text } : {}),
        ...(l.latitude !== undefined && l.longitude !== undefined ? { latitude: l.latitude, longitude: l.longitude } : {}),
        ...(l.accuracyM !== undefined ? { accuracyM: l.accuracyM } : {}),
        source: l.source ?? 'operator',
      };
    }
  }
  return {
    callId: ctx.callId,
    operatorId: ctx.operatorId,
    confirmedCategory: v.confirmedCategory,
    classification: v.classification,
    agencies: v.agencies,
    ...(location ? { location } : {}),
    notes: v.notes,
    submittedAt: ctx.now,
  };
}
