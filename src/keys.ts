// First: on an older Node the SQLite driver crashes the process; this stops it with one line.
import '../scripts/check-node.mjs';
import { requireStorageConfig, runIfEntryPoint, type CliOutput } from './cli.js';
import { KEY_SCOPES, type KeyScope } from './keys/key-store.js';
import { KEY_NAME_PATTERN, createKeyService, type KeyService } from './keys/key-service.js';
import { endOfUtcDay, lastDayBefore } from './links/link-limits.js';
import { parseUtcDate } from './links/link-options.js';
import { signatureSecretOf } from './keys/yourls-signature.js';
import { openStorage } from './storage/open-storage.js';

/**
 * The API key command: `node dist/keys.js create NAME [--scope full|create-only]
 * [--expires YYYY-MM-DD] | list | revoke NAME` (`npm run keys -- …` locally). A new key is
 * printed once; snip keeps only its SHA-256. `list` says where each key came from: `cli` (this
 * command), `admin` (the admin's keys page), `initial` (INITIAL_API_KEY) or `unknown` (older);
 * with ADMIN_PASSWORD set, also each working key's YOURLS signature token.
 */

const USAGE =
  'usage: keys create NAME [--scope full|create-only] [--expires YYYY-MM-DD] | keys list | keys revoke NAME';

export type KeysCommand =
  | { kind: 'create'; name: string; scope: KeyScope; expiresAt: number | null }
  | { kind: 'list' }
  | { kind: 'revoke'; name: string };

export function parseKeysArgs(args: string[], now: number): KeysCommand {
  const [kind, ...rest] = args;
  if (kind === 'list' && rest.length === 0) return { kind };
  if (kind === 'revoke' && rest.length === 1) return { kind, name: checkName(rest[0]!) };
  if (kind !== 'create' || rest.length === 0 || rest.length % 2 === 0) throw new Error(USAGE);
  const [name, ...options] = rest;
  let scope: KeyScope = 'full';
  let expiresAt: number | null = null;
  for (let i = 0; i < options.length; i += 2) {
    const [option, value] = [options[i], options[i + 1]!];
    if (option === '--scope' && (KEY_SCOPES as readonly string[]).includes(value)) {
      scope = value as KeyScope;
    } else if (option === '--expires') {
      const day = parseUtcDate(value);
      if (day === null)
        throw new Error(`--expires takes a date such as 2027-12-31 (got "${value}")`);
      // Like a link's expiry: the key works through that day (UTC).
      expiresAt = endOfUtcDay(day);
      if (expiresAt <= now) throw new Error(`--expires ${value} has already passed`);
    } else {
      throw new Error(USAGE);
    }
  }
  return { kind, name: checkName(name!), scope, expiresAt };
}

function checkName(name: string): string {
  if (!KEY_NAME_PATTERN.test(name)) {
    throw new Error(`a key name is 1–64 letters, digits, ".", "-" or "_" (got "${name}")`);
  }
  return name;
}

function formatDay(epochMs: number | null): string {
  return epochMs === null ? '—' : new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ');
}

async function run(command: KeysCommand, keys: KeyService, output: CliOutput): Promise<number> {
  if (command.kind === 'create') {
    const key = await keys.createKey(command, 'cli');
    if (key === null) throw new Error(`a key named "${command.name}" exists already`);
    output.out(key);
    output.err(
      `created key "${command.name}" (${command.scope}${command.expiresAt ? `, expires ${lastDayBefore(command.expiresAt)}` : ''}); it is shown only this once`,
    );
    return 0;
  }
  if (command.kind === 'revoke') {
    if (!(await keys.revokeKey(command.name)))
      throw new Error(`no active key named "${command.name}"`);
    output.out(`revoked key "${command.name}"`);
    return 0;
  }
  // With ADMIN_PASSWORD, each working key's YOURLS signature token (ADR 041).
  const tokens = await keys.signatureTokens();
  const rows = (await keys.listKeys()).map((k) => [
    k.name,
    k.scope,
    k.source,
    formatDay(k.created),
    formatDay(k.lastUsed),
    k.expiresAt === null ? 'never' : lastDayBefore(k.expiresAt) || 'invalid date',
    ...(tokens === null ? [] : [tokens.get(k.id) ?? '—']),
    k.revokedAt === null ? '' : `revoked ${formatDay(k.revokedAt)}`,
  ]);
  const header = [
    'name',
    'scope',
    'source',
    'created (UTC)',
    'last used (UTC)',
    'expires',
    ...(tokens === null ? [] : ['YOURLS token']),
    '',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) {
    output.out(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
  }
  if (rows.length === 0) output.out('(no keys)');
  return 0;
}

/** ADMIN_PASSWORD as the server reads it (YOURLS signature tokens derive from it); null when unset. */
function adminPasswordOf(env: NodeJS.ProcessEnv): string | null {
  // Trimmed, as the server's configuration reads it: the tokens must be the server's.
  const value = env.ADMIN_PASSWORD?.trim() ?? '';
  if (value === '') return null;
  if (value.length < 12) throw new Error('ADMIN_PASSWORD must have at least 12 characters');
  return value;
}

export async function runKeys(
  args: string[],
  env: NodeJS.ProcessEnv,
  output: CliOutput,
  cwd: string = process.cwd(),
): Promise<number> {
  try {
    const command = parseKeysArgs(args, Date.now());
    const store = await (await openStorage(requireStorageConfig(env, cwd))).openKeys();
    try {
      const signatureSecret = signatureSecretOf(adminPasswordOf(env));
      const service = createKeyService({ keys: store.keys, now: Date.now, signatureSecret });
      return await run(command, service, output);
    } finally {
      await store.close();
    }
  } catch (error) {
    output.err(`keys: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

await runIfEntryPoint(import.meta.url, process.env, (output) =>
  runKeys(process.argv.slice(2), process.env, output),
);
