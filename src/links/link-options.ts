import { englishOf, text, type Text } from '../i18n/catalog.js';
import { z } from 'zod';
import {
  endOfUtcDay,
  exportTime,
  isStorableInstant,
  isVisitLimit,
  lastDayBefore,
  formatInstant,
  LATEST_DAY_TEXT,
  LATEST_INSTANT_TEXT,
  MAX_VISIT_LIMIT,
  parseTimestamp,
  readTime,
  type Reading,
} from './link-limits.js';
import {
  cleanText,
  englishOfSaid,
  textProblem,
  textRefusal,
  type Said,
  type TextKind,
  type TextRule,
} from './link-text.js';
import { canonicalRules, rulesFromLines, rulesFromText, rulesToLines } from './redirect-rules.js';

/**
 * The options a link's owner sets, each declared once, here: the column that stores it, the
 * form field that carries it, the column of snip's export that writes it, and the check the
 * link service makes whatever door it came through. The stores, the forms, the export and the
 * import read this catalogue; `/api/v1` names each option in api/api-schemas.ts, whose table
 * must cover every key of it. Adding an option is an entry here, an entry there, a migration
 * per engine and the views that show it (docs/architecture.md).
 */

export const REDIRECT_STATUSES = [302, 301, 307, 308] as const;
export type RedirectStatus = (typeof REDIRECT_STATUSES)[number];

/**
 * An on/off option as both engines store it: 1 is on, 0 is off. An INTEGER on either engine
 * comes back as the same number, so a row stays a link without mapping (SQLite has no boolean).
 */
export type Switch = 0 | 1;

export type LinkOptionSpec<T> = {
  /** Its column in `urls`, and in `import_rows`, where an import stages its links. */
  column: string;
  /** The column's type on PostgreSQL, for statements that pass a column as an array. */
  sqlType: 'bigint' | 'text';
  /** A link's value when nobody chose one, and a deleted link's when it does not keep it. */
  empty: T;
  /**
   * Whether a deleted link keeps this option. A tombstone keeps its code and nothing its owner
   * gave, so an option that says something about the owner's link is erased to `empty`.
   */
  kept: boolean;
  /** The option in the forms (home page, admin, manage page). */
  form: {
    /** The field's name; its error message is keyed by it too. */
    field: string;
    /** The field's text (absent when the form leaves it out) to the value, with messages. */
    schema: z.ZodType<T, string | undefined>;
    /** What the form says about a value that parsed but cannot be set at `now`; null: nothing. */
    refuseAt?: (value: T, now: number) => Said | null;
    /** The field's text for a stored value, to edit it. */
    show: (value: T) => string;
    /**
     * A checkbox: a browser sends nothing for a box left unticked, as a door that has no such
     * box does. The form therefore also sends the hidden field `marker`; with the marker and
     * without the box, the schema reads `'off'`.
     */
    checkbox?: { marker: string };
  };
  /** The option in snip's export, and how snip's import reads it back. */
  file: {
    column: string;
    write: (value: T) => string;
    /** The trimmed cell; '' is an empty cell. */
    read: (text: string) => Reading<T>;
  };
  /** The link service's last line: a message when the value is one no door may store. */
  check: (value: T) => Said | null;
};

/** Keeps the literal names of a spec (its form field) while checking it against its type. */
function option<T>() {
  return <const S extends LinkOptionSpec<T>>(spec: S): S => spec;
}

/** An optional form field: its text trimmed, '' when it is left out. */
/**
 * The form's own refusals, as Texts. zod carries a message as a string, so a schema says the
 * English and `fieldMessage` finds the Text again by it (a reading's problem stays English).
 */
const FORM_TEXTS = {
  once: text('links.form.once'),
  redirect: text('links.option.redirect'),
  date: text('links.option.date'),
  past: text('links.option.past'),
  visitsNumber: text('links.option.visitsNumber'),
  visitsRange: text('links.option.visitsRange', { max: MAX_VISIT_LIMIT }),
  checkbox: text('links.option.checkbox'),
  startsAt: text('links.option.startsAt', { latest: LATEST_DAY_TEXT }),
  startOrder: text('links.option.startOrder'),
} as const;
const FORM_ENGLISH = Object.fromEntries(
  Object.entries(FORM_TEXTS).map(([name, said]) => [name, englishOf(said)]),
) as Record<keyof typeof FORM_TEXTS, string>;
const WORDED: ReadonlyMap<string, Text> = new Map(
  Object.values(FORM_TEXTS).map((said) => [englishOf(said), said]),
);

const formText = () => z.string().trim().optional().default('');

/** An on/off cell of snip's export as it is read back: empty is on, as for a new link. */
const SWITCH_CELLS: ReadonlyMap<string, Switch> = new Map([
  ['', 1],
  ['true', 1],
  ['1', 1],
  ['false', 0],
  ['0', 0],
]);
export const TITLE_MAX = 200;
export const NOTE_MAX = 1000;

/**
 * A text the owner writes, null when there is none: its column, its form field and its export
 * column share one name. Trimmed; empty is none; `what` names it in messages.
 */
function textOption<const N extends string>(name: N, rule: TextRule, what: TextKind) {
  const read = (text: string): Reading<string | null> => {
    const value = cleanText(text, rule);
    const problem = textProblem(value, rule, what);
    return problem !== null ? { ok: false, problem } : { ok: true, value: value || null };
  };
  return option<string | null>()({
    column: name,
    sqlType: 'text',
    empty: null,
    kept: false,
    form: {
      field: name,
      schema: z
        .string({ error: FORM_ENGLISH.once })
        .optional()
        .default('')
        .transform((text, context) => {
          const reading = read(text);
          if (reading.ok) return reading.value;
          const said = textRefusal(cleanText(text, rule), rule, what) ?? reading.problem;
          context.addIssue({ code: 'custom', message: reading.problem, params: { said } });
          return z.NEVER;
        }),
      show: (value) => value ?? '',
    },
    file: { column: name, write: (value) => value ?? '', read },
    check: (value) => (value === null ? null : textRefusal(value, rule, what)),
  });
}

/** In the order the forms show them, which is also the order of the API's fields. */
export const LINK_OPTIONS = {
  redirectStatus: option<RedirectStatus>()({
    column: 'redirect_status',
    sqlType: 'bigint',
    empty: 302,
    kept: true,
    form: {
      field: 'redirect',
      schema: z
        .string({ error: FORM_ENGLISH.redirect })
        .pipe(
          z.enum(REDIRECT_STATUSES.map(String) as [string, ...string[]], {
            error: FORM_ENGLISH.redirect,
          }),
        )
        .optional()
        .default('302')
        .transform((value) => Number(value) as RedirectStatus),
      show: (value) => String(value),
    },
    file: {
      column: 'redirect_status',
      write: (value) => String(value),
      read: (text) => {
        if (text === '') return { ok: true, value: 302 };
        const status = REDIRECT_STATUSES.find((candidate) => String(candidate) === text);
        return status === undefined
          ? {
              ok: false,
              problem: `“${text}” is not a redirect type (${REDIRECT_STATUSES.join(', ')}).`,
            }
          : { ok: true, value: status };
      },
    },
    check: (value) =>
      REDIRECT_STATUSES.includes(value) ? null : 'Choose one of the redirect types listed.',
  }),
  /** First instant (epoch ms) at which the link no longer redirects. */
  expiresAt: option<number | null>()({
    column: 'expires_at',
    sqlType: 'bigint',
    empty: null,
    kept: false,
    form: {
      field: 'expires_on',
      // A date means "works through that day (UTC)", so it is stored as the start of the next
      // UTC day (for 9999-12-31, the last instant of that day: src/links/link-limits.ts).
      schema: formText()
        .refine((value) => value === '' || parseUtcDate(value) !== null, {
          error: FORM_ENGLISH.date,
        })
        .transform((value) => (value === '' ? null : endOfUtcDay(parseUtcDate(value)!))),
      refuseAt: (value, now) => (value !== null && value <= now ? FORM_TEXTS.past : null),
      show: (value) => expiryDateValue(value),
    },
    file: {
      column: 'expires_at',
      write: exportTime,
      read: readTime,
    },
    check: (value) =>
      value !== null && !isStorableInstant(value)
        ? `The expiry must be a time no later than ${LATEST_INSTANT_TEXT}.`
        : null,
  }),
  maxVisits: option<number | null>()({
    column: 'max_visits',
    sqlType: 'bigint',
    empty: null,
    kept: false,
    form: {
      field: 'max_visits',
      schema: formText()
        .refine((value) => value === '' || /^\d+$/.test(value), {
          error: FORM_ENGLISH.visitsNumber,
        })
        .transform((value) => (value === '' ? null : Number(value)))
        .refine((value) => value === null || (value >= 1 && value <= MAX_VISIT_LIMIT), {
          error: FORM_ENGLISH.visitsRange,
        }),
      show: (value) => (value === null ? '' : String(value)),
    },
    file: {
      column: 'max_visits',
      write: (value) => (value === null ? '' : String(value)),
      read: (text) =>
        text === ''
          ? { ok: true, value: null }
          : /^\d+$/.test(text) && isVisitLimit(Number(text))
            ? { ok: true, value: Number(text) }
            : {
                ok: false,
                problem: `“${text}” is not a visit limit (a whole number from 1 to ${MAX_VISIT_LIMIT.toLocaleString('en')}).`,
              },
    },
    check: (value) =>
      value !== null && !isVisitLimit(value)
        ? `The visit limit must be a whole number from 1 to ${MAX_VISIT_LIMIT.toLocaleString('en')}.`
        : null,
  }),
  /**
   * Whether a visit's query string is added to the target (src/links/query-forwarding.ts).
   * On for a new link in every door, as Shlink's `forwardQuery`; links made before the option
   * existed stay off (its migration).
   */
  forwardQuery: option<Switch>()({
    column: 'forward_query',
    sqlType: 'bigint',
    empty: 1,
    kept: false,
    form: {
      field: 'forwardQuery',
      schema: z
        .string({ error: FORM_ENGLISH.checkbox })
        .pipe(z.enum(['on', 'off'], { error: FORM_ENGLISH.checkbox }))
        .optional()
        .transform((value): Switch => (value === 'off' ? 0 : 1)),
      show: (value) => (value === 1 ? 'on' : 'off'),
      checkbox: { marker: 'forwardQuery_shown' },
    },
    file: {
      column: 'forward_query',
      write: (value) => (value === 1 ? 'true' : 'false'),
      // Empty (or a file from before the option): on, as for every new link.
      read: (text) => {
        const value = SWITCH_CELLS.get(text.toLowerCase());
        return value === undefined
          ? { ok: false, problem: `“${text}” is not true or false.` }
          : { ok: true, value };
      },
    },
    check: (value) => (value === 0 || value === 1 ? null : 'Query forwarding is on or off.'),
  }),
  /** A name for the link, shown where it is listed and on its preview. */
  title: textOption('title', { max: TITLE_MAX }, 'title'),
  /** The owner's own words about the link: shown to the owner and the admin only. */
  note: textOption('note', { max: NOTE_MAX, lines: true }, 'note'),
  /**
   * Redirect rules (src/links/redirect-rules.ts), stored as their canonical JSON text, null for
   * none. The forms write one rule per line; the export writes the JSON. Each rule's target is
   * checked by the URL policy where the link is saved, as the link's own target is.
   */
  rules: option<string | null>()({
    column: 'redirect_rules',
    sqlType: 'text',
    empty: null,
    kept: false,
    form: {
      field: 'rules',
      schema: z
        .string({ error: FORM_ENGLISH.once })
        .optional()
        .default('')
        .transform((text, context) => {
          const reading = rulesFromLines(text);
          if (reading.ok) return canonicalRules(reading.rules);
          context.addIssue({
            code: 'custom',
            message: englishOfSaid(reading.problem),
            params: { said: reading.problem },
          });
          return z.NEVER;
        }),
      show: (value) => {
        const reading = rulesFromText(value);
        return reading.ok ? rulesToLines(reading.rules) : '';
      },
    },
    file: {
      column: 'rules',
      write: (value) => value ?? '',
      read: (text) => {
        const reading = rulesFromText(text);
        return reading.ok
          ? { ok: true, value: canonicalRules(reading.rules) }
          : { ok: false, problem: reading.problem };
      },
    },
    check: (value) => {
      const reading = rulesFromText(value);
      if (!reading.ok) return reading.problem;
      return canonicalRules(reading.rules) === value
        ? null
        : 'Redirect rules are not in their stored form.';
    },
  }),
  /**
   * First instant (epoch ms) at which the link redirects, Shlink's `validSince`; null: from its
   * creation. Before it the link is `scheduled` and answers 404 (ADR 037). The form takes a UTC
   * date (from its midnight) or a UTC date and time; a past one is kept, as the link is simply
   * active. It must come before the expiry (checkLinkLimits).
   */
  startsAt: option<number | null>()({
    column: 'starts_at',
    sqlType: 'bigint',
    empty: null,
    kept: false,
    form: {
      field: 'starts_at',
      schema: formText()
        .refine((value) => value === '' || parseStartTime(value) !== null, {
          error: FORM_ENGLISH.startsAt,
        })
        .transform((value) => (value === '' ? null : parseStartTime(value))),
      show: (value) => startTimeValue(value),
    },
    file: {
      column: 'starts_at',
      write: exportTime,
      read: readTime,
    },
    check: (value) =>
      value !== null && !isStorableInstant(value)
        ? `The start must be a time no later than ${LATEST_INSTANT_TEXT}.`
        : null,
  }),
  /**
   * Whether crawlers may index the link: its redirect leaves out `X-Robots-Tag: noindex`
   * (redirect-response.ts). Off unless its owner says so, in every door, as Shlink's `crawlable`.
   */
  crawlable: option<Switch>()({
    column: 'crawlable',
    sqlType: 'bigint',
    empty: 0,
    kept: false,
    form: {
      field: 'crawlable',
      // Unticked, or a door without the box: off, the default, so it needs no marker.
      schema: z
        .string({ error: FORM_ENGLISH.checkbox })
        .pipe(z.enum(['on', 'off'], { error: FORM_ENGLISH.checkbox }))
        .optional()
        .transform((value): Switch => (value === 'on' ? 1 : 0)),
      show: (value) => (value === 1 ? 'on' : 'off'),
    },
    file: {
      column: 'crawlable',
      write: (value) => (value === 1 ? 'true' : 'false'),
      // Empty (or a file from before the option): off, as for every new link.
      read: (text) => {
        const value = text === '' ? 0 : SWITCH_CELLS.get(text.toLowerCase());
        return value === undefined
          ? { ok: false, problem: `“${text}” is not true or false.` }
          : { ok: true, value };
      },
    },
    check: (value) => (value === 0 || value === 1 ? null : 'Crawling is allowed or not.'),
  }),
};

type Catalogue = typeof LINK_OPTIONS;
export type LinkOptionName = keyof Catalogue;
type ValueOf<S> = S extends LinkOptionSpec<infer T> ? T : never;

/** The options of a link, one value per entry of the catalogue. */
export type LinkOptions = { [K in LinkOptionName]: ValueOf<Catalogue[K]> };

/** The catalogue's entries, in its order. */
export const OPTION_NAMES = Object.keys(LINK_OPTIONS) as LinkOptionName[];

function specOf(name: LinkOptionName): LinkOptionSpec<unknown> {
  return LINK_OPTIONS[name] as LinkOptionSpec<unknown>;
}

/** Every option at its `empty` value: what a door that sets none of them gives. */
export const DEFAULT_OPTIONS = Object.fromEntries(
  OPTION_NAMES.map((name) => [name, specOf(name).empty]),
) as LinkOptions;

/** Just the options of anything that has them (a link, a row), in the catalogue's order. */
export function pickOptions(from: LinkOptions): LinkOptions {
  return Object.fromEntries(OPTION_NAMES.map((name) => [name, from[name]])) as LinkOptions;
}

/** The options a deleted link keeps; the others are back at `empty`. */
export function keptOnDelete(options: LinkOptions): LinkOptions {
  return Object.fromEntries(
    OPTION_NAMES.map((name) => [name, specOf(name).kept ? options[name] : specOf(name).empty]),
  ) as LinkOptions;
}

export type OptionField = Catalogue[LinkOptionName]['form']['field'];
export type OptionErrors = Partial<Record<OptionField, Said>>;

/** The form's field name of each option. */
export const FORM_FIELDS = Object.fromEntries(
  OPTION_NAMES.map((name) => [name, LINK_OPTIONS[name].form.field]),
) as { [K in LinkOptionName]: Catalogue[K]['form']['field'] };

/** The option fields as the forms send them: strings, every one optional. */
export const LinkOptionsFormSchema = z.object(
  Object.fromEntries(OPTION_NAMES.map((name) => [FORM_FIELDS[name], specOf(name).form.schema])),
) as z.ZodObject<{ [K in LinkOptionName]: Catalogue[K]['form']['schema'] }>;

export type LinkOptionsResult =
  { ok: true; options: LinkOptions } | { ok: false; errors: OptionErrors };

/** Parses the option fields of a form body; a value that cannot be set now (a past date) is refused. */
export function parseLinkOptions(body: unknown, now: number): LinkOptionsResult {
  const parsed = LinkOptionsFormSchema.safeParse(withUntickedBoxes(body ?? {}));
  const errors: Record<string, Said> = {};
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as string | undefined;
      if (field && !errors[field]) errors[field] = fieldMessage(issue, body);
    }
    return { ok: false, errors };
  }
  const data = parsed.data as Record<string, unknown>;
  const options = Object.fromEntries(
    OPTION_NAMES.map((name) => [name, data[FORM_FIELDS[name]]]),
  ) as LinkOptions;
  for (const name of OPTION_NAMES) {
    const refusal = specOf(name).form.refuseAt?.(options[name], now) ?? null;
    if (refusal !== null) errors[FORM_FIELDS[name]] = refusal;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, options };
}

/** A form's checkboxes left unticked (their marker sent, the box not) as `'off'`. */
function withUntickedBoxes(body: object): object {
  const fields = body as Record<string, unknown>;
  let result = fields;
  for (const name of OPTION_NAMES) {
    const { field, checkbox } = specOf(name).form;
    if (checkbox === undefined || fields[field] !== undefined) continue;
    if (fields[checkbox.marker] !== undefined) result = { ...result, [field]: 'off' };
  }
  return result;
}

/** The form's text of each option of a stored link, to edit it. */
export function optionFormValues(options: LinkOptions): Record<OptionField, string> {
  return Object.fromEntries(
    OPTION_NAMES.map((name) => [FORM_FIELDS[name], specOf(name).form.show(options[name])]),
  ) as Record<OptionField, string>;
}

/** What the link service refuses to store, in the form's field names; empty when all is well. */
export function checkLinkLimits(options: Partial<LinkOptions>): OptionErrors {
  const errors: Record<string, Said> = {};
  for (const name of OPTION_NAMES) {
    if (!(name in options)) continue;
    const problem = specOf(name).check(options[name]);
    if (problem !== null) errors[FORM_FIELDS[name]] = problem;
  }
  const order = startOrderProblem(options.startsAt, options.expiresAt);
  if (order !== null && errors[FORM_FIELDS.startsAt] === undefined) {
    errors[FORM_FIELDS.startsAt] = order;
  }
  return errors;
}

/** The start must come before the expiry when a link has both; null when it does. */
export function startOrderProblem(
  startsAt: number | null | undefined,
  expiresAt: number | null | undefined,
): Text | null {
  return startsAt != null && expiresAt != null && startsAt >= expiresAt
    ? FORM_TEXTS.startOrder
    : null;
}

/** A repeated field arrives as an array; say so rather than zod's generic type message. */
function fieldMessage(issue: z.core.$ZodIssue, body: unknown): Said {
  const value = (body as Record<PropertyKey, unknown>)[issue.path[0]!];
  if (Array.isArray(value)) return FORM_TEXTS.once;
  const said = issue.code === 'custom' ? (issue.params?.said as Said | undefined) : undefined;
  return said ?? WORDED.get(issue.message) ?? issue.message;
}

/** Epoch ms of 00:00 UTC on a real calendar date written YYYY-MM-DD, else null. */
export function parseUtcDate(value: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const time = Date.UTC(year, month - 1, day);
  const date = new Date(time);
  const real =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return real && year >= 2000 && year <= 9999 ? time : null;
}

/** The form value for a stored expiry: the last day on which the link still works. */
export function expiryDateValue(expiresAt: number | null): string {
  return expiresAt === null ? '' : lastDayBefore(expiresAt);
}

/**
 * A start as the form takes it, in epoch ms: a UTC date (its midnight) or a UTC date and time
 * (YYYY-MM-DDTHH:MM, seconds and a zone optional); null for anything else or a time outside
 * 1970 to the end of 9999.
 */
export function parseStartTime(value: string): number | null {
  return /^\d{4}-\d{2}-\d{2}(?:$|T)/.test(value) ? parseTimestamp(value) : null;
}

/** The form value for a stored start: its UTC date and time, to the minute when it is whole. */
export function startTimeValue(startsAt: number | null): string {
  const iso = formatInstant(startsAt);
  if (iso === null) return '';
  return iso.endsWith(':00.000Z') ? iso.slice(0, 16) : iso.slice(0, 23);
}
