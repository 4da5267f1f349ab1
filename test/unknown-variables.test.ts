import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../src/config.js';
import {
  describeUnknownVariable,
  editDistance,
  findUnknownVariables,
  KNOWN_VARIABLES,
} from '../src/unknown-variables.js';

const env = (...names: string[]) => Object.fromEntries(names.map((name) => [name, 'x']));

describe('findUnknownVariables', () => {
  it('when ADMIN_PASSWORD is misspelled, then it says which variable was meant', () => {
    const unknown = findUnknownVariables(env('ADMIN_PASWORD'));
    expect(unknown).toEqual([{ name: 'ADMIN_PASWORD', suggestion: 'ADMIN_PASSWORD' }]);
    expect(describeUnknownVariable(unknown[0]!)).toBe(
      'unknown variable ADMIN_PASWORD — did you mean ADMIN_PASSWORD?',
    );
  });

  it.each([
    ['DATABASE_URI', 'DATABASE_URL'],
    ['DATABSE_URL', 'DATABASE_URL'],
    ['BASE_ULR', 'BASE_URL'],
    ['PORTS', 'PORT'],
    ['LOGLEVEL', 'LOG_LEVEL'],
    ['RATE_LIMIT', 'RATE_LIMITS'],
    ['METRIC_TOKEN', 'METRICS_TOKEN'],
    ['admin_password', 'ADMIN_PASSWORD'],
    // A first word several of snip's variables share: taken for snip's, however far.
    ['ADMIN_PASS', 'ADMIN_PASSWORD'],
    ['DATABASE_PATH', 'DATABASE_URL'],
    ['RATE_LIMIT_CREATION', 'RATE_LIMIT_CREATE'],
  ])('when %s is set, then it suggests %s', (name, suggestion) => {
    expect(findUnknownVariables(env(name))).toEqual([{ name, suggestion }]);
  });

  it('when only other programs’ variables are set, then it says nothing, even of names close to snip’s', () => {
    const others = env(
      'PATH',
      'HOME',
      'PWD',
      'HOSTNAME',
      'TERM',
      'LANG',
      'TZ',
      'CI',
      'NODE_ENV',
      'NODE_OPTIONS',
      'NODE_VERSION',
      'npm_config_cache',
      'npm_lifecycle_event',
      'FLY_REGION',
      'FLY_MACHINE_ID',
      'FLY_ALLOC_ID',
      'FLY_PUBLIC_IP',
      'FLY_IMAGE_REF',
      'FLY_PROCESS_GROUP',
      'FLY_VM_MEMORY_MB',
      'PRIMARY_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_ENDPOINT_URL_S3',
      'AWS_REGION',
      'BUCKET_NAME',
      'LITESTREAM_REPLICA_URL',
      'LITESTREAM_ACCESS_KEY_ID',
      'PGPASSWORD',
      'PGHOST',
      'POSTGRES_PASSWORD',
      'HTTP_PROXY',
      'NO_PROXY',
      'GITHUB_ACTIONS',
      'VITEST',
      'PROD',
      'DEV',
      'SSR',
      'MODE',
      'CHROMIUM_PATH',
      'CONTAINER_ENGINE',
    );
    expect(findUnknownVariables(others)).toEqual([]);
  });

  it('when every variable snip reads is set, then none is unknown', () => {
    expect(findUnknownVariables(env(...Object.keys(ConfigSchema.shape), 'SNIP_RUN_AS'))).toEqual(
      [],
    );
    expect(KNOWN_VARIABLES).toContain('ALLOW_EPHEMERAL_DATABASE');
  });
});

describe('editDistance', () => {
  it.each([
    ['ADMIN_PASWORD', 'ADMIN_PASSWORD', 1],
    ['ADMIN_PASSWROD', 'ADMIN_PASSWORD', 1],
    ['PORT', 'PORT', 0],
    ['', 'PORT', 4],
    ['HOST', 'PORT', 2],
  ])('%s → %s is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });
});
