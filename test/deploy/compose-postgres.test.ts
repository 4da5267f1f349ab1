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
  environment?: Record<string, string>;
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

  it('migrates once with node dist/migrate.js up, after PostgreSQL is healthy and before either machine starts', () => {
    const migrate = services.migrate!;
    // The image's entrypoint (launch.sh) drops to SNIP_RUN_AS and runs the command it is given.
    expect(migrate.entrypoint).toBeUndefined();
    expect(migrate.command).toEqual(['node', 'dist/migrate.js', 'up']);
    expect(migrate.image).toBe(services['snip-a']!.image);
    expect(migrate.environment?.DATABASE_URL).toBe(services['snip-a']!.environment?.DATABASE_URL);
    expect(dependency(migrate, 'postgres')).toBe('service_healthy');
    for (const name of machines) {
      expect(dependency(services[name]!, 'migrate')).toBe('service_completed_successfully');
    }
  });

  it('gives the machines no /data volume, and launch.sh has no file to prepare for their URL', () => {
    for (const name of machines) {
      expect(services[name]!.volumes ?? []).toEqual([]);
      // launch.sh asks parseDatabaseUrl for the SQLite file to hand to SNIP_RUN_AS; for a
      // PostgreSQL URL it throws, and launch.sh skips straight to dropping privileges.
      expect(() => parseDatabaseUrl(services[name]!.environment!.DATABASE_URL!)).toThrow();
    }
  });

  it('has no default admin password: the admin stays off unless ADMIN_PASSWORD is set', () => {
    for (const name of machines) {
      const value = services[name]!.environment?.ADMIN_PASSWORD;
      if (value === undefined) continue;
      // `${ADMIN_PASSWORD}`, `${ADMIN_PASSWORD:-}` or `${ADMIN_PASSWORD:?message}`: never a value.
      expect(value).toMatch(/^\$\{ADMIN_PASSWORD(?::-|:?\?[^}]*)?\}$/);
    }
  });

  it('gives the server configuration it accepts, and time to flush its visits before SIGKILL', () => {
    for (const name of machines) {
      const environment = services[name]!.environment ?? {};
      // Compose substitutes `${VAR:-}` with the empty string when VAR is unset.
      const resolved = Object.fromEntries(
        Object.entries(environment).map(([key, value]) => [
          key,
          value.replace(/\$\{[A-Z_]+(?::-|:?\?[^}]*)?\}/g, ''),
        ]),
      );
      const config = loadConfig(resolved);
      expect(config.databaseEngine).toBe('postgres');
      expect(config.adminPassword).toBeNull();
      expect(durationMs(services[name]!.stop_grace_period)).toBeGreaterThan(SHUTDOWN_GRACE_MS);
    }
  });
});
