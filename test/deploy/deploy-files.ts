import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';

/** The project root: this file is test/deploy/deploy-files.ts. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function readProjectFile(name: string): string {
  return fs.readFileSync(path.join(ROOT, name), 'utf8');
}

export function readToml(name: string): Record<string, unknown> {
  return parseToml(readProjectFile(name)) as Record<string, unknown>;
}

export function readYaml(name: string): unknown {
  return parseYaml(readProjectFile(name));
}

export type Instruction = { keyword: string; args: string; line: number };
export type Stage = { from: string; name: string | null; instructions: Instruction[] };

/**
 * Just enough of a Dockerfile parser for checking facts: comments dropped, `\` continuations
 * joined, instructions grouped by the stage (FROM) they belong to.
 */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let logical = lines[i] ?? '';
    if (/^\s*(#|$)/.test(logical)) continue;
    while (/\\\s*$/.test(logical) && i + 1 < lines.length) {
      i++;
      const next = lines[i] ?? '';
      if (/^\s*#/.test(next)) continue;
      logical = logical.replace(/\\\s*$/, ' ') + next.trim();
    }
    const match = /^\s*([A-Za-z]+)\s*(.*)$/.exec(logical);
    if (!match) continue;
    const keyword = (match[1] ?? '').toUpperCase();
    const args = (match[2] ?? '').trim();
    if (keyword === 'FROM') {
      const from = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: from?.[1] ?? args, name: from?.[2] ?? null, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`line ${start}: ${keyword} before the first FROM`);
    stage.instructions.push({ keyword, args, line: start });
  }
  return stages;
}

/** `ENV A=1 B="two"` (and the legacy `ENV A 1`) → { A: '1', B: 'two' } for one stage. */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of stage.instructions.filter((i) => i.keyword === 'ENV')) {
    if (!args.includes('=')) {
      const [key = '', ...rest] = args.split(/\s+/);
      env[key] = rest.join(' ');
      continue;
    }
    for (const pair of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S*)/g)) {
      env[pair[1] ?? ''] = (pair[2] ?? '').replace(/^(["'])(.*)\1$/, '$2');
    }
  }
  return env;
}

export function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/** A duration as fly.toml writes it ("30s", "1m", "500ms", or a bare number of seconds). */
export function durationMs(value: unknown): number {
  if (typeof value === 'number') return value * 1000;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(String(value));
  if (!match) throw new Error(`not a duration: ${String(value)}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

type Check = {
  path?: string;
  method?: string;
  grace_period?: string;
  interval?: string;
  timeout?: string;
};
/** fly.toml and fly.postgres.toml, as far as the tests read them. */
export type FlyToml = {
  app?: string;
  primary_region?: string;
  kill_signal?: string;
  kill_timeout?: number | string;
  build?: { dockerfile?: string };
  deploy?: Record<string, unknown>;
  env?: Record<string, string>;
  mounts?: unknown;
  http_service?: {
    internal_port?: number;
    force_https?: boolean;
    auto_stop_machines?: string | boolean;
    auto_start_machines?: boolean;
    min_machines_running?: number;
    checks?: Check[];
  };
  vm?: unknown;
};
