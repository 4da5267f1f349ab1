import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { parseDatabaseTarget, parseDatabaseUrl } from '../../src/db/database-url.js';
import { SHUTDOWN_GRACE_MS } from '../../src/shutdown.js';
import {
  durationMs,
  parseDockerfile,
  readProjectFile,
  readYaml,
  stageEnv,
} from './deploy-files.js';

type Service = {
  image?: string;
  build?: string;
  entrypoint?: string[] | string;
  command?: string[] | string;
  user?: string;
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string | null>;
  healthcheck?: { test?: string[] | string; interval?: string; timeout?: string; retries?: number };
  depends_on?: Record<string, { condition?: string }> | string[];
  restart?: string;
  stop_grace_period?: string;
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

const compose = readYaml('compose.postgres.yaml') as Compose;
const services = compose.services;
const machines = ['snip-a', 'snip-b'] as const;
const imageEnv = stageEnv(parseDockerfile(readProjectFile('Dockerfile')).at(-1)!);

function dependency(service: Service, name: string): string | undefined {
  const dependsOn = service.depends_on;
  if (dependsOn === undefined || Array.isArray(dependsOn)) return undefined;
  return dependsOn[name]?.condition;
}

describe('compose.postgres.yaml', () => {
  it('runs PostgreSQL 15 from its official image, on a named volume, with pg_isready as its health check', () => {
    const postgres = services.postgres!;
    expect(postgres.image).toBe('postgres:15');
    const [volume] = postgres.volumes ?? [];
    expect(volume).toBe('postgres_data:/var/lib/postgresql/data');
    expect(Object.keys(compose.volumes ?? {})).toContain('postgres_data');
    const test = postgres.healthcheck?.test;
    expect(Array.isArray(test) ? test.join(' ') : test).toMatch(/^(CMD |CMD-SHELL )?pg_isready\b/);
    expect(durationMs(postgres.healthcheck?.timeout)).toBeGreaterThan(0);
    // Only the services on the Compose network reach the database.
    expect(postgres.ports).toBeUndefined();
  });

  it('runs two snip machines from this Dockerfile on one DATABASE_URL, naming the postgres service and its credentials', () => {
    const urls = machines.map((name) => services[name]!.environment?.DATABASE_URL);
    expect(urls[0]).toBeDefined();
    expect(new Set(urls).size).toBe(1);
    const target = parseDatabaseTarget(urls[0]!);
    expect(target.engine).toBe('postgres');
    const url = new URL(urls[0]!);
    const postgresEnv = services.postgres!.environment ?? {};
    expect(url.hostname).toBe('postgres');
    expect(url.port).toBe('5432');
    expect(decodeURIComponent(url.username)).toBe(postgresEnv.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(postgresEnv.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${postgresEnv.POSTGRES_DB}`);
    for (const name of machines) {
      expect(services[name]!.build).toBe('.');
    }
    expect(machines.map((name) => services[name]!.ports)).toEqual([['8081:8080'], ['8082:8080']]);
    expect(imageEnv.PORT).toBe('8080');
  });

  it('starts each machine once PostgreSQL is healthy; each migrates at its own start, under the advisory lock', () => {
    // No one-off migrate service: podman-compose 1.0.3 ignores depends_on's conditions, so it
    // would race the machines anyway. The image's entrypoint runs the server with --migrate.
    expect(Object.keys(services).sort()).toEqual(['postgres', 'snip-a', 'snip-b']);
    for (const name of machines) {
      const machine = services[name]!;
      expect(machine.command).toBeUndefined();
      expect(machine.entrypoint).toBeUndefined();
      expect(dependency(machine, 'postgres')).toBe('service_healthy');
      // Where the condition is ignored, a machine that found no database is started again.
      expect(machine.restart).toBe('unless-stopped');
    }
    expect(readProjectFile('scripts/launch.sh')).toMatch(
      /exec node "\$\{NODE_FLAGS\[@\]\}" "\$SERVER" --migrate "\$@"/,
    );
  });

  it('gives the machines no /data volume, and launch.sh has no file to prepare for their URL', () => {
    for (const name of machines) {
      expect(services[name]!.volumes ?? []).toEqual([]);
      // launch.sh asks parseDatabaseUrl for the SQLite file to hand to SNIP_RUN_AS; for a
      // PostgreSQL URL it throws, and launch.sh skips straight to dropping privileges.
      expect(() => parseDatabaseUrl(services[name]!.environment!.DATABASE_URL!)).toThrow();
    }
  });

  it('has no default admin password: ADMIN_PASSWORD passes on the shell’s, or stays unset', () => {
    for (const name of machines) {
      const environment = services[name]!.environment ?? {};
      expect(Object.keys(environment)).toContain('ADMIN_PASSWORD');
      // A key without a value: both tools pass on the shell's variable, or leave it unset.
      expect(environment.ADMIN_PASSWORD).toBeNull();
    }
  });

  it('gives the server configuration it accepts, and time to flush its visits before SIGKILL', () => {
    for (const name of machines) {
      const environment = services[name]!.environment ?? {};
      // What the server gets from a shell that sets none of the pass-through variables.
      const resolved = Object.fromEntries(
        Object.entries(environment).filter((entry): entry is [string, string] => entry[1] !== null),
      );
      const config = loadConfig(resolved);
      expect(config.databaseEngine).toBe('postgres');
      expect(config.adminPassword).toBeNull();
      expect(durationMs(services[name]!.stop_grace_period)).toBeGreaterThan(SHUTDOWN_GRACE_MS);
    }
  });
});

describe('both Compose files', () => {
  it.each(['compose.yaml', 'compose.postgres.yaml'])(
    '%s has no ${VAR:-} with an empty default, which podman-compose 1.0.3 passes on as text',
    (file) => {
      const text = readProjectFile(file)
        .split('\n')
        .filter((line) => !/^\s*#/.test(line))
        .join('\n');
      expect(text).not.toMatch(/\$\{\w+:?-\}/);
    },
  );
});
