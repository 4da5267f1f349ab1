import type { Express } from 'express';
import request from 'supertest';

/**
 * The URL rows of BAD-INPUTS.md that every door refuses with 422, for snip reachable at `ourHost`.
 * One table, so the form and the API are held to exactly the same rows.
 */
export function refusedUrlRows(ourHost: string): [row: string, url: string][] {
  return [
    ['1', 'javascript:alert(document.domain)'],
    ['2', 'JaVaScRiPt:alert(1)'],
    ['3', 'java\tscript:alert(1)'],
    ['4', '\u0001 javascript:alert(1)'],
    ['5', 'data:text/html,<script>alert(1)</script>'],
    ['6', 'file:///etc/passwd'],
    ['7', 'vbscript:msgbox(1)'],
    ['7', 'blob:https://x/1'],
    ['7', 'about:blank'],
    ['7', 'mailto:a@b.c'],
    ['8', 'https://'],
    ['8', 'https://exa mple.com/'],
    ['9', '//evil.example/x'],
    ['11', `https://${ourHost}/abc`],
    ['12', `https://${ourHost.toUpperCase()}./abc`],
    ['12', `https://${ourHost}:443/abc`],
    ['12', `https://user@${ourHost}/abc`],
    ['13', 'https://bit.ly/abc'],
    ['14', 'http://127.0.0.1/'],
    ['14', 'http://2130706433/'],
    ['14', 'http://0x7f.1/'],
    ['14', 'http://127.1/'],
    ['15', 'http://[::1]/'],
    ['15', 'http://[::ffff:127.0.0.1]/'],
    ['15', 'http://10.0.0.1/'],
    ['15', 'http://192.168.1.1/'],
    ['16', 'http://169.254.169.254/latest/meta-data/'],
    ['17', 'http://_api.internal:4280/v1/apps'],
    ['17', 'http://foo.internal/'],
    ['17', 'http://[fdaa::3]/'],
    ['25', 'https://a.example/\r\nSet-Cookie: x=1'],
    ['26', 'https://a.example/\u0000'],
  ];
}

/** A request body that no door can read, and the headers that make it so. */
export type MalformedBody = {
  name: string;
  contentType: string;
  /** The bytes sent, as they are (a string is sent as UTF-8). */
  body: string | Buffer;
  headers?: Record<string, string>;
};

const part = (boundary: string) =>
  `--${boundary}\r\nContent-Disposition: form-data; name="url"\r\n\r\nhttps://a.example/\r\n--${boundary}--\r\n`;

/**
 * Bodies every door must answer with 400, 413 or 415 — never a 5xx, never an error in the log:
 * broken JSON, charsets and encodings the parsers refuse, and multipart that cannot be read.
 */
export const MALFORMED_BODIES: MalformedBody[] = [
  { name: 'broken JSON', contentType: 'application/json', body: '{"url":' },
  {
    name: 'JSON in an unknown charset',
    contentType: 'application/json; charset=bogus',
    body: '{}',
  },
  { name: 'JSON in UTF-16', contentType: 'application/json; charset=utf-16', body: '{}' },
  {
    name: 'gzip that is not gzip',
    contentType: 'application/json',
    body: 'not gzip at all',
    headers: { 'Content-Encoding': 'gzip' },
  },
  {
    name: 'an unknown Content-Encoding',
    contentType: 'application/json',
    body: '{}',
    headers: { 'Content-Encoding': 'bogus' },
  },
  { name: 'multipart without a boundary', contentType: 'multipart/form-data', body: part('b0und') },
  {
    name: 'multipart whose boundary is not in the body',
    contentType: 'multipart/form-data; boundary=elsewhere',
    body: part('b0und'),
  },
  {
    name: 'multipart cut short',
    contentType: 'multipart/form-data; boundary=b0und',
    body: part('b0und').slice(0, 60),
  },
  {
    name: 'multipart with a part without a name',
    contentType: 'multipart/form-data; boundary=b0und',
    body: '--b0und\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b0und--\r\n',
  },
  {
    name: 'multipart with a part without headers',
    contentType: 'multipart/form-data; boundary=b0und',
    body: '--b0und\r\n\r\nx\r\n--b0und--\r\n',
  },
  { name: 'empty multipart', contentType: 'multipart/form-data; boundary=b0und', body: '' },
  {
    name: 'a form in an unknown charset',
    contentType: 'application/x-www-form-urlencoded; charset=bogus',
    body: 'url=https%3A%2F%2Fa.example%2F',
  },
  {
    name: 'a form in UTF-16',
    contentType: 'application/x-www-form-urlencoded; charset=utf-16',
    body: 'url=https%3A%2F%2Fa.example%2F',
  },
  {
    name: 'a form with a byte that is not UTF-8',
    contentType: 'application/x-www-form-urlencoded',
    body: Buffer.from('url=https%3A%2F%2Fa.example%2F&title=caf\xe9&tags=caf\xe9', 'latin1'),
  },
  {
    name: 'a form with an escape that is not UTF-8',
    contentType: 'application/x-www-form-urlencoded',
    body: 'url=https%3A%2F%2Fa.example%2F&title=caf%E9&tags=caf%E9&password=caf%E9',
  },
  {
    name: 'JSON with a byte that is not UTF-8',
    contentType: 'application/json',
    body: Buffer.from('{"url":"https://a.example/","title":"caf\xe9"}', 'latin1'),
  },
];

/** What a door needs to be reached: a key, a link's code or management path, an admin session. */
export type DoorContext = {
  key: string;
  code: string;
  manage: string;
  adminCookie: string;
  /** A password-protected link's code, for its password form; `code` when there is none. */
  locked?: string;
};

/** Every door that reads a request body, as a client reaches it. */
export const BODY_DOORS: {
  door: string;
  method: 'get' | 'post' | 'patch';
  path: (c: DoorContext) => string;
  headers: (c: DoorContext) => Record<string, string>;
}[] = [
  {
    door: '/api/v1 create',
    method: 'post',
    path: () => '/api/v1/links',
    headers: (c) => ({ Authorization: `Bearer ${c.key}` }),
  },
  {
    door: '/api/v1 update',
    method: 'patch',
    path: (c) => `/api/v1/links/${c.code}`,
    headers: (c) => ({ Authorization: `Bearer ${c.key}` }),
  },
  {
    door: 'Shlink /rest/v3',
    method: 'post',
    path: () => '/rest/v3/short-urls',
    headers: (c) => ({ 'X-Api-Key': c.key }),
  },
  {
    door: 'Shlink /rest/v2',
    method: 'post',
    path: () => '/rest/v2/short-urls',
    headers: (c) => ({ 'X-Api-Key': c.key }),
  },
  {
    door: 'Kutt',
    method: 'post',
    path: () => '/api/v2/links',
    headers: (c) => ({ 'X-API-KEY': c.key }),
  },
  { door: 'YOURLS POST', method: 'post', path: () => '/yourls-api.php', headers: () => ({}) },
  { door: 'YOURLS GET', method: 'get', path: () => '/yourls-api.php', headers: () => ({}) },
  {
    door: 'the form',
    method: 'post',
    path: () => '/shorten',
    headers: () => ({ 'Sec-Fetch-Site': 'same-origin' }),
  },
  {
    door: 'management',
    method: 'post',
    path: (c) => c.manage,
    headers: () => ({ 'Sec-Fetch-Site': 'same-origin' }),
  },
  {
    door: 'password form',
    method: 'post',
    path: (c) => `/${c.locked ?? c.code}`,
    headers: () => ({ 'Sec-Fetch-Site': 'same-origin' }),
  },
  {
    door: 'abuse report',
    method: 'post',
    path: (c) => `/report/${c.code}`,
    headers: () => ({ 'Sec-Fetch-Site': 'same-origin' }),
  },
  {
    door: 'admin sign-in',
    method: 'post',
    path: () => '/admin/sign-in',
    headers: () => ({ 'Sec-Fetch-Site': 'same-origin' }),
  },
  {
    door: 'admin action',
    method: 'post',
    path: () => '/admin/keys',
    headers: (c) => ({ 'Sec-Fetch-Site': 'same-origin', Cookie: c.adminCookie }),
  },
];

/** Statuses a malformed body may get: the parser layer's, never a 5xx. */
export const MALFORMED_BODY_STATUSES = [400, 413, 415];

/** pino's numeric level of `warn`: nothing a client sends may be logged above it. */
export const WARN_LEVEL = 40;

/** Sends one malformed body through one door, as raw bytes with exactly the headers given. */
export function sendMalformedBody(
  app: Express,
  door: (typeof BODY_DOORS)[number],
  body: MalformedBody,
  context: DoorContext,
): request.Test {
  return sendRawBody(
    request(app)[door.method](door.path(context)),
    { ...door.headers(context), ...body.headers, 'Content-Type': body.contentType },
    body.body,
  );
}

/**
 * Sends bytes exactly as given. supertest would serialise a Buffer itself (as a form, for a
 * form's Content-Type: `0=117&1=114…`), so serialisation is turned off.
 */
export function sendRawBody(
  test: request.Test,
  headers: Record<string, string>,
  body: string | Buffer,
): request.Test {
  return test
    .set(headers)
    .serialize((bytes: unknown) => bytes as string)
    .send(Buffer.from(body));
}

/** The log lines above `warn`, as messages. */
export function linesAboveWarn(lines: readonly string[]): string[] {
  return lines
    .map((line) => JSON.parse(line) as { level: number; msg?: string; err?: { message?: string } })
    .filter((line) => line.level > WARN_LEVEL)
    .map((line) => `${line.msg ?? ''}: ${line.err?.message ?? ''}`);
}

/**
 * Values of a link's texts (title, note) and of the UTM fields that every door refuses with a
 * 4xx, changing nothing: too long, control characters, characters a reader cannot see. The form
 * and the management page name the field; `/api/v1` points at it.
 */
export const BAD_LINK_TEXTS: [field: string, what: string, value: string][] = [
  ['title', '201 characters', 'x'.repeat(201)],
  ['title', 'a line break', 'one\ntwo'],
  ['title', 'a tab', 'a\tb'],
  ['title', 'NUL', 'a\u0000b'],
  ['title', 'a right-to-left override', 'evil\u202etxt.exe'],
  ['title', 'a zero-width space', 'a\u200bb'],
  ['title', 'a byte-order mark', 'a\ufeffb'],
  ['note', '1,001 characters', 'x'.repeat(1001)],
  ['note', 'a bell', 'ring\u0007'],
  ['note', 'a left-to-right isolate', 'a\u2066b'],
  ['utm_source', '201 characters', 'x'.repeat(201)],
  ['utm_medium', 'a line break', 'a\r\nb'],
  ['utm_campaign', 'a soft hyphen', 'a\u00adb'],
];

/**
 * The rows of BAD_LINK_TEXTS that `/api/v1` takes (it has no UTM builder), and a lone surrogate,
 * which JSON can escape (`"\ud800"`) and a form cannot carry.
 */
export const BAD_API_TEXTS: [field: string, what: string, value: string][] = [
  ...BAD_LINK_TEXTS.filter(([field]) => field === 'title' || field === 'note'),
  ['title', 'a lone surrogate', 'a\ud800b'],
];

/**
 * A link's tags that every door refuses with a 4xx, changing nothing: too long, too many,
 * characters a reader cannot see, one tag in two spellings (case, Unicode normalisation), and
 * U+FFFD, what bytes that are not UTF-8 become. Given as a list; a form joins it with commas.
 */
export const BAD_TAGS: [what: string, tags: string[]][] = [
  ['a tag of 33 characters', ['x'.repeat(33)]],
  ['11 tags', Array.from({ length: 11 }, (_, i) => `t${i + 1}`)],
  ['a control character', ['a\u0007b']],
  ['a zero-width space', ['a\u200bb']],
  ['a right-to-left override', ['evil\u202etxt']],
  ['a no-break space', ['a\u00a0b']],
  ['one tag in two cases', ['Sale', 'sale']],
  ['one tag in two Unicode normalisations', ['caf\u00e9', 'cafe\u0301']],
  ['U+FFFD', ['caf\ufffd']],
];

/** BAD_TAGS, and what only JSON can carry: a comma inside a tag, a lone surrogate, a number. */
export const BAD_API_TAGS: [what: string, tags: unknown][] = [
  ...BAD_TAGS,
  ['a comma inside a tag', ['a,b']],
  ['a lone surrogate', ['a\ud800']],
  ['a number', [1]],
  ['a string, not a list', 'launch'],
];

/** Passwords every door that sets one refuses with a 4xx, changing nothing. */
export const BAD_PASSWORDS: [what: string, password: string][] = [
  ['1,025 bytes', `${'é'.repeat(512)}x`],
  ['a control character', 'bell\u0007'],
  ['a line break', 'new\nline'],
];

/** BAD_PASSWORDS, and what only JSON can carry. `null` is not here: it removes a password. */
export const BAD_API_PASSWORDS: [what: string, password: unknown][] = [
  ...BAD_PASSWORDS,
  ['a lone surrogate', 'a\ud800b'],
  ['a number', 1234],
];
