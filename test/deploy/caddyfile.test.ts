import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readProjectFile, ROOT } from './deploy-files.js';

/**
 * The Caddyfile the README gives for self-hosting behind Caddy with on-demand TLS: Caddy itself
 * (Debian's package; .ci/run installs it) must accept it, and the README must show the same
 * file. Without Caddy the check fails in CI and is skipped elsewhere, saying why.
 */
const CADDYFILE = path.join(ROOT, 'Caddyfile');
const hasCaddy = spawnSync('caddy', ['version'], { encoding: 'utf8' }).status === 0;
const ci = process.env.CI;
const inCi = ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';

function validate(file: string) {
  return spawnSync('caddy', ['validate', '--adapter', 'caddyfile', '--config', file], {
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('the Caddyfile', () => {
  it('is the one the README shows', () => {
    const readme = readProjectFile('README.md');
    const block = /```caddyfile\n([\s\S]*?)```/.exec(readme)?.[1];
    const withoutComments = readProjectFile('Caddyfile')
      .split('\n')
      .filter((line) => !line.startsWith('#'))
      .join('\n')
      .trim();
    expect(block?.replace(/^ {2}/gm, '').trim()).toBe(withoutComments);
  });

  it.skipIf(!hasCaddy && !inCi)('is valid for Caddy, and a broken one is not', () => {
    expect(hasCaddy, 'caddy is not installed (apt-get install caddy)').toBe(true);
    const valid = validate(CADDYFILE);
    expect(valid.status, valid.stderr).toBe(0);
    expect(valid.stdout + valid.stderr).toContain('Valid configuration');
    // The check can fail: the same file with a misspelt directive is refused.
    const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'caddy-')), 'Caddyfile');
    fs.writeFileSync(broken, readProjectFile('Caddyfile').replace('on_demand\n', 'on_demnd\n'));
    const refused = validate(broken);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('on_demnd');
  });
});
