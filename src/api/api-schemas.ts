import { englishOf } from '../i18n/catalog.js';
import { z } from 'zod';
import { GROUP_BY } from '../stats/link-stats.js';
import {
  canonicalRules,
  DEVICES,
  MAX_CONDITIONS,
  MAX_RULES,
  rulesFromText,
  RulesSchema,
  type RedirectRule,
} from '../links/redirect-rules.js';
import {
  EARLIEST_INSTANT,
  endOfUtcDay,
  formatInstant,
  LATEST_DAY_TEXT,
  LATEST_INSTANT,
  LATEST_INSTANT_TEXT,
  MAX_VISIT_LIMIT,
} from '../links/link-limits.js';
import { cleanText, textProblem, type TextRule } from '../links/link-text.js';
import {
  FORM_FIELDS,
  NOTE_MAX,
  OPTION_NAMES,
  parseUtcDate,
  REDIRECT_STATUSES,
  TITLE_MAX,
  type LinkOptionName,
  type LinkOptions,
  type RedirectStatus,
  type Switch,
} from '../links/link-options.js';
import { LINK_STATES } from '../links/link.js';
import { checkTags, MAX_TAG_LENGTH, MAX_TAGS, tagKey } from '../links/tags.js';
import { PASSWORD_MAX_BYTES, passwordProblem } from '../links/link-password.js';
import { ApiProblem, type FieldError } from './api-problems.js';

/**
 * The API's requests and answers as zod schemas. They validate every request, and the OpenAPI
 * document (`/api/v1/openapi.json`) is generated from them, so the two cannot disagree.
 * Request bodies are strict: an unknown field is a 400, not silently ignored.
 */

const RedirectTypeSchema = z
  .union(
    REDIRECT_STATUSES.map((status) => z.literal(status)) as [
      z.ZodLiteral<302>,
      ...z.ZodLiteral<number>[],
    ],
    {
      error: 'must be 301, 302, 307 or 308',
    },
  )
  .meta({ description: 'The HTTP status of the redirect: 302 (default), 301, 307 or 308.' });

const ExpirySchema = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error:
      'must be a date (2027-12-31: the link works through that day, UTC) or a date-time with an offset',
  })
  .meta({
    description: `When the link stops working: a date (YYYY-MM-DD, the last day it works, UTC) or an ISO 8601 date-time with a zone (the first instant it no longer works). No later than ${LATEST_DAY_TEXT} (UTC): a later one is refused (422).`,
  });

const MaxVisitsSchema = z
  .int({ error: 'must be a whole number' })
  .min(1, { error: 'must be at least 1' })
  .max(MAX_VISIT_LIMIT, { error: `must be at most ${MAX_VISIT_LIMIT}` })
  .meta({
    description:
      "The link stops working after this many visits. Only people's browsers count: bots, link previews and scripts do not use it up.",
  });

const ForwardQuerySchema = z.boolean({ error: 'must be true or false' }).meta({
  description:
    "true (the default for a new link): a visit's query string is added to the target, after the target's own parameters (which are kept, even with the same name) and before its fragment; a result longer than MAX_URL_LENGTH goes to the plain target. false: every visit goes to the target as it is.",
});

/** A link's password as a request sends it: write-only, never in an answer. */
const PasswordSchema = z
  .string({ error: 'must be a string' })
  .check((ctx) => {
    const problem = passwordProblem(ctx.value);
    if (problem !== null) {
      ctx.issues.push({ code: 'custom', message: englishOf(problem), input: ctx.value });
    }
  })
  .meta({
    description: `Write-only. Visitors must give it before they are redirected (a page that asks for it, or HTTP Basic auth with any user name). 1–${PASSWORD_MAX_BYTES} bytes of UTF-8, no control characters. Stored only as a salted scrypt hash; answers say \`hasPassword\` instead.`,
    writeOnly: true,
  });

/** An expiry as the API takes it, in epoch ms: a date works through that UTC day. */
function parseExpiry(value: string, now: number, pointer = '/expiresAt'): number {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value) ? parseUtcDate(value) : null;
  const at = day !== null ? endOfUtcDay(day) : Date.parse(value);
  if (!Number.isFinite(at)) {
    throw new ApiProblem('invalid-request', 'The body has fields to fix.', [
      { pointer, detail: 'is not a date' },
    ]);
  }
  if (at <= now) {
    throw new ApiProblem('refused', 'The expiry has already passed.', [
      { pointer, detail: 'must be in the future' },
    ]);
  }
  if (at > LATEST_INSTANT) {
    throw new ApiProblem('refused', `The expiry is later than ${LATEST_INSTANT_TEXT}.`, [
      { pointer, detail: `must be no later than ${LATEST_INSTANT_TEXT}` },
    ]);
  }
  return at;
}

const StartSchema = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error:
      'must be a date (2027-01-31: from the start of that day, UTC) or a date-time with an offset',
  })
  .meta({
    description: `When the link starts working (Shlink's validSince): a date (YYYY-MM-DD, from the start of that day, UTC) or an ISO 8601 date-time with a zone (the first instant it redirects). Before it the link answers 404 and its state is \`scheduled\`. A past one is kept (the link is active). It must be before \`expiresAt\` (422 otherwise) and no later than ${LATEST_DAY_TEXT} (UTC).`,
  });

/** A start as the API takes it, in epoch ms: a date is the start of that UTC day. */
function parseStart(value: string, pointer = '/startsAt'): number {
  const at = /^\d{4}-\d{2}-\d{2}$/.test(value) ? parseUtcDate(value) : Date.parse(value);
  if (at === null || !Number.isFinite(at)) {
    throw new ApiProblem('invalid-request', 'The body has fields to fix.', [
      { pointer, detail: 'is not a date' },
    ]);
  }
  if (at < EARLIEST_INSTANT || at > LATEST_INSTANT) {
    throw new ApiProblem('refused', `The start is outside 1970 to ${LATEST_INSTANT_TEXT}.`, [
      { pointer, detail: `must be from 1970 to ${LATEST_INSTANT_TEXT}` },
    ]);
  }
  return at;
}

/** A text the owner writes: trimmed, empty is none (null); control and invisible characters refused. */
function textInput(rule: TextRule, description: string) {
  return z
    .string({ error: 'must be a string' })
    .transform((text, context) => {
      const value = cleanText(text, rule);
      const problem = textProblem(value, rule, 'it');
      if (problem === null) return value || null;
      context.addIssue({ code: 'custom', message: problem.replace(/^It can/, 'can') });
      return z.NEVER;
    })
    .meta({
      description: `${description}. At most ${rule.max.toLocaleString('en')} characters, trimmed; empty is none (null). Control and invisible characters are refused.`,
    });
}

/** One link option (src/links/link-options.ts) as `/api/v1` names, takes and answers it. */
type ApiOption<T, In extends z.ZodType = z.ZodType> = {
  /** Its name in requests and answers. */
  field: string;
  /** What a request may send; absent is the option's empty value on creation, unchanged on update. */
  input: In;
  /** An update may send null: the option goes back to its empty value. */
  clearable: boolean;
  /** A valid input as the value at `now`; throws an ApiProblem for one that cannot be set. */
  read: (input: z.output<In>, now: number) => T;
  output: z.ZodType;
  show: (value: T) => unknown;
  /** Shown only to keys of scope `full`; answers to others leave the field out. */
  private?: true;
};

function apiOption<T>() {
  return <In extends z.ZodType>(spec: ApiOption<T, In>) => spec;
}

/**
 * Every link option in `/api/v1`. The `satisfies` makes a new option in the catalogue a type
 * error here until the API names it.
 */
export const API_OPTIONS = {
  redirectStatus: apiOption<RedirectStatus>()({
    field: 'redirectType',
    input: RedirectTypeSchema,
    clearable: false,
    read: (input) => input as RedirectStatus,
    output: z.union(
      REDIRECT_STATUSES.map((s) => z.literal(s)) as [z.ZodLiteral<302>, ...z.ZodLiteral<number>[]],
    ),
    show: (value) => value,
  }),
  expiresAt: apiOption<number | null>()({
    field: 'expiresAt',
    input: ExpirySchema,
    clearable: true,
    read: (input, now) => parseExpiry(input, now),
    output: z.iso
      .datetime()
      .nullable()
      .meta({
        description: `The first instant the link no longer works, at most ${LATEST_INSTANT_TEXT}; null when it never expires (or the stored time is damaged).`,
      }),
    show: (value) => formatInstant(value),
  }),
  maxVisits: apiOption<number | null>()({
    field: 'maxVisits',
    input: MaxVisitsSchema,
    clearable: true,
    read: (input) => input,
    output: z.int().nullable(),
    show: (value) => value,
  }),
  forwardQuery: apiOption<Switch>()({
    field: 'forwardQuery',
    input: ForwardQuerySchema,
    clearable: false,
    read: (input): Switch => (input ? 1 : 0),
    output: z.boolean(),
    show: (value) => value === 1,
  }),
  title: apiOption<string | null>()({
    field: 'title',
    input: textInput(
      { max: TITLE_MAX },
      'A link’s name, shown where it is listed and on its preview',
    ),
    clearable: true,
    read: (input) => input,
    output: z.string().nullable(),
    show: (value) => value,
  }),
  note: apiOption<string | null>()({
    field: 'note',
    input: textInput(
      { max: NOTE_MAX, lines: true },
      'The owner’s own words about the link, line breaks allowed. Private: answered only to keys of scope full (never on a public page)',
    ),
    clearable: true,
    read: (input) => input,
    output: z.string().nullable().optional(),
    show: (value) => value,
    private: true,
  }),
  rules: apiOption<string | null>()({
    field: 'rules',
    input: RulesSchema.meta({
      description: `Redirect rules, in order: the first whose conditions all hold decides the target, otherwise \`url\` does. At most ${MAX_RULES} rules, each with a \`url\` (checked as a link's target is) and 1–${MAX_CONDITIONS} conditions: \`device\` (${DEVICES.join(', ')}), \`language\` (de, de-AT), \`query\` (\`name\`; without \`value\` present with any value, \`""\` present without one, else equal to it), \`before\`/\`after\` (a date-time with its zone, or a date). [] or null removes them.`,
    }),
    clearable: true,
    read: (input) => canonicalRules(input as RedirectRule[]),
    output: z.array(
      z.object({
        url: z.string(),
        conditions: z.array(
          z.object({ type: z.string(), name: z.string().optional(), value: z.string().optional() }),
        ),
      }),
    ),
    show: (value) => {
      const reading = rulesFromText(value);
      return reading.ok ? reading.rules : [];
    },
  }),
  startsAt: apiOption<number | null>()({
    field: 'startsAt',
    input: StartSchema,
    clearable: true,
    read: (input) => parseStart(input),
    output: z.iso.datetime().nullable().meta({
      description:
        'The first instant the link redirects; null when it works from its creation (or the stored time is damaged).',
    }),
    show: (value) => formatInstant(value),
  }),
  crawlable: apiOption<Switch>()({
    field: 'crawlable',
    input: z.boolean({ error: 'must be true or false' }).meta({
      description:
        'true: search engines may index the short link (its redirect leaves out `X-Robots-Tag: noindex`). false (the default, as in Shlink): every redirect asks them not to.',
    }),
    clearable: false,
    read: (input): Switch => (input ? 1 : 0),
    output: z.boolean(),
    show: (value) => value === 1,
  }),
} satisfies { [K in LinkOptionName]: ApiOption<LinkOptions[K]> };

function apiSpec(name: LinkOptionName): ApiOption<unknown> {
  return API_OPTIONS[name] as ApiOption<unknown>;
}

/** The form's field names of the options as the API calls them, for the service's refusals. */
export const API_FIELDS: Record<string, string> = Object.fromEntries(
  OPTION_NAMES.map((name) => [FORM_FIELDS[name], API_OPTIONS[name].field]),
);

/**
 * The options of a request as the link will have them: each sent one read at `now`, null for a
 * clearable one sent as null, and the rest from `base` (the link's, or the empty options).
 */
export function readApiOptions(body: object, base: LinkOptions, now: number): LinkOptions {
  const sent = body as Record<string, unknown>;
  return Object.fromEntries(
    OPTION_NAMES.map((name) => {
      const spec = apiSpec(name);
      const value = sent[spec.field];
      if (value === undefined) return [name, base[name]];
      return [name, value === null ? null : spec.read(value, now)];
    }),
  ) as LinkOptions;
}

/** A link's options as an answer shows them; the private ones only to a `full` key. */
export function showApiOptions(
  options: LinkOptions,
  audience: { full: boolean } = { full: true },
): Record<string, unknown> {
  return Object.fromEntries(
    OPTION_NAMES.filter((name) => audience.full || !apiSpec(name).private).map((name) => [
      apiSpec(name).field,
      apiSpec(name).show(options[name]),
    ]),
  );
}

/** The options' shapes in a request (creation, update) and in an answer. Typed loosely: read
 * through readApiOptions and showApiOptions. */
function optionShape(of: (spec: ApiOption<unknown>) => z.ZodType): Record<never, never> {
  return Object.fromEntries(OPTION_NAMES.map((name) => [apiSpec(name).field, of(apiSpec(name))]));
}

/** A link's tags in a request: the array is checked as a list here, each tag by the service. */
const TagsInputSchema = z
  .array(z.string({ error: 'must be strings' }), { error: 'must be an array of strings' })
  .max(100, { error: `must have at most ${MAX_TAGS} tags` })
  .meta({
    description: `Up to ${MAX_TAGS} tags, each 1–${MAX_TAG_LENGTH} characters once trimmed, without commas or invisible characters. Compared ignoring case (and Unicode normalisation): a tag shows the spelling it was first stored with, on every link; empty ones are dropped; the same tag in two spellings is refused (422).`,
  });

export const CreateLinkSchema = z
  .strictObject({
    url: z
      .string({ error: 'must be a string' })
      .meta({ description: 'The http(s) URL to shorten. The API does not add a missing scheme.' }),
    alias: z
      .string({ error: 'must be a string' })
      .optional()
      .meta({ description: '3–64 of A–Z a–z 0–9 - _. Omitted or empty: a code is generated.' }),
    ...optionShape((spec) => spec.input.optional()),
    tags: TagsInputSchema.optional(),
    reuse: z.boolean({ error: 'must be true or false' }).optional().meta({
      description:
        'true: answer the newest active link to the same URL that the same API key made (200) instead of making another (201). Never a link made without a key or by another key; without a key, a new link is always made. Ignored when a password is sent: a new link is made.',
    }),
    password: PasswordSchema.optional(),
    domain: z
      .string({ error: 'must be a string' })
      .max(300, { error: 'must be a host name' })
      .optional()
      .meta({
        description:
          "The domain the link goes on: the default domain's host or an added domain's (not an alias), in any spelling. Omitted: the default domain. An unknown domain is refused (422).",
      }),
  })
  .meta({ id: 'CreateLink' });

export const UpdateLinkSchema = z
  .strictObject({
    url: z.string({ error: 'must be a string' }).optional(),
    ...optionShape((spec) => (spec.clearable ? spec.input.nullable() : spec.input).optional()),
    tags: TagsInputSchema.optional().meta({
      description: 'Replaces every tag of the link; [] removes them all.',
    }),
    password: PasswordSchema.nullable().optional().meta({
      description:
        'A new password (every unlock given before no longer works), or null to remove it.',
    }),
  })
  .refine((body) => Object.keys(body).length > 0, { error: 'send at least one field to change' })
  .meta({ id: 'UpdateLink', description: 'Fields to change; null clears an expiry.' });

const whole = (name: string, min: number, max: number, fallback: number) =>
  z
    .string({ error: `${name} must be given once` })
    .regex(/^\d{1,9}$/, { error: `${name} must be a whole number` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `${name} must be at least ${min}` })
        .max(max, { error: `${name} must be at most ${max}` }),
    )
    .optional()
    .default(fallback);

export const ListLinksQuerySchema = z.strictObject({
  page: whole('page', 1, 1_000_000, 1).meta({ description: 'The page, from 1.' }),
  perPage: whole('perPage', 1, 100, 20).meta({ description: 'Links per page, 1–100.' }),
  search: z
    .string({ error: 'search must be given once' })
    .max(200, { error: 'search can have at most 200 characters' })
    .optional()
    .default('')
    .meta({ description: 'Part of the code, of the URL or of the title, any case.' }),
  state: z
    .enum(LINK_STATES, { error: `state must be one of ${LINK_STATES.join(', ')}` })
    .optional()
    .meta({ description: 'Only links in this state.' }),
  orderBy: z
    .enum(['created', 'visits'], { error: 'orderBy must be created or visits' })
    .optional()
    .default('created'),
  direction: z
    .enum(['asc', 'desc'], { error: 'direction must be asc or desc' })
    .optional()
    .default('desc'),
  tag: tagFilter('tag').meta({
    description: 'Only links with this tag (any case); repeat it for several (see tagMode).',
  }),
  tagMode: z
    .enum(['any', 'all'], { error: 'tagMode must be any or all' })
    .optional()
    .default('any')
    .meta({ description: 'any: links with at least one of the tags; all: with every one.' }),
  excludeTag: tagFilter('excludeTag').meta({
    description: 'Leave out links with this tag (any case); may be repeated.',
  }),
  domain: z
    .string({ error: 'domain must be one host name, given once' })
    .min(1, { error: 'domain must be one host name, given once' })
    .optional()
    .meta({
      description: 'Only links on this domain (its host, in any spelling); omitted: every domain.',
    }),
});

/** A tag filter of a query, once or repeated, as the keys tags are compared by. */
function tagFilter(name: string) {
  return z
    .union([z.string(), z.array(z.string()).max(MAX_TAGS * 2)], {
      error: `${name} must be a tag, given at most ${MAX_TAGS * 2} times`,
    })
    .optional()
    .transform((value, ctx) => {
      const checked = checkTags(value === undefined ? [] : [value].flat());
      if (!checked.ok) {
        ctx.addIssue({ code: 'custom', message: `${name}: ${englishOf(checked.message)}` });
        return z.NEVER;
      }
      return checked.tags.map(tagKey);
    });
}

export const LinkSchema = z
  .object({
    code: z.string(),
    domain: z.string().meta({
      description:
        "The host of the link's domain: the default domain's (BASE_URL's host, or the host asked without BASE_URL) or an added domain's.",
    }),
    shortUrl: z
      .url()
      .meta({ description: "Always absolute: on the link's domain, with BASE_URL's scheme." }),
    url: z.string().nullable().meta({ description: 'The target; null once the link is deleted.' }),
    ...optionShape((spec) => spec.output),
    tags: z
      .array(z.string())
      .meta({ description: "The link's tags, in the order they were given." }),
    state: z.enum(LINK_STATES),
    visits: z.object({ total: z.int(), lastVisitAt: z.iso.datetime().nullable() }),
    // Null only for a time that was damaged in the database: the row is still listed (ADR 019).
    createdAt: z.iso.datetime().nullable(),
    updatedAt: z.iso.datetime().nullable(),
    hasPassword: z.boolean().meta({
      description: 'Whether visitors must give a password (the password itself is never answered).',
    }),
  })
  .meta({ id: 'Link' });

export const CreatedLinkSchema = LinkSchema.extend({
  manageUrl: z.url().optional().meta({
    description:
      'The private management page of a new link (never of a reused one): whoever has it can change or delete the link.',
  }),
}).meta({ id: 'CreatedLink' });

export const LinkDetailSchema = LinkSchema.extend({
  stats: z.object({
    perDay: z.array(z.object({ day: z.iso.date(), count: z.int() })).meta({
      description: 'Visits per UTC day over the last 30 days; days without visits are left out.',
    }),
    topReferrers: z.array(z.object({ host: z.string(), count: z.int() })).meta({
      description: "Referring hosts, most visits first; '' counts visits without a referrer.",
    }),
  }),
}).meta({ id: 'LinkDetail' });

export const LinkPageSchema = z
  .object({
    data: z.array(LinkSchema),
    pagination: z.object({
      page: z.int(),
      perPage: z.int(),
      totalItems: z.int(),
      totalPages: z.int(),
    }),
  })
  .meta({ id: 'LinkPage' });

export const TagListSchema = z
  .object({
    data: z.array(
      z.object({
        name: z.string().meta({ description: 'The tag as it was first stored.' }),
        links: z.int().meta({ description: 'Links with this tag (deleted links carry none).' }),
        visits: z.int().meta({ description: 'The visits of those links, as last written.' }),
      }),
    ),
  })
  .meta({ id: 'TagList' });

export const ProblemSchema = z
  .object({
    type: z
      .string()
      .meta({ description: 'Stable per kind of error; resolves to its description.' }),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    errors: z
      .array(z.object({ pointer: z.string(), detail: z.string() }))
      .optional()
      .meta({ description: 'The fields to fix, as JSON Pointers into the request.' }),
  })
  .meta({ id: 'Problem' });

export type CreateLinkBody = z.infer<typeof CreateLinkSchema>;
export type UpdateLinkBody = z.infer<typeof UpdateLinkSchema>;
/** A UTC day, YYYY-MM-DD, that exists on the calendar. */
function calendarDay(name: string) {
  return z
    .string({ error: `${name} must be a day, YYYY-MM-DD, given once` })
    .refine(
      (text) =>
        /^\d{4}-\d{2}-\d{2}$/.test(text) &&
        new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) === text,
      { error: `${name} must be a day that exists, YYYY-MM-DD` },
    )
    .optional();
}

/** `GET /api/v1/links/{code}/stats`: a grouping and a range of UTC days. */
export const LinkStatsQuerySchema = z
  .strictObject({
    groupBy: z
      .enum(GROUP_BY, { error: `groupBy must be one of ${GROUP_BY.join(', ')}` })
      .optional()
      .default('day')
      .meta({ description: 'What the entries are: days, or the values of one dimension.' }),
    from: calendarDay('from').meta({
      description: 'The first UTC day, YYYY-MM-DD; 29 days before `to` without it.',
    }),
    to: calendarDay('to').meta({ description: 'The last UTC day, YYYY-MM-DD; today without it.' }),
    domain: z
      .string({ error: 'domain must be one host name, given once' })
      .optional()
      .meta({ description: "The host of the link's domain; omitted: the default domain." }),
  })
  .refine((query) => query.from === undefined || query.to === undefined || query.from <= query.to, {
    error: 'from must not be after to',
    path: ['from'],
  });

export const StatsEntrySchema = z
  .object({
    key: z.string().meta({
      description:
        'A day (YYYY-MM-DD), an ISO country code, a lower-case browser or OS family, desktop/mobile/tablet, a language tag or a referring host; direct, unknown or (other) where no value applies.',
    }),
    visits: z.number().int(),
    uniqueVisitors: z.number().int(),
  })
  .meta({ id: 'StatsEntry' });

export const LinkStatsSchema = z
  .object({
    link: z.string(),
    from: z.string(),
    to: z.string(),
    groupBy: z.enum(GROUP_BY),
    visits: z.number().int(),
    uniqueVisitors: z.number().int(),
    data: z.array(StatsEntrySchema),
  })
  .meta({ id: 'LinkStats' });

/** `GET /api/v1/stats`: the link statistics' grouping and range, over every link. */
export const SiteStatsQuerySchema = z
  .strictObject({
    groupBy: LinkStatsQuerySchema.shape.groupBy,
    from: LinkStatsQuerySchema.shape.from,
    to: LinkStatsQuerySchema.shape.to,
  })
  .refine((query) => query.from === undefined || query.to === undefined || query.from <= query.to, {
    error: 'from must not be after to',
    path: ['from'],
  });

export const SiteStatsSchema = LinkStatsSchema.omit({ link: true }).meta({ id: 'SiteStats' });

export type ListLinksQuery = z.infer<typeof ListLinksQuerySchema>;
export type LinkBody = z.infer<typeof LinkSchema>;

/** zod's issues as the fields to fix, in words that name what each field must be. */
export function fieldErrors(error: z.ZodError, where: 'body' | 'query'): FieldError[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        pointer: `/${[...path, key].join('/')}`,
        detail: `"${key}" is not a field of this ${where === 'body' ? 'request' : 'query'}`,
      }));
    }
    const name = path.at(-1);
    const detail =
      issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
    return [
      {
        pointer: `/${path.join('/')}`,
        detail: where === 'body' && name !== undefined ? `${name} ${detail}` : detail,
      },
    ];
  });
}
