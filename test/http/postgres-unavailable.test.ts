import { pino } from 'pino';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { buildServices } from '../../src/services.js';
import { loadConfig } from '../../src/config.js';
import { createPostgresPool } from '../../src/db/pool.postgres.js';
import { createPostgresStore } from '../../src/storage/store.postgres.js';
import { storageUnavailableCode } from '../../src/db/storage-unavailable.js';
import { SAME_ORIGIN } from '../support/test-app.js';

// Nothing listens on port 1: every connection is refused at once.
const url = 'postgres://snip:secret@127.0.0.1:1/snip';
const pool = createPostgresPool(url, { max: 2 });
afterAll(() => pool.end());
const app = createApp(
  buildServices({
    config: loadConfig({
      DATABASE_URL: url,
      RATE_LIMITS: 'off',
      ADMIN_PASSWORD: 'a long password',
    }),
    store: createPostgresStore(pool, { cacheTtlMs: 1000 }),
    logger: pino({ level: 'silent' }),
  }),
);

describe('when PostgreSQL cannot be reached', () => {
  it.each([
    ['a redirect', () => request(app).get('/somecode')],
    [
      'a creation',
      () =>
        request(app)
          .post('/shorten')
          .set(SAME_ORIGIN)
          .type('form')
          .send({ url: 'https://a.example/' }),
    ],
    ['the admin', () => request(app).get('/admin')],
    ['the health check', () => request(app).get('/healthz')],
  ])('then %s answers 503 without a stack trace, and asks to retry', async (_name, send) => {
    const res = await send();
    expect(res.status).toBe(503);
    expect(res.text).not.toMatch(/\n\s+at /);
    expect(res.text).not.toContain('secret');
    if (res.status === 503 && res.headers['content-type']?.startsWith('text/html')) {
      expect(res.headers['retry-after']).toBeDefined();
    }
  });

  it('then the API answers a 503 problem document', async () => {
    const res = await request(app).get('/api/v1/links').set('Authorization', 'Bearer snip_x');
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });
});

describe('storageUnavailableCode', () => {
  it.each([
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    [new Error('Connection terminated unexpectedly')],
    [new Error('timeout exceeded when trying to connect')],
    [
      Object.assign(new Error('terminating connection due to administrator command'), {
        code: '57P01',
      }),
    ],
    [Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    [Object.assign(new Error('sorry, too many clients already'), { code: '53300' })],
    [Object.assign(new Error('connection failure'), { code: '08006' })],
  ])('when PostgreSQL fails with %s, then it is storage that is unavailable', (error) => {
    expect(storageUnavailableCode(error)).toBe('POSTGRES_UNAVAILABLE');
  });

  it.each([
    [Object.assign(new Error('duplicate key'), { code: '23505' })],
    [Object.assign(new Error('syntax error'), { code: '42601' })],
    [new Error('something else')],
  ])('when PostgreSQL refuses a statement (%s), then it is not', (error) => {
    expect(storageUnavailableCode(error)).toBeNull();
  });
});
