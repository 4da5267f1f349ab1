import { describe, expect, it } from 'vitest';
import { errorsInEnglish } from '../../src/links/link-text.js';
import {
  DEFAULT_OPTIONS,
  expiryDateValue,
  LINK_OPTIONS,
  LinkOptionsFormSchema,
  optionFormValues,
  parseLinkOptions,
  parseUtcDate,
  type LinkOptions,
} from '../../src/links/link-options.js';

/** 2026-06-15 12:00 UTC: "today" for most tests. */
const NOW = Date.UTC(2026, 5, 15, 12);

const REDIRECT_MESSAGE = 'Choose one of the redirect types listed.';
const DATE_FORMAT_MESSAGE = 'Enter a date as YYYY-MM-DD.';
const PAST_DATE_MESSAGE = 'Choose today or a later date.';
const WHOLE_NUMBER_MESSAGE = 'Enter a whole number of visits, or leave it empty.';
const RANGE_MESSAGE = 'Enter a number of visits from 1 to 1,000,000,000.';
const REPEATED_MESSAGE = 'Send this field once.';

function optionsOf(body: unknown, now = NOW): LinkOptions {
  const result = parseLinkOptions(body, now);
  if (!result.ok) throw new Error(`expected valid options, got ${JSON.stringify(result.errors)}`);
  return result.options;
}

/** The refusals, in English (as the APIs say them). */
function errorsOf(body: unknown, now = NOW): Record<string, string> {
  const result = parseLinkOptions(body, now);
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.options)}`);
  return errorsInEnglish(result.errors);
}

describe('parseLinkOptions: defaults', () => {
  it.each([
    ['no fields at all', {}],
    ['every field empty', { redirect: '302', expires_on: '', max_visits: '' }],
    ['blank date and limit', { expires_on: '   ', max_visits: '  ' }],
    ['no body', undefined],
    ['a null body', null],
  ])('when the form sends %s, then the link is a 302 that never expires', (_, body) => {
    expect(optionsOf(body)).toEqual({
      redirectStatus: 302,
      expiresAt: null,
      maxVisits: null,
      forwardQuery: 1,
      title: null,
      note: null,
      rules: null,
      startsAt: null,
      crawlable: 0,
    });
  });

  it('when the schema parses an empty object, then the redirect defaults to the number 302', () => {
    expect(LinkOptionsFormSchema.parse({})).toEqual({
      redirect: 302,
      expires_on: null,
      max_visits: null,
      forwardQuery: 1,
      title: null,
      note: null,
      rules: null,
      starts_at: null,
      crawlable: 0,
    });
  });
});

describe('parseLinkOptions: redirect type', () => {
  it.each([
    ['301', 301],
    ['302', 302],
    ['307', 307],
    ['308', 308],
  ])('when the redirect is "%s", then the link answers with %i', (redirect, status) => {
    expect(optionsOf({ redirect }).redirectStatus).toBe(status);
  });

  it.each([
    ['303 (not offered)', '303'],
    ['200 (not a redirect)', '200'],
    ['empty', ''],
    ['a word', 'permanent'],
    ['a letter O for a zero', '3O1'],
    ['padded with spaces', ' 301 '],
    ['a number rather than a form string', 301],
  ])('when the redirect is %s, then the form asks to choose a listed type', (_, redirect) => {
    expect(errorsOf({ redirect })).toEqual({ redirect: REDIRECT_MESSAGE });
  });
});

describe('parseLinkOptions: expiry date', () => {
  it('when the date is today, then it is accepted and stored as the start of tomorrow (UTC)', () => {
    expect(optionsOf({ expires_on: '2026-06-15' }).expiresAt).toBe(Date.UTC(2026, 5, 16));
  });

  it('when the date is today and it is the last millisecond of the day, then it is still accepted', () => {
    const lastMoment = Date.UTC(2026, 5, 16) - 1;
    expect(optionsOf({ expires_on: '2026-06-15' }, lastMoment).expiresAt).toBe(lastMoment + 1);
  });

  it.each([
    ['a later date this year', '2026-09-30', Date.UTC(2026, 9, 1)],
    ['the last day of the year', '2026-12-31', Date.UTC(2027, 0, 1)],
    ['a leap day', '2028-02-29', Date.UTC(2028, 2, 1)],
    ['the last day of a 30-day month', '2026-06-30', Date.UTC(2026, 6, 1)],
    ['surrounding spaces', '  2026-07-01 ', Date.UTC(2026, 6, 2)],
  ])('when the date is %s, then it is stored as the start of the next UTC day', (_, day, at) => {
    expect(optionsOf({ expires_on: day }).expiresAt).toBe(at);
  });

  it.each([
    ['yesterday', '2026-06-14', NOW],
    ['long ago', '2001-01-01', NOW],
    ['yesterday, at the first millisecond of today', '2026-06-14', Date.UTC(2026, 5, 15)],
  ])('when the date is %s, then the form asks for today or later', (_, day, now) => {
    expect(errorsOf({ expires_on: day }, now)).toEqual({ expires_on: PAST_DATE_MESSAGE });
  });

  it.each([
    ['February 30th', '2026-02-30'],
    ['month 13', '2026-13-01'],
    ['month 00', '2026-00-10'],
    ['day 00', '2026-06-00'],
    ['day 32', '2026-07-32'],
    ['February 29th of a common year', '2027-02-29'],
    ['a word', 'tomorrow'],
    ['single-digit month and day', '2026-6-1'],
    ['day-first order', '15/06/2026'],
    ['a date with a time', '2026-07-01T00:00'],
    ['a five-digit year', '12026-07-01'],
    ['a year before 2000', '1999-12-31'],
  ])('when the date is %s, then the form asks for YYYY-MM-DD', (_, day) => {
    expect(errorsOf({ expires_on: day })).toEqual({ expires_on: DATE_FORMAT_MESSAGE });
  });
});

describe('parseLinkOptions: maximum visits', () => {
  it.each([
    ['1', 1],
    ['1000000000', 1_000_000_000],
    [' 12 ', 12],
    ['007', 7],
  ])('when the limit is "%s", then it is stored as %i', (maxVisits, stored) => {
    expect(optionsOf({ max_visits: maxVisits }).maxVisits).toBe(stored);
  });

  it.each([
    ['zero', '0'],
    ['one above a billion', '1000000001'],
    ['the largest ten-digit number', '9999999999'],
    ['eleven digits', '10000000000'],
    ['twenty digits', '99999999999999999999'],
    ['three hundred digits', '9'.repeat(300)],
  ])('when the limit is %s, then the form asks for 1 to 1,000,000,000', (_, maxVisits) => {
    expect(errorsOf({ max_visits: maxVisits })).toEqual({ max_visits: RANGE_MESSAGE });
  });

  it.each([
    ['a fraction', '1.5'],
    ['negative', '-3'],
    ['a word', 'ten'],
    ['in exponent notation', '1e3'],
    ['with a thousands separator', '1,000'],
    ['two numbers', '12 34'],
    ['a plus sign', '+5'],
  ])('when the limit is %s, then the form asks for a whole number', (_, maxVisits) => {
    expect(errorsOf({ max_visits: maxVisits })).toEqual({ max_visits: WHOLE_NUMBER_MESSAGE });
  });
});

describe('parseLinkOptions: query forwarding', () => {
  const BOX_MESSAGE = 'Tick the box or leave it unticked.';

  it.each([
    ['a door without the box (no field, no marker)', {}, 1],
    ['the box ticked', { forwardQuery: 'on', forwardQuery_shown: '1' }, 1],
    ['the box ticked, without the marker', { forwardQuery: 'on' }, 1],
    ['the box left unticked (only its marker)', { forwardQuery_shown: '1' }, 0],
    ['the marker empty, the box unticked', { forwardQuery_shown: '' }, 0],
    ['off, as a script may say it', { forwardQuery: 'off' }, 0],
  ])('when the form sends %s, then forwarding is %i', (_, body, forwardQuery) => {
    expect(optionsOf(body).forwardQuery).toBe(forwardQuery);
  });

  it.each([['true'], ['1'], ['yes'], [''], ['ON'], [' on ']])(
    'when the box sends "%s", a value the checkbox never sends, then the form says so',
    (value) => {
      expect(errorsOf({ forwardQuery: value, forwardQuery_shown: '1' })).toEqual({
        forwardQuery: BOX_MESSAGE,
      });
    },
  );

  it('when the box is sent twice, then the form asks for it once', () => {
    expect(errorsOf({ forwardQuery: ['on', 'on'] })).toEqual({
      forwardQuery: 'Send this field once.',
    });
  });

  it('when a stored link is edited, then its forwarding is shown as the box’s value', () => {
    expect(optionFormValues({ ...DEFAULT_OPTIONS, forwardQuery: 1 }).forwardQuery).toBe('on');
    expect(optionFormValues({ ...DEFAULT_OPTIONS, forwardQuery: 0 }).forwardQuery).toBe('off');
  });
});

describe('parseLinkOptions: crawlable', () => {
  it.each([
    ['a door without the box', {}, 0],
    ['the box left unticked (a browser sends nothing)', { forwardQuery_shown: '1' }, 0],
    ['the box ticked', { crawlable: 'on' }, 1],
    ['off, as a script may say it', { crawlable: 'off' }, 0],
  ])('when the form sends %s, then crawlable is %i', (_, body, crawlable) => {
    expect(optionsOf(body).crawlable).toBe(crawlable);
  });

  it.each([['true'], ['1'], ['yes'], [''], ['ON']])(
    'when the box sends "%s", a value the checkbox never sends, then the form says so',
    (value) => {
      expect(errorsOf({ crawlable: value })).toEqual({
        crawlable: 'Tick the box or leave it unticked.',
      });
    },
  );

  it('when a stored link is edited, then the box shows it', () => {
    expect(optionFormValues({ ...DEFAULT_OPTIONS, crawlable: 1 }).crawlable).toBe('on');
    expect(optionFormValues({ ...DEFAULT_OPTIONS, crawlable: 0 }).crawlable).toBe('off');
  });

  it.each([
    ['', 0],
    ['false', 0],
    ['0', 0],
    ['true', 1],
    ['TRUE', 1],
    ['1', 1],
  ])('when snip’s import reads the cell "%s", then crawlable is %i', (cell, value) => {
    expect(LINK_OPTIONS.crawlable.file.read(cell)).toEqual({ ok: true, value });
  });

  it('when the cell is anything else, then the import names it', () => {
    expect(LINK_OPTIONS.crawlable.file.read('yes')).toEqual({
      ok: false,
      problem: '“yes” is not true or false.',
    });
    expect(LINK_OPTIONS.crawlable.file.write(1)).toBe('true');
    expect(LINK_OPTIONS.crawlable.file.write(0)).toBe('false');
  });
});

describe('parseLinkOptions: repeated and combined fields', () => {
  // A form (or a crafted request) that sends a field twice arrives as an array. fieldMessage()
  // looks at the value itself, so the redirect field says so too, although z.enum reports an
  // array as `invalid_value` rather than `invalid_type`.
  it.each([
    ['redirect', ['301', '308']],
    ['expires_on', ['2026-07-01', '2026-07-02']],
    ['max_visits', ['1', '2']],
  ])('when %s is sent twice, then the form says to send it once', (field, values) => {
    expect(errorsOf({ [field]: values })).toEqual({ [field]: REPEATED_MESSAGE });
  });

  it('when every field is wrong, then each field gets its own message', () => {
    expect(errorsOf({ redirect: '303', expires_on: '2026-02-30', max_visits: '0' })).toEqual({
      redirect: REDIRECT_MESSAGE,
      expires_on: DATE_FORMAT_MESSAGE,
      max_visits: RANGE_MESSAGE,
    });
  });

  it('when all fields are valid, then all three options are returned together', () => {
    expect(optionsOf({ redirect: '308', expires_on: '2026-07-01', max_visits: '50' })).toEqual({
      redirectStatus: 308,
      expiresAt: Date.UTC(2026, 6, 2),
      maxVisits: 50,
      forwardQuery: 1,
      title: null,
      note: null,
      rules: null,
      startsAt: null,
      crawlable: 0,
    });
  });

  it('when a field is unknown, then it is ignored', () => {
    expect(optionsOf({ url: 'https://a.example', alias: 'x' }).redirectStatus).toBe(302);
  });
});

describe('parseUtcDate', () => {
  it('when the date is real, then it gives midnight UTC of that day', () => {
    expect(parseUtcDate('2026-06-15')).toBe(Date.UTC(2026, 5, 15));
    expect(parseUtcDate('2000-01-01')).toBe(Date.UTC(2000, 0, 1));
    expect(parseUtcDate('9999-12-31')).toBe(Date.UTC(9999, 11, 31));
  });

  it.each(['2026-02-30', '2026-13-01', 'tomorrow', '', ' 2026-06-15', '2026-06-15 '])(
    'when the text is "%s", then there is no date',
    (text) => {
      expect(parseUtcDate(text)).toBeNull();
    },
  );
});

describe('expiryDateValue', () => {
  it('when the link never expires, then the date field is empty', () => {
    expect(expiryDateValue(null)).toBe('');
  });

  it('when the expiry is the start of a UTC day, then the field shows the day before (the last working day)', () => {
    expect(expiryDateValue(Date.UTC(2026, 6, 1))).toBe('2026-06-30');
  });

  it.each(['2026-06-15', '2026-06-30', '2026-12-31', '2028-02-29', '2027-03-01'])(
    'when %s is saved and the form is shown again, then the same date is filled in',
    (day) => {
      const { expiresAt } = optionsOf({ expires_on: day });
      expect(expiryDateValue(expiresAt)).toBe(day);
    },
  );
});
