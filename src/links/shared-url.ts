import { z } from 'zod';

/**
 * `GET /?url=…` fills the home form's URL field: the bookmarklet opens it with the page it was
 * clicked on, and a phone's "Share" menu opens it through the web app manifest's share target
 * with `title`, `text` and `url` (Android often puts the address in `text`, after the page's
 * title). Nothing is created by it: the person still presses "Shorten".
 */

/** A query parameter as the query parser gives it: a string, or an array when it is repeated. */
const Param = z
  .union([z.string(), z.array(z.unknown())])
  .optional()
  .transform((value) => {
    const first = Array.isArray(value) ? value[0] : value;
    return typeof first === 'string' ? first : '';
  });

const SharedQuerySchema = z.object({ url: Param, text: Param });

/** An http(s) address in running text, up to the first space or character a URL never has. */
const HTTP_URL_IN_TEXT = /https?:\/\/[^\s<>"'`{}|\\^]+/i;

/** Sentence punctuation that follows an address in text rather than ending it. */
const TRAILING_PUNCTUATION = /[.,;:!?]+$/;

/** The first http(s) URL in `text`, without the punctuation of the sentence it ends; '' if none. */
export function firstHttpUrl(text: string): string {
  const found = HTTP_URL_IN_TEXT.exec(text)?.[0] ?? '';
  let url = found.replace(TRAILING_PUNCTUATION, '');
  // "(see https://a.example/x)": a closing parenthesis the address never opened is the text's.
  while (url.endsWith(')') && count(url, '(') < count(url, ')')) {
    url = url.slice(0, -1).replace(TRAILING_PUNCTUATION, '');
  }
  return URL.canParse(url) ? url : '';
}

function count(text: string, char: string): number {
  return text.split(char).length - 1;
}

/**
 * The value the URL field starts with: `url` when it is an http(s) URL, else the first http(s)
 * URL in `text`, else `url` as it was given (trimmed), so that what is not an address is shown,
 * and refused with the form's own message only when it is sent. '' when the query names nothing.
 */
export function sharedUrlOf(query: unknown): string {
  const parsed = SharedQuerySchema.safeParse(query ?? {});
  if (!parsed.success) return '';
  const url = parsed.data.url.trim();
  if (/^https?:\/\//i.test(url) && URL.canParse(url)) return url;
  return firstHttpUrl(parsed.data.text) || url;
}

/**
 * The bookmarklet: opens this snip's form with the address of the page it is clicked on. It only
 * navigates (a GET of the form, which creates nothing); `origin` is where snip prints its short
 * links, written as a JavaScript string so that no character of it can end the code.
 */
export function bookmarkletFor(origin: string): string {
  return `javascript:void(location.href=${JSON.stringify(`${origin}/?url=`)}+encodeURIComponent(location.href))`;
}
