import { z } from 'zod';
import { configErrorFromIssues, readYamlFile, type YamlSource } from '../../config/yaml-source';
import { GENERAL_CATEGORY, type CategoryId, type LanguageId } from '../types';

/**
 * The IVR menu as data (config/ivr.yaml): languages and their prompts,
 * categories with queue priorities, and what each key does. Checked once at
 * start-up; a bad file stops the service with file, line and fix.
 */

export const PROMPT_IDS = ['greeting', 'menu', 'invalidChoice', 'queued', 'reassurance'] as const;
export type PromptId = (typeof PROMPT_IDS)[number];

/** Prompts a key press may cut short unless the file says otherwise. */
const INTERRUPTIBLE_BY_DEFAULT: ReadonlySet<PromptId> = new Set<PromptId>(['greeting', 'menu', 'invalidChoice']);

export interface IvrPrompt {
  /** ARI media URI for Asterisk: `sound:siaga112/id/greeting` or `recording:...`. */
  sound: string;
  /** What Twilio <Say> reads. */
  text: string;
  /** Audio Twilio <Play>s instead of <Say>, when given. */
  audioUrl?: string;
  /** A key press during this prompt stops it and is acted on (barge-in). */
  interruptible: boolean;
}

export interface IvrLanguage {
  id: LanguageId;
  /** Name in that language: `Bahasa Indonesia`, `English`. */
  name: string;
  /** BCP 47 tag for Twilio <Say language>: `id-ID`, `en-US`. */
  sayLanguage: string;
  /** Twilio <Say voice>, when the default voice is not wanted. */
  voice?: string;
  prompts: Record<PromptId, IvrPrompt>;
}

export interface IvrCategory {
  id: CategoryId;
  /** Queue priority: 1 = most urgent, answered first. */
  priority: number;
  /** Name per language id, for consoles and the wallboard. */
  displayName: Record<LanguageId, string>;
}

export type IvrOption =
  | { digit: string; kind: 'category'; category: CategoryId }
  /** Switch to `language`; pressed while already in it, back to the default language. */
  | { digit: string; kind: 'language'; language: LanguageId };

export interface IvrMenu {
  defaultLanguage: LanguageId;
  inputTimeoutSeconds: number;
  maxRetries: number;
  reassuranceIntervalSeconds: number;
  languages: Record<LanguageId, IvrLanguage>;
  categories: Record<CategoryId, IvrCategory>;
  options: IvrOption[];
}

const ID_LIST = PROMPT_IDS.join(', ');
const seconds = (what: string) =>
  z
    .number({ error: `expected a number of seconds (${what})` })
    .positive(`expected a positive number of seconds (${what}). Fix: set a value above 0`);

const promptSchema = (id: PromptId) =>
  z
    .object(
      {
        sound: z
          .string({ error: 'expected an Asterisk sound such as sound:siaga112/id/greeting' })
          .regex(/^(sound|recording):\S+$/, 'expected an Asterisk sound such as sound:siaga112/id/greeting or recording:name'),
        text: z.string({ error: 'expected the sentence Twilio <Say> reads' }).trim().min(1, 'expected the sentence Twilio <Say> reads, not an empty text'),
        audioUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL of an audio file' }).optional(),
        interruptible: z.boolean({ error: 'expected true or false' }).optional(),
      },
      {
        error: (issue) =>
          issue.input === undefined
            ? `missing prompt ${id}: every language needs ${ID_LIST}. Fix: add ${id} with sound and text for this language`
            : `expected prompt ${id} as a mapping with sound and text`,
      },
    )
    .strict();

const languageSchema = z
  .object(
    {
      name: z.string({ error: 'expected the language name, e.g. Bahasa Indonesia' }).min(1),
      sayLanguage: z
        .string({ error: 'expected a Twilio <Say> language such as id-ID or en-US' })
        .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'expected a Twilio <Say> language such as id-ID or en-US'),
      voice: z.string().min(1).optional(),
      prompts: z
        .object(
          {
            greeting: promptSchema('greeting'),
            menu: promptSchema('menu'),
            invalidChoice: promptSchema('invalidChoice'),
            queued: promptSchema('queued'),
            reassurance: promptSchema('reassurance'),
          },
          { error: `missing prompts: every language needs ${ID_LIST}. Fix: add a prompts mapping` },
        )
        .strict(),
    },
    { error: 'expected a language mapping with name, sayLanguage and prompts' },
  )
  .strict();

const languageId = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]+)?$/, 'expected a language id such as id or en');
const categoryId = z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected a lowercase category id such as fire');

const categorySchema = z
  .object(
    {
      priority: z
        .number({ error: 'expected a priority: a whole number, 1 = most urgent' })
        .int('expected a whole number, 1 = most urgent')
        .min(1, 'expected a priority of 1 (most urgent) or more'),
      displayName: z.record(languageId, z.string().min(1), { error: 'expected displayName as a mapping of language id to name, e.g. { id: Kebakaran, en: Fire }' }),
    },
    { error: 'expected a category mapping with priority and displayName' },
  )
  .strict();

const optionSchema = z
  .object(
    {
      digit: z.preprocess(
        (v) => (typeof v === 'number' ? String(v) : v),
        z.string({ error: "expected a single key: 0-9, '*' or '#'" }).regex(/^[0-9*#]$/, "expected a single key: 0-9, '*' or '#' (quote * and #)"),
      ),
      category: categoryId.optional(),
      language: languageId.optional(),
    },
    { error: 'expected an option such as { digit: 1, category: fire }' },
  )
  .strict();

/** The file's shape plus the checks that span several keys. */
export const ivrMenuSchema = z
  .object({
    defaultLanguage: languageId,
    inputTimeoutSeconds: seconds('how long the caller has to press a key').default(5),
    maxRetries: z
      .number({ error: 'expected a whole number of replays' })
      .int('expected a whole number of replays')
      .min(0, 'expected 0 or more replays')
      .max(5, 'expected at most 5 replays: callers must reach a human fast')
      .default(1),
    reassuranceIntervalSeconds: seconds('between reassurance announcements in the queue').default(10),
    languages: z.record(languageId, languageSchema, { error: 'expected languages as a mapping of language id to its prompts' }),
    categories: z.record(categoryId, categorySchema, { error: 'expected categories as a mapping of category id to priority and displayName' }),
    options: z.array(optionSchema, { error: 'expected options as a list of { digit, category } or { digit, language }' }),
  })
  .strict()
  .superRefine((menu, ctx) => {
    const languages = Object.keys(menu.languages);
    const categories = Object.keys(menu.categories);
    if (languages.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['languages'], message: 'no languages. Fix: add at least one language with its prompts' });
    }
    if (!menu.languages[menu.defaultLanguage]) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultLanguage'],
        message: `default language "${menu.defaultLanguage}" is not one of the languages (${languages.join(', ')}). Fix: add it under languages or choose one of them`,
      });
    }
    if (!menu.categories[GENERAL_CATEGORY]) {
      ctx.addIssue({
        code: 'custom',
        path: ['categories'],
        message: `no "${GENERAL_CATEGORY}" category: calls with no input or a wrong key go there. Fix: add categories.${GENERAL_CATEGORY} with a priority and displayName`,
      });
    }
    for (const [id, category] of Object.entries(menu.categories)) {
      for (const lang of languages) {
        if (!category.displayName[lang]) {
          ctx.addIssue({
            code: 'custom',
            path: ['categories', id, 'displayName'],
            message: `category ${id} has no display name for language ${lang}. Fix: add ${lang}: <name> to its displayName`,
          });
        }
      }
    }
    const firstUse = new Map<string, number>();
    menu.options.forEach((option, i) => {
      const previous = firstUse.get(option.digit);
      if (previous !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['options', i, 'digit'],
          message: `duplicate digit ${option.digit}: already used by options.${previous}. Fix: give each key one meaning`,
        });
      } else {
        firstUse.set(option.digit, i);
      }
      if ((option.category === undefined) === (option.language === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: ['options', i],
          message: `digit ${option.digit} needs exactly one of category or language. Fix: keep one`,
        });
      }
      if (option.category !== undefined && !menu.categories[option.category]) {
        ctx.addIssue({
          code: 'custom',
          path: ['options', i, 'category'],
          message: `unknown category "${option.category}" for digit ${option.digit}. Fix: use one of ${categories.join(', ')} or add it under categories`,
        });
      }
      if (option.language !== undefined && !menu.languages[option.language]) {
        ctx.addIssue({
          code: 'custom',
          path: ['options', i, 'language'],
          message: `unknown language "${option.language}" for digit ${option.digit}. Fix: use one of ${languages.join(', ')} or add it under languages`,
        });
      }
    });
  });

type ParsedMenu = z.infer<typeof ivrMenuSchema>;

function normalise(parsed: ParsedMenu): IvrMenu {
  const languages: Record<LanguageId, IvrLanguage> = {};
  for (const [id, lang] of Object.entries(parsed.languages)) {
    const prompts = {} as Record<PromptId, IvrPrompt>;
    for (const promptId of PROMPT_IDS) {
      const p = lang.prompts[promptId];
      prompts[promptId] = {
        sound: p.sound,
        text: p.text,
        ...(p.audioUrl ? { audioUrl: p.audioUrl } : {}),
        interruptible: p.interruptible ?? INTERRUPTIBLE_BY_DEFAULT.has(promptId),
      };
    }
    languages[id] = { id, name: lang.name, sayLanguage: lang.sayLanguage, ...(lang.voice ? { voice: lang.voice } : {}), prompts };
  }
  const categories: Record<CategoryId, IvrCategory> = {};
  for (const [id, c] of Object.entries(parsed.categories)) {
    categories[id] = { id, priority: c.priority, displayName: { ...c.displayName } };
  }
  const options: IvrOption[] = parsed.options.map((o) =>
    o.category !== undefined ? { digit: o.digit, kind: 'category', category: o.category } : { digit: o.digit, kind: 'language', language: o.language! },
  );
  return {
    defaultLanguage: parsed.defaultLanguage,
    inputTimeoutSeconds: parsed.inputTimeoutSeconds,
    maxRetries: parsed.maxRetries,
    reassuranceIntervalSeconds: parsed.reassuranceIntervalSeconds,
    languages,
    categories,
    options,
  };
}

/** Validate a parsed YAML source; throws ConfigError naming file:line, key and fix for every problem. */
export function ivrMenuFromSource(source: YamlSource): IvrMenu {
  const parsed = ivrMenuSchema.safeParse(source.data);
  if (!parsed.success) throw configErrorFromIssues(parsed.error.issues, { source, label: source.file });
  return normalise(parsed.data);
}

/** Read and validate the IVR menu file (config/ivr.yaml). Throws ConfigError. */
export function loadIvrMenu(file: string): IvrMenu {
  return ivrMenuFromSource(readYamlFile(file));
}

/** A prompt ready to play: what both back ends need, in one language. */
export interface PlayablePrompt {
  sound: string;
  text: string;
  audioUrl?: string;
  language: LanguageId;
  /** Twilio <Say language>. */
  sayLanguage: string;
  /** Twilio <Say voice>, when set. */
  voice?: string;
}

/** A prompt of a validated menu. Unknown language falls back to the default one. */
export function promptFor(menu: IvrMenu, language: LanguageId, promptId: PromptId): PlayablePrompt & { interruptible: boolean } {
  const lang = menu.languages[language] ?? menu.languages[menu.defaultLanguage]!;
  const p = lang.prompts[promptId];
  return {
    sound: p.sound,
    text: p.text,
    ...(p.audioUrl ? { audioUrl: p.audioUrl } : {}),
    language: lang.id,
    sayLanguage: lang.sayLanguage,
    ...(lang.voice ? { voice: lang.voice } : {}),
    interruptible: p.interruptible,
  };
}

/** The "please don't hang up" announcement the queue plays every reassuranceIntervalSeconds. */
export function reassurancePrompt(menu: IvrMenu, language: LanguageId): PlayablePrompt {
  const { interruptible: _ignored, ...prompt } = promptFor(menu, language, 'reassurance');
  return prompt;
}

/** Priority of a category; unknown categories get the general one's (never lost, never first). */
export function categoryPriority(menu: IvrMenu, category: CategoryId): number {
  return (menu.categories[category] ?? menu.categories[GENERAL_CATEGORY]!).priority;
}

/** The option bound to a key, if any. */
export function optionForDigit(menu: IvrMenu, digit: string): IvrOption | undefined {
  return menu.options.find((o) => o.digit === digit);
}
