import { ConfigSchema } from './config.js';

/**
 * Variables that look like snip's but are not (`ADMIN_PASWORD`): without a word they would be
 * ignored, and the default used. The server logs a warning for each at start, and the commands
 * print one line (src/cli.ts). Only names close to one snip reads are named: the rest of the
 * environment (PATH, HOME, NODE_OPTIONS, FLY_REGION, AWS_REGION, LITESTREAM_…) stays quiet.
 */

/** Variables snip reads besides ConfigSchema's: scripts/launch.sh's. */
const OTHER_VARIABLES = ['SNIP_RUN_AS'] as const;

/** Every variable snip reads. */
export const KNOWN_VARIABLES: readonly string[] = [
  ...Object.keys(ConfigSchema.shape),
  ...OTHER_VARIABLES,
];

/**
 * Other programs' variables, never named however close they come to one of snip's: Node's and
 * npm's, the platforms' (Fly, AWS and S3-compatible stores, Litestream, PostgreSQL's libpq,
 * CI runners) and the shell's.
 */
const OTHERS_PREFIXES = [
  'NODE_',
  'NPM_',
  'FLY_',
  'AWS_',
  'LITESTREAM_',
  'PG',
  'POSTGRES_',
  'GITHUB_',
  'RUNNER_',
  'DOCKER_',
  'PODMAN_',
  'KUBERNETES_',
  'LC_',
  'XDG_',
  'VITE',
  'SSH_',
];
const OTHERS = new Set([
  'PATH',
  'HOME',
  'PWD',
  'OLDPWD',
  'USER',
  'LOGNAME',
  'SHELL',
  'SHLVL',
  'TERM',
  'LANG',
  'LANGUAGE',
  'HOSTNAME',
  'TZ',
  'TMPDIR',
  'CI',
  'DEBUG',
  'EDITOR',
  'MAIL',
  'PRIMARY_REGION',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
]);

/**
 * The first word of snip's variables that several of them share (ADMIN_, RATE_, DATABASE_): a
 * name that starts with one is taken for snip's even when it is far from each (ADMIN_PASS).
 */
function familiesOf(known: readonly string[]): Set<string> {
  const counts = new Map<string, number>();
  for (const name of known) {
    const first = name.split('_')[0]!;
    if (first !== name) counts.set(first, (counts.get(first) ?? 0) + 1);
  }
  return new Set([...counts].filter(([, count]) => count > 1).map(([first]) => `${first}_`));
}

/**
 * The optimal string alignment distance: insertions, deletions, substitutions and swaps of two
 * neighbours (PASWORD → PASSWORD is 1, PASSWROD → PASSWORD is 1).
 */
export function editDistance(a: string, b: string): number {
  // Three rows of the table at a time: the one before the last, the last, and this one.
  const cols = b.length + 1;
  let before = new Int32Array(cols);
  let last = Int32Array.from({ length: cols }, (_, j) => j);
  let row = new Int32Array(cols);
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(last[j]! + 1, row[j - 1]! + 1, last[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, before[j - 2]! + 1);
      }
      row[j] = best;
    }
    [before, last, row] = [last, row, before];
  }
  return last[b.length]!;
}

/** How far a misspelling may be from the name it means: 1 for short names, 2 from 6 letters. */
function closeEnough(name: string): number {
  return name.length >= 6 ? 2 : 1;
}

export type UnknownVariable = { name: string; suggestion: string };

/**
 * The variables of `env` that are not snip's but look like one of its (within a letter or two, a
 * different case, or with the first word several of snip's share), each with the nearest name
 * snip reads; sorted by name.
 */
export function findUnknownVariables(
  env: Record<string, string | undefined>,
  known: readonly string[] = KNOWN_VARIABLES,
): UnknownVariable[] {
  const knownSet = new Set(known);
  const families = familiesOf(known);
  const found: UnknownVariable[] = [];
  for (const name of Object.keys(env).sort()) {
    if (knownSet.has(name)) continue;
    const upper = name.toUpperCase();
    if (OTHERS.has(upper) || OTHERS_PREFIXES.some((prefix) => upper.startsWith(prefix))) continue;
    const family = [...families].find((prefix) => upper.startsWith(prefix));
    // In a family, the nearest of its members; otherwise the nearest of all, if near enough.
    const candidates = family ? known.filter((k) => k.startsWith(family)) : known;
    let suggestion: string | null = null;
    let distance = Number.POSITIVE_INFINITY;
    for (const candidate of candidates) {
      // The distance is at least the difference in length: a name that cannot come nearer than
      // the nearest so far, or near enough, is not compared.
      const apart = Math.abs(candidate.length - upper.length);
      if (apart >= distance || (!family && apart > closeEnough(candidate))) continue;
      const d = editDistance(upper, candidate);
      if (d < distance) {
        distance = d;
        suggestion = candidate;
      }
    }
    if (suggestion !== null && (family || distance <= closeEnough(suggestion))) {
      found.push({ name, suggestion });
    }
  }
  return found;
}

/** The line said about one: `unknown variable ADMIN_PASWORD — did you mean ADMIN_PASSWORD?` */
export function describeUnknownVariable(variable: UnknownVariable): string {
  return `unknown variable ${variable.name} — did you mean ${variable.suggestion}?`;
}
