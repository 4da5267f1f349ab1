import { PRODUCTION_ENV, createRequest } from './snip-process.js';
import { STACK_TRACE, describeOutcome, send, sendRaw, type Outcome } from './http-outcome.js';

/**
 * Rows of ../shared/docs/BAD-INPUTS.md that the form and the redirect path answer, sent to a
 * real process while a fault is on: each must get its 4xx — never a 5xx, a stack trace or an
 * unescaped script. The fast suite checks every row in detail (test/http/bad-inputs.test.ts);
 * here they show that a fault does not turn a refusal into a crash.
 */
export type BadInput = {
  row: string;
  send: (port: number) => Promise<Outcome>;
  expected: readonly number[];
};

const OWN_HOST = new URL(PRODUCTION_ENV.BASE_URL).host;

const form = (row: string, url: string, alias = '', expected = [422]): BadInput => ({
  row,
  send: (port) => send(port, createRequest(url, alias)),
  expected,
});

const get = (row: string, path: string, expected: number[], headers = {}): BadInput => ({
  row,
  send: (port) => send(port, { path, headers }),
  expected,
});

const post = (
  row: string,
  path: string,
  headers: Record<string, string>,
  body: string,
  expected: number[],
): BadInput => ({
  row,
  send: (port) => send(port, { method: 'POST', path, headers, body }),
  expected,
});

const FORM_TYPE = { 'Content-Type': 'application/x-www-form-urlencoded' };
const SAME_ORIGIN = { ...FORM_TYPE, 'Sec-Fetch-Site': 'same-origin' };

export const BAD_INPUTS: readonly BadInput[] = [
  form('1', 'javascript:alert(document.domain)'),
  form('2', 'JaVaScRiPt:alert(1)'),
  form('3', 'java\tscript:alert(1)'),
  form('4', '\u0001 javascript:alert(1)'),
  form('5', 'data:text/html,<script>alert(1)</script>'),
  form('6', 'file:///etc/passwd'),
  form('7', 'vbscript:msgbox(1)'),
  form('7', 'blob:https://x/1'),
  form('7', 'mailto:a@b.c'),
  form('8', 'https://'),
  form('8', 'https://exa mple.com/'),
  form('9', '//evil.example/x'),
  form('11', `https://${OWN_HOST}/abc`),
  form('12', `https://${OWN_HOST.toUpperCase()}./abc`),
  form('12', `https://user@${OWN_HOST}/abc`),
  form('13', 'https://bit.ly/abc'),
  form('14', 'http://2130706433/'),
  form('14', 'http://0x7f.1/'),
  form('15', 'http://[::ffff:127.0.0.1]/'),
  form('15', 'http://192.168.1.1/'),
  form('16', 'http://169.254.169.254/latest/meta-data/'),
  form('17', 'http://_api.internal:4280/v1/apps'),
  form('17', 'http://[fdaa::3]/'),
  form('22', `https://a.example/${'a'.repeat(2048)}`),
  form('25', 'https://a.example/\r\nSet-Cookie: x=1'),
  form('26', 'https://a.example/\u0000'),
  form('39', 'https://a.example/', 'healthz'),
  form('39', 'https://a.example/', 'ADMIN'),
  form('40', 'https://a.example/', '../etc/passwd'),
  form('41', 'https://a.example/', 'аdmin'),
  form('42', 'https://a.example/', 'a'.repeat(65)),
  post(
    '34',
    '/shorten',
    { 'Content-Type': 'text/plain', 'Sec-Fetch-Site': 'same-origin' },
    'https://a.example/',
    [415],
  ),
  post(
    '35',
    '/shorten',
    { ...SAME_ORIGIN, 'Content-Encoding': 'bogus' },
    'url=https%3A%2F%2Fa.example%2F',
    [415],
  ),
  post(
    '36',
    '/shorten',
    SAME_ORIGIN,
    Array.from({ length: 1001 }, (_, i) => `f${i}=1`).join('&'),
    [413],
  ),
  {
    row: '37',
    send: (port) =>
      sendRaw(
        port,
        'POST /shorten HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
          'Content-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n',
      ),
    expected: [400],
  },
  get('38', '/', [431], { 'X-Big': 'x'.repeat(20_000) }),
  get('38', `/${'a'.repeat(20_000)}`, [431]),
  get('44', '/doesnotexist', [404]),
  get('45', '/%E0%A4%A', [400]),
  get('46', '//evil.example/%2e%2e', [404]),
  get('46', '/\\evil.example', [404]),
  get('47', '/abc%00', [404]),
  get('47', '/abc%2F..%2Fx', [404]),
  post(
    '53',
    '/shorten',
    { ...FORM_TYPE, 'Sec-Fetch-Site': 'cross-site' },
    'url=https%3A%2F%2Fa.example%2F',
    [403],
  ),
  post(
    '54',
    '/shorten',
    { ...FORM_TYPE, Origin: 'https://evil.example' },
    'url=https%3A%2F%2Fa.example%2F',
    [403],
  ),
  post('54', '/shorten', { ...FORM_TYPE, Origin: 'null' }, 'url=https%3A%2F%2Fa.example%2F', [403]),
  post(
    '55',
    '/shorten',
    { ...FORM_TYPE, 'Sec-Fetch-Site': 'same-site' },
    'url=https%3A%2F%2Fa.example%2F',
    [403],
  ),
];

/** What is wrong with the answer to a bad input, or null when it got its 4xx. */
export function judgeBadInput(input: BadInput, outcome: Outcome): string | null {
  const where = `BAD-INPUTS row ${input.row}`;
  if (outcome.kind !== 'answered') return `${where}: ${describeOutcome(outcome)}`;
  if (!input.expected.includes(outcome.status)) {
    return `${where}: ${outcome.status}, expected ${input.expected.join(' or ')}`;
  }
  if (STACK_TRACE.test(outcome.body)) return `${where}: the page shows a stack trace`;
  if (outcome.body.includes('<script>alert')) return `${where}: the page echoes a script unescaped`;
  return null;
}

/** The n-th bad input, cycling through the list. */
export function badInput(n: number): BadInput {
  return BAD_INPUTS[n % BAD_INPUTS.length]!;
}
