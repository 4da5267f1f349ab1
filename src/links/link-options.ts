import { z } from 'zod';
import { endOfUtcDay, lastDayBefore, MAX_VISIT_LIMIT } from './link-limits.js';
import { REDIRECT_STATUSES, type RedirectStatus } from './link.js';

export type LinkOptions = {
  redirectStatus: RedirectStatus;
  expiresAt: number | null;
  maxVisits: number | null;
};

export type OptionField = 'redirect' | 'expires_on' | 'max_visits';
export type OptionErrors = Partial<Record<OptionField, string>>;

/**
 * The link options as the forms send them: strings, every one optional. An expiry date means
 * "works through that day (UTC)", so it is stored as the start of the next UTC day (for
 * 9999-12-31, the last instant of that day: src/links/link-limits.ts).
 */
export const LinkOptionsFormSchema = z.object({
  redirect: z
    .string({ error: 'Choose one of the redirect types listed.' })
    .pipe(
      z.enum(REDIRECT_STATUSES.map(String) as [string, ...string[]], {
        error: 'Choose one of the redirect types listed.',
      }),
    )
    .optional()
    .default('302')
    .transform((value) => Number(value) as RedirectStatus),
  expires_on: z
    .string()
    .trim()
    .optional()
    .default('')
    .refine((value) => value === '' || parseUtcDate(value) !== null, {
      error: 'Enter a date as YYYY-MM-DD.',
    })
    .transform((value) => (value === '' ? null : endOfUtcDay(parseUtcDate(value)!))),
  max_visits: z
    .string()
    .trim()
    .optional()
    .default('')
    .refine((value) => value === '' || /^\d+$/.test(value), {
      error: 'Enter a whole number of visits, or leave it empty.',
    })
    .transform((value) => (value === '' ? null : Number(value)))
    .refine((value) => value === null || (value >= 1 && value <= MAX_VISIT_LIMIT), {
      error: `Enter a number of visits from 1 to ${MAX_VISIT_LIMIT.toLocaleString('en')}.`,
    }),
});

export type LinkOptionsResult =
  { ok: true; options: LinkOptions } | { ok: false; errors: OptionErrors };

/** Parses the option fields of a form body; a date that has already passed is refused. */
export function parseLinkOptions(body: unknown, now: number): LinkOptionsResult {
  const parsed = LinkOptionsFormSchema.safeParse(body ?? {});
  if (!parsed.success) {
    const errors: OptionErrors = {};
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as OptionField | undefined;
      if (field && !errors[field]) errors[field] = fieldMessage(issue, body);
    }
    return { ok: false, errors };
  }
  const { redirect, expires_on: expiresAt, max_visits: maxVisits } = parsed.data;
  if (expiresAt !== null && expiresAt <= now) {
    return { ok: false, errors: { expires_on: 'Choose today or a later date.' } };
  }
  return { ok: true, options: { redirectStatus: redirect, expiresAt, maxVisits } };
}

/** A repeated field arrives as an array; say so rather than zod's generic type message. */
function fieldMessage(issue: z.core.$ZodIssue, body: unknown): string {
  const value = (body as Record<PropertyKey, unknown>)[issue.path[0]!];
  return Array.isArray(value) ? 'Send this field once.' : issue.message;
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
