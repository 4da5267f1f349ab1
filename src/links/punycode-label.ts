import { domainToASCII } from 'node:url';

/**
 * Whether an `xn--` label of a parsed host is a real IDNA A-label. Node 20's URL parser refused
 * hosts such as `xn--a.com`; Node 22.12+ and 24 (Ada 3) pass them through unchanged, so the
 * policy decides for itself instead of inheriting whichever parser it runs on (ADR 005).
 *
 * A label is valid when its Punycode payload decodes (RFC 3492), the result holds at least one
 * non-ASCII character (an all-ASCII result is not an IDN), and converting that Unicode back to
 * ASCII gives the very same label — which rules out characters IDNA would map or disallow.
 */
export function isValidPunycodeLabel(label: string): boolean {
  if (!label.startsWith(ACE_PREFIX)) return true;
  const decoded = decodePunycode(label.slice(ACE_PREFIX.length));
  if (decoded === null || !/[^\0-\x7f]/u.test(decoded)) return false;
  return domainToASCII(decoded) === label;
}

const ACE_PREFIX = 'xn--';

// RFC 3492 §5 parameters.
const BASE = 36;
const T_MIN = 1;
const T_MAX = 26;
const SKEW = 38;
const DAMP = 700;
const INITIAL_BIAS = 72;
const INITIAL_N = 128;
const MAX_CODE_POINT = 0x10ffff;

/** RFC 3492 §6.2 decoding; null for anything malformed. Linear in the input for valid labels. */
export function decodePunycode(input: string): string | null {
  const delimiter = input.lastIndexOf('-');
  const output: number[] = [];
  for (let j = 0; j < Math.max(delimiter, 0); j += 1) {
    const code = input.charCodeAt(j);
    if (code >= 0x80) return null;
    output.push(code);
  }
  let n = INITIAL_N;
  let bias = INITIAL_BIAS;
  let i = 0;
  for (let position = delimiter > 0 ? delimiter + 1 : 0; position < input.length;) {
    const oldI = i;
    let weight = 1;
    for (let k = BASE; ; k += BASE) {
      if (position >= input.length) return null;
      const digit = digitValue(input.charCodeAt(position++));
      if (digit === null) return null;
      i += digit * weight;
      if (i > MAX_CODE_POINT * (output.length + 1)) return null;
      const threshold = k <= bias ? T_MIN : k >= bias + T_MAX ? T_MAX : k - bias;
      if (digit < threshold) break;
      weight *= BASE - threshold;
    }
    const length = output.length + 1;
    bias = adapt(i - oldI, length, oldI === 0);
    n += Math.floor(i / length);
    i %= length;
    if (n > MAX_CODE_POINT || (n >= 0xd800 && n <= 0xdfff)) return null;
    output.splice(i, 0, n);
    i += 1;
  }
  return String.fromCodePoint(...output);
}

function digitValue(code: number): number | null {
  if (code >= 0x61 && code <= 0x7a) return code - 0x61; // a–z
  if (code >= 0x30 && code <= 0x39) return code - 0x30 + 26; // 0–9
  return null;
}

function adapt(delta: number, length: number, first: boolean): number {
  let d = first ? Math.floor(delta / DAMP) : delta >> 1;
  d += Math.floor(d / length);
  let k = 0;
  while (d > ((BASE - T_MIN) * T_MAX) >> 1) {
    d = Math.floor(d / (BASE - T_MIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - T_MIN + 1) * d) / (d + SKEW));
}
